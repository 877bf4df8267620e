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
    seller = make_user("freelancer", language="de", timezone="Europe/Berlin")
    buyer = make_user("client", language="en")
    service = make_service(seller, title="Ein Logo für Ihre Bäckerei")
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False), translation.override("en"):
        place_order(buyer, service)  # in the buyer's request, in English

    to_seller = Notification.objects.get(user=seller, kind="milestone_funded")
    assert to_seller.title == "Neue Bestellung: Ein Logo für Ihre Bäckerei — Logo pack"
    # Paid at 09:00 UTC on a five-day package: due five days later at 10:00 in Berlin (CET, UTC+1 in November).
    assert to_seller.message == ("Fällig am 07 November 2026, 10:00 CET. Lesen Sie die Anforderungen des Käufers und "
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


def test_a_deadline_is_written_in_the_recipients_time_zone(make_user) -> None:
    """Paid late on a Monday evening in UTC, the order is due on the next day's date for a seller in Tokyo."""
    seller = make_user("freelancer", language="en", timezone="Asia/Tokyo")
    buyer = make_user("client", language="en", timezone="America/New_York")
    service = make_service(seller, title="Logo")
    with time_machine.travel(datetime(2026, 11, 2, 20, 30, tzinfo=UTC), tick=False):
        place_order(buyer, service)

    # Due 5 days after 2 November 20:30 UTC = 7 November 20:30 UTC = 8 November 05:30 in Tokyo (UTC+9).
    message = Notification.objects.get(user=seller, kind="milestone_funded").message
    assert message.startswith("Due 08 November 2026, 05:30 JST.")
