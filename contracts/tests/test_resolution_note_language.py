"""Staff decide a dispute from the admin and leave the note empty: nothing translated is stored, and the two
parties, one reading German and one English, each read what was decided in their own language. Milestone
payments are described in the language of the member whose payment it is."""

from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from contracts import escrow, hourly
from contracts.models import Dispute, WeeklyInvoice
from contracts.tests.factories import make_contract
from messaging.models import Notification
from payments.methods import card_save
from payments.models import Payment

from .hourly_helpers import at, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

NBSP = "\u00a0"


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def resolved_note(user) -> str:
    return Notification.objects.get(user=user, kind="dispute_resolved").message


def test_an_hourly_week_split_without_a_note_reads_in_each_partys_language(client, staff_user, make_user):
    client_user = make_user("client", language="en")
    freelancer_user = make_user("freelancer", language="de")
    with time_machine.travel(at(3), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "60.00")
        card_save(user=client_user, payment_method="pm_card_visa")
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=150)
    with time_machine.travel(at(9, 1), tick=False):
        invoice = hourly.week_close(contract=contract, week_start=at(2).date())
    with time_machine.travel(at(10), tick=False):
        invoice = hourly.invoice_dispute(invoice=invoice, by=client_user, reason="Half of it was a call we skipped.")
    client.force_login(staff_user)
    with time_machine.travel(at(11), tick=False):
        done = client.post("/admin/contracts/weeklyinvoice/", {
            "action": "resolve_split", "_selected_action": [invoice.pk], "apply": "yes",
            "freelancer_amount": "92.40", "note": ""})
    assert done.status_code == 302
    invoice = WeeklyInvoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.resolution, invoice.resolution_note) == ("paid", "split", "")

    assert resolved_note(client_user) == "Split by our team: 92.40 USD for the freelancer."
    assert resolved_note(freelancer_user) == f"Von unserem Team aufgeteilt: 92,40{NBSP}$ für den Freelancer."


def test_a_milestone_dispute_released_without_a_note(client, staff_user, make_user, client_for):
    client_user = make_user("client", language="de")
    freelancer_user = make_user("freelancer", language="en")
    contract = make_contract(client_user, freelancer_user)
    milestone = escrow.milestone_create(contract=contract, by=client_user,
                                        data={"title": "Home page", "amount": Decimal("800.00")})
    escrow.milestone_fund(milestone=milestone, by=client_user, payment_method="pm_card_visa")
    milestone.refresh_from_db()
    escrow.milestone_submit(milestone=milestone, by=freelancer_user, note="Done", files=[])
    milestone.refresh_from_db()
    dispute = escrow.dispute_open(contract=contract, milestone=milestone, by=client_user,
                                  reason="The page is not what we agreed.")
    client.force_login(staff_user)
    client.post("/admin/contracts/dispute/", {"action": "resolve_release", "_selected_action": [dispute.pk]})
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert (dispute.status, dispute.resolution, dispute.resolution_note) == ("resolved", "release", "")

    german, english = "Von unserem Team an den Freelancer freigegeben.", "Released to the freelancer by our team."
    assert resolved_note(client_user) == german
    assert resolved_note(freelancer_user) == english
    for user, expected, other in ((client_user, german, english), (freelancer_user, english, german)):
        page = browser_for(user).get(f"/disputes/{dispute.pk}/").content.decode()
        assert expected in page and other not in page
        answer = client_for(user).get(f"/api/disputes/{dispute.pk}")
        assert answer.status_code == 200 and answer.json()["resolution_note"] == expected

    # Each payment is described in its owner's language: the client's funding in German, the freelancer's
    # release and fee in English.
    assert Payment.objects.get(user=client_user, kind="funding").description == "Treuhandzahlung für „Home page“"
    assert Payment.objects.get(user=freelancer_user, kind="release").description == "Payment for “Home page”"
    assert Payment.objects.get(user=freelancer_user, kind="fee").description == "Platform fee (10%) on 800.00 USD"
    funding_page = browser_for(client_user).get("/payments/").content.decode()
    assert "Treuhandzahlung für „Home page“" in funding_page
