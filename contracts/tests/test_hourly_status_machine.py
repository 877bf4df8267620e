"""Every (state, action, caller) of the weekly invoice's machine, through the API and the timed jobs against the
Stripe emulator: what is allowed moves the status; everything else answers 409 (403 for the freelancer, 404 for
staff outside their action and for strangers) and changes nothing: status, history, payments, Stripe.

The expectations are written out by hand from the product's rules, not read from the code's table."""

from typing import Any

import pytest
import time_machine

from contracts import hourly
from contracts.models import WeeklyInvoice, WeeklyInvoiceStatusChange
from payments.methods import card_save
from payments.models import Payment, PaymentOperation

from .hourly_helpers import at, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

STATES = ["open", "in_review", "disputed", "paid", "refunded"]
CALLERS = ["client", "freelancer", "staff", "stranger"]
ACTIONS = ["approve", "dispute", "resolve-release", "resolve-refund", "resolve-split"]
# Who may ever ask for each action (the freelancer, the other party, gets 403; staff outside their action and
# strangers get 404).
ACTORS = {"approve": {"client"}, "dispute": {"client"}, "resolve-release": {"staff"}, "resolve-refund": {"staff"},
          "resolve-split": {"staff"}}
ALLOWED = {
    ("in_review", "approve", "client"): "paid",
    ("in_review", "dispute", "client"): "disputed",
    ("disputed", "resolve-release", "staff"): "paid",
    ("disputed", "resolve-refund", "staff"): "refunded",
    ("disputed", "resolve-split", "staff"): "paid",
}
# The timed jobs: closing a week that ended, and charging when the review ended.
JOBS = {("open", "close"): "in_review", ("in_review", "charge"): "paid"}


@pytest.fixture
def people(client_user, freelancer_user, staff_user, make_user) -> dict[str, Any]:
    return {"client": client_user, "freelancer": freelancer_user, "staff": staff_user,
            "stranger": make_user("client")}


def invoice_in(state: str, people: dict[str, Any]) -> WeeklyInvoice:
    """A week of a new contract brought to `state` through the services, as people and the jobs would; the
    clock is then Tuesday 10 November, in the review of the week of 2 November."""
    client, freelancer, staff = people["client"], people["freelancer"], people["staff"]
    with time_machine.travel(at(2), tick=False):
        contract = make_hourly_contract(client, freelancer)
        card_save(user=client, payment_method="pm_card_visa")
        if state != "open":
            hourly.time_entry_create(contract=contract, by=freelancer, day=at(2).date(), minutes=90, memo="Work")
    if state == "open":
        with time_machine.travel(at(10), tick=False):
            hourly.time_entry_create(contract=contract, by=freelancer, day=at(10).date(), minutes=90, memo="Work")
            return WeeklyInvoice.objects.get(contract=contract)
    with time_machine.travel(at(9, 1), tick=False):
        invoice = hourly.week_close(contract=contract, week_start=at(2).date())
    with time_machine.travel(at(10), tick=False):
        if state == "paid":
            hourly.invoice_approve(invoice=invoice, by=client)
        elif state in ("disputed", "refunded"):
            hourly.invoice_dispute(invoice=invoice, by=client, reason="Too many hours.")
            if state == "refunded":
                hourly.invoice_resolve(invoice=invoice, by=staff, resolution="refund")
    invoice.refresh_from_db()
    assert invoice.status == state
    return invoice


def ask(api, invoice: WeeklyInvoice, action: str):
    if action == "approve":
        return api.post(f"/api/invoices/{invoice.pk}/approve")
    if action == "dispute":
        return api.post(f"/api/invoices/{invoice.pk}/dispute", {"reason": "Not what we agreed."}, format="json")
    resolution = action.split("-")[1]
    body = {"resolution": resolution, "note": "Decided."}
    if resolution == "split":
        body["freelancer_amount"] = "50.00"
    return api.post(f"/api/invoices/{invoice.pk}/resolve", body, format="json")


def snapshot(invoice: WeeklyInvoice) -> tuple:
    invoice.refresh_from_db()
    return (invoice.status, invoice.resolution, invoice.payment_error,
            WeeklyInvoiceStatusChange.objects.filter(weeklyinvoice=invoice).count(),
            Payment.objects.count(), PaymentOperation.objects.count())


@pytest.mark.parametrize("state", STATES)
def test_every_action_by_every_caller(state, people, client_for):
    refused_on = invoice_in(state, people)
    with time_machine.travel(at(10, 12), tick=False):
        apis = {name: client_for(user) for name, user in people.items()}
        for action in ACTIONS:
            for caller in CALLERS:
                expected = ALLOWED.get((state, action, caller))
                if expected is not None:
                    continue
                before = snapshot(refused_on)
                response = ask(apis[caller], refused_on, action)
                if caller in ACTORS[action]:
                    status = 409
                elif caller == "freelancer" and "client" in ACTORS[action]:
                    status = 403
                else:
                    status = 404
                assert response.status_code == status, (state, action, caller, response.json())
                assert snapshot(refused_on) == before, (state, action, caller)
    for (source, action, caller), expected in ALLOWED.items():
        if source != state:
            continue
        invoice = invoice_in(state, people)
        with time_machine.travel(at(10, 12), tick=False):
            response = ask(client_for(people[caller]), invoice, action)
        assert response.status_code == 200, (state, action, caller, response.json())
        invoice.refresh_from_db()
        assert invoice.status == expected
        assert WeeklyInvoiceStatusChange.objects.filter(weeklyinvoice=invoice).last().to_status == expected


@pytest.mark.parametrize("state", STATES)
def test_the_timed_jobs_move_only_what_they_may(state, people):
    invoice = invoice_in(state, people)
    # Friday 13 November: the review of the week of 2 November is over; the week of 9 November has not ended.
    with time_machine.travel(at(13, 1), tick=False):
        hourly.weeks_close_due()
        hourly.invoices_charge_due()
    invoice.refresh_from_db()
    assert invoice.status == JOBS.get((state, "charge"), state)
    # Monday 16 November: the week of 9 November is closed.
    with time_machine.travel(at(16, 1), tick=False):
        hourly.weeks_close_due()
    invoice.refresh_from_db()
    assert invoice.status == JOBS.get((state, "close"), JOBS.get((state, "charge"), state))


def test_the_table_is_the_one_written_out_here():
    table = {(source, action): (rule.to, set(rule.actors)) for (source, action), rule in hourly.INVOICE_MOVES.items()}
    assert table == {
        ("open", "close"): ("in_review", {"system"}),
        ("in_review", "approve"): ("paid", {"client"}),
        ("in_review", "charge"): ("paid", {"system"}),
        ("in_review", "dispute"): ("disputed", {"client"}),
        ("disputed", "resolve_release"): ("paid", {"staff", "system"}),
        ("disputed", "resolve_split"): ("paid", {"staff", "system"}),
        ("disputed", "resolve_refund"): ("refunded", {"staff"}),
    }
