"""Order notifications are written in each recipient's language, not in the language of whoever acted: an
English buyer pays for an order from a German-speaking seller."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation

from core.models import OutboundEmail
from messaging.models import Notification

from .order_factories import make_service, place_order, stripe_settings  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]

NBSP = "\u00a0"


def test_a_german_seller_reads_the_new_order_in_german_and_the_english_buyer_in_english(make_user) -> None:
    seller = make_user("freelancer", language="de")
    buyer = make_user("client", language="en")
    service = make_service(seller, title="Ein Logo für Ihre Bäckerei")
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False), translation.override("en"):
        place_order(buyer, service)  # in the buyer's request, in English

    to_seller = Notification.objects.get(user=seller, kind="milestone_funded")
    assert to_seller.title == "Neue Bestellung: Ein Logo für Ihre Bäckerei — Logo pack"
    assert to_seller.message == ("Fällig am 07 November 2026. Lesen Sie die Anforderungen des Käufers und "
                                 "beginnen Sie mit der Arbeit.")
    email = OutboundEmail.objects.get(to_email=seller.email, template="order_update")
    assert "Neue Bestellung: Ein Logo für Ihre Bäckerei — Logo pack" in email.body_text

    to_buyer = Notification.objects.get(user=buyer, kind="payment_received")
    assert to_buyer.title == "You paid 120.00 USD into escrow"


def test_a_spanish_buyer_acting_does_not_turn_the_german_sellers_notification_spanish(make_user) -> None:
    seller = make_user("freelancer", language="de")
    buyer = make_user("client", language="es")
    service = make_service(seller, title="Logo")
    with translation.override("es"):
        place_order(buyer, service)

    assert Notification.objects.get(user=seller, kind="milestone_funded").title == "Neue Bestellung: Logo — Logo pack"
    assert Notification.objects.get(user=buyer, kind="payment_received").title == (
        f"Has pagado 120,00{NBSP}US$ en depósito de garantía")
