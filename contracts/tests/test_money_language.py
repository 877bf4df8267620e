"""Money on contracts in each person's language: the title of a resolved dispute, the refusals of the milestone
API, the titles of a charged week of hours (stored on each party's payment and shown on their receipt) and the
message after logging time. English speakers still read English."""

import re

import pytest
import time_machine
from django.test import Client

from contracts import hourly
from contracts.tests.factories import make_contract
from messaging.models import Notification
from payments.methods import card_save
from payments.models import Payment
from tests.helpers.money import add_milestone, fund

from .hourly_helpers import at, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_a_resolved_dispute_is_titled_in_each_partys_language(make_user, client_for, staff_user) -> None:
    client_user = make_user("client", language="de")
    freelancer_user = make_user("freelancer", language="en")
    contract = make_contract(client_user, freelancer_user)
    client_api = client_for(client_user)
    milestone = add_milestone(client_api, contract.pk, "200.00")
    assert fund(client_api, milestone["id"]).status_code == 200
    opened = client_api.post(f"/api/contracts/{contract.pk}/dispute",
                             {"milestone_id": milestone["id"], "reason": "Nothing was delivered."}, format="json")
    assert opened.status_code == 201, opened.json()
    # Staff resolve it in Spanish: neither party reads Spanish.
    staff_user.language = "es"
    staff_user.save(update_fields=["language"])
    resolved = client_for(staff_user).post(f"/api/disputes/{opened.json()['id']}/resolve",
                                           {"resolution": "refund", "note": "Refunded."}, format="json")
    assert resolved.status_code == 200, resolved.json()

    to_client = Notification.objects.get(user=client_user, kind="dispute_resolved")
    assert to_client.title == "Streitfall entschieden: an den Auftraggeber erstattet"
    to_freelancer = Notification.objects.get(user=freelancer_user, kind="dispute_resolved")
    assert to_freelancer.title == "Dispute resolved: refunded to the client"


def test_the_milestone_api_refuses_in_the_callers_language(make_user, client_for) -> None:
    client_user = make_user("client", language="de")
    freelancer_user = make_user("freelancer", language="es")
    contract = make_contract(client_user, freelancer_user)
    body = {"title": "Logo", "description": "A logo.", "amount": "50.00", "currency": "eur"}

    german = client_for(client_user).post(f"/api/contracts/{contract.pk}/milestones", body, format="json")
    assert german.status_code == 400
    assert german.json() == {"detail": "Ungültige Eingabe: Dieser Vertrag läuft in USD.",
                             "error_type": "validation_error", "errors": {"currency": ["Verwenden Sie USD."]}}

    spanish = client_for(freelancer_user).post(f"/api/contracts/{contract.pk}/milestones",
                                               {**body, "currency": "usd"}, format="json")
    assert spanish.status_code == 403
    assert spanish.json() == {"detail": "Solo el cliente puede hacer esto.", "error_type": "permission_denied"}

    client_user.language = "en"
    client_user.save(update_fields=["language"])
    english = client_for(client_user).post(f"/api/contracts/{contract.pk}/milestones", body, format="json")
    assert english.json()["detail"] == "Invalid input: this contract is in USD."
    assert english.json()["errors"] == {"currency": ["Use USD."]}


def test_a_charged_week_is_titled_in_the_language_of_each_payments_owner(make_user) -> None:
    client_user = make_user("client", language="en")
    freelancer_user = make_user("freelancer", language="de")
    with time_machine.travel(at(3), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "40.00")
        card_save(user=client_user, payment_method="pm_card_visa")
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=60)
    with time_machine.travel(at(9, 1), tick=False):
        invoice = hourly.week_close(contract=contract, week_start=at(2).date())
    with time_machine.travel(at(10), tick=False):
        hourly.invoice_approve(invoice=invoice, by=client_user)

    earned = Payment.objects.get(user=freelancer_user, kind="release")
    assert (earned.milestone_title, earned.description) == (
        "Woche vom 2 November 2026", "Stunden für die Woche vom 2 November 2026")
    paid = Payment.objects.get(user=client_user, kind="funding")
    assert (paid.milestone_title, paid.description) == (
        "Week of 2 November 2026", "Hours for the week of 2 November 2026")

    told = Notification.objects.get(user=freelancer_user, kind="payment_received", data__payment_id=earned.pk)
    assert told.title.startswith("Sie haben ") and told.title.endswith(" für die Woche vom 2 November 2026 verdient")
    told = Notification.objects.get(user=client_user, kind="payment_received", data__payment_id=paid.pk)
    assert told.title.startswith("You paid ") and told.title.endswith(" for the week of 2 November 2026")

    browser = Client()
    browser.force_login(freelancer_user)
    receipt = text(browser.get(f"/payments/{earned.pk}/receipt/"))
    assert "Stunden Woche vom 2 November 2026" in receipt
    assert "Beschreibung Stunden für die Woche vom 2 November 2026" in receipt


def test_logging_time_names_the_day_in_the_freelancers_language(make_user) -> None:
    client_user = make_user("client")
    freelancer_user = make_user("freelancer", language="de")
    with time_machine.travel(at(2), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "30.00")
        card_save(user=client_user, payment_method="pm_card_visa")
    browser = Client()
    browser.force_login(freelancer_user)
    url = f"/contracts/{contract.pk}/timesheet/entries/"
    with time_machine.travel(at(4, 15), tick=False):
        done = browser.post(url, {"date": "2026-11-03", "minutes": "90"}, follow=True)
        assert done.redirect_chain, text(done)
        assert "1 h 30 min am Dienstag 03 November erfasst." in text(done)
        freelancer_user.language = "en"
        freelancer_user.save(update_fields=["language"])
        done = browser.post(url, {"date": "2026-11-02", "minutes": "30"}, follow=True)
        assert "Logged 0 h 30 min on Monday 02 November." in text(done)
