"""E-mails speak the recipient's language and give times in the recipient's time zone: the reminder before
submitted work is approved automatically, as it is written to the outbox, for a client in Berlin who reads German
and for one in New York who reads English."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from contracts import escrow
from contracts.models import Milestone
from contracts.tests.factories import make_contract
from core.models import OutboundEmail
from messaging.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

NBSP = "\u00a0"
# Friday 18 December 2026 at 16:00 UTC: 17:00 in Berlin (UTC+1 in winter), 11:00 in New York (UTC-5).
DUE = datetime(2026, 12, 18, 16, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)  # four days and four hours before: the reminder is due


def remind(client_user, freelancer_user) -> OutboundEmail:
    contract = make_contract(client_user, freelancer_user, currency="eur")
    milestone = escrow.milestone_create(contract=contract, by=client_user,
                                        data={"title": "Landing page", "amount": Decimal("1500.00")})
    escrow.milestone_fund(milestone=milestone, by=client_user, payment_method="pm_card_visa")
    escrow.milestone_submit(milestone=milestone, by=freelancer_user, note="Done.", files=[])
    Milestone.objects.filter(pk=milestone.pk).update(auto_release_at=DUE)
    assert escrow.auto_release_due(now=NOW) == {"released": 0, "reminded": 1}
    return OutboundEmail.objects.get(to_email=client_user.email, template="milestone_auto_release_reminder")


def test_a_german_client_in_berlin_gets_the_reminder_in_german_with_berlin_time(make_user) -> None:
    client_user = make_user("client", language="de", timezone="Europe/Berlin", first_name="Jonas")
    freelancer_user = make_user("freelancer", language="es")
    email = remind(client_user, freelancer_user)

    assert email.subject == "„Landing page“ wird in 4 Tagen automatisch genehmigt"
    assert email.body_text.startswith("Hallo Jonas,\n\n")
    assert ("Wenn Sie nichts tun, wird sie am Freitag, 18. Dezember 2026, 17:00 Ihrer Zeit automatisch genehmigt "
            f"und 1.500,00{NBSP}€ werden vom Treuhandkonto an die Freelancerin oder den Freelancer freigegeben."
            ) in email.body_text
    assert "— Ihr MegiLance-Team" in email.body_text
    assert '<html lang="de">' in email.body_html
    assert "<strong>Freitag, 18. Dezember 2026, 17:00</strong> Ihrer Zeit" in email.body_html
    assert ">Arbeit prüfen</a>" in email.body_html
    # The in-app notification is stored in German too.
    notice = Notification.objects.get(user=client_user, kind="milestone_submitted", title__contains="automatisch")
    assert notice.title == "„Landing page“ wird in 4 Tagen automatisch genehmigt"


def test_an_english_client_in_new_york_gets_it_in_english_with_new_york_time(make_user) -> None:
    client_user = make_user("client", timezone="America/New_York", first_name="Ruth")
    freelancer_user = make_user("freelancer", language="de")
    email = remind(client_user, freelancer_user)

    assert email.subject == "“Landing page” will be approved automatically in 4 days"
    assert email.body_text.startswith("Hi Ruth,\n\n")
    assert ("If you do nothing, it is approved automatically on Friday 18 December 2026, 11:00 your time and "
            "1,500.00 EUR is released from escrow to the freelancer.") in email.body_text
    assert '<html lang="en">' in email.body_html


def test_the_freelancers_funding_e_mail_follows_the_freelancers_language_not_the_clients(make_user) -> None:
    client_user = make_user("client", language="en")
    freelancer_user = make_user("freelancer", language="es", first_name="Lucía")
    contract = make_contract(client_user, freelancer_user, currency="usd")
    milestone = escrow.milestone_create(contract=contract, by=client_user,
                                        data={"title": "Logo", "amount": Decimal("1500.00")})
    escrow.milestone_fund(milestone=milestone, by=client_user, payment_method="pm_card_visa")

    to_freelancer = OutboundEmail.objects.get(to_email=freelancer_user.email, template="milestone_funded")
    assert to_freelancer.body_text.startswith("Hola, Lucía:\n\n")
    assert f"1500,00{NBSP}US$" in to_freelancer.body_text
    to_client = OutboundEmail.objects.get(to_email=client_user.email, template="payment_sent")
    assert "1,500.00 USD" in to_client.subject
    assert Notification.objects.get(user=freelancer_user, kind="milestone_funded").title == (
        "«Logo» está financiado: empieza el trabajo")
