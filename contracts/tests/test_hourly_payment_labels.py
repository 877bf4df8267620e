"""A charged week reads as hours, not as a milestone, wherever people read their payments: the payments page,
the receipt and the API, for the client and the freelancer alike; the API's `kind` stays."""

import re

import pytest
import time_machine

from contracts import hourly
from payments.methods import card_save
from payments.models import Payment

from .hourly_helpers import at, cents, fee_cents, make_hourly_contract, money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_charged_week_reads_as_hours_for_both_parties(client, client_for, client_user, freelancer_user):
    with time_machine.travel(at(3), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "40.00")
        card_save(user=client_user, payment_method="pm_card_visa")
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=95)
    with time_machine.travel(at(9, 1), tick=False):
        invoice = hourly.week_close(contract=contract, week_start=at(2).date())
    with time_machine.travel(at(10), tick=False):
        hourly.invoice_approve(invoice=invoice, by=client_user)
    gross = cents(95, "40.00")
    net = gross - fee_cents(gross)
    week = "week of 2 November 2026"
    expected = {client_user: ("funding", "Weekly hours charged", gross),
                freelancer_user: ("release", "Payment for weekly hours", net)}
    for person, (kind, label, amount) in expected.items():
        payment = Payment.objects.get(user=person, kind=kind)
        client.force_login(person)
        row = re.search(rf'<tr id="payment-{payment.pk}">.*?</tr>', client.get("/payments/").content.decode(), re.S)
        shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0)))
        assert label in shown and f"Hours for the {week}" in shown and f"{money(amount)} USD" in shown
        assert "milestone" not in shown.lower()
        receipt = text(client.get(f"/payments/{payment.pk}/receipt/"))
        assert f"What {label}" in receipt and "Hours Week of 2 November 2026" in receipt
        assert "Milestone" not in receipt
        # The PDF is drawn from the same receipt lines as the page.
        assert client.get(f"/payments/{payment.pk}/receipt.pdf")["Content-Type"] == "application/pdf"
        api = client_for(person)
        row = next(r for r in api.get("/api/payments").json()["results"] if r["id"] == payment.pk)
        assert (row["kind"], row["label"], row["description"], row["amount"]) == (
            kind, label, f"Hours for the {week}", money(amount))
        assert api.get(f"/api/payments/{payment.pk}/receipt").json()["label"] == label
