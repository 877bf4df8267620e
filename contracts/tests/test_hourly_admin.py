"""Staff decide a disputed week from the admin, and remove a saved card: the actions call the services."""

import pytest
import time_machine
from django.contrib.messages import get_messages

from contracts import hourly
from contracts.models import WeeklyInvoice
from payments.methods import card_save
from payments.models import Payment, SavedCard
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced

from .hourly_helpers import at, cents, fee_cents, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def disputed_week(client_user, freelancer_user) -> WeeklyInvoice:
    with time_machine.travel(at(3), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "60.00")
        card_save(user=client_user, payment_method="pm_card_visa")
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=150)
    with time_machine.travel(at(9, 1), tick=False):
        invoice = hourly.week_close(contract=contract, week_start=at(2).date())
    with time_machine.travel(at(10), tick=False):
        return hourly.invoice_dispute(invoice=invoice, by=client_user, reason="Half of it was a call we skipped.")


def run_action(client, model: str, action: str, ids: list[int]):
    return client.post(f"/admin/{model.replace('.', '/')}/", {"action": action, "_selected_action": ids})


@pytest.mark.parametrize(("action", "status", "charged"), [("resolve_release", "paid", cents(150, "60.00")),
                                                            ("resolve_refund", "refunded", 0)])
def test_staff_decide_a_disputed_week(client, staff_user, client_user, freelancer_user, action, status, charged):
    invoice = disputed_week(client_user, freelancer_user)
    client.force_login(staff_user)
    with time_machine.travel(at(11), tick=False):
        response = run_action(client, "contracts.weeklyinvoice", action, [invoice.pk])
        assert response.status_code == 302
        assert any("1 week decided" in str(m) for m in get_messages(response.wsgi_request))
        again = run_action(client, "contracts.weeklyinvoice", action, [invoice.pk])
        assert any("not waiting for a decision" in str(m) for m in get_messages(again.wsgi_request))
    invoice.refresh_from_db()
    assert invoice.status == status and invoice.resolved_by == staff_user
    assert sum(Payment.objects.filter(user=client_user, kind="funding").values_list("amount", flat=True)) == charged
    released = Payment.objects.filter(user=freelancer_user, kind="release").values_list("amount", flat=True)
    assert sum(released) == charged - fee_cents(charged)
    assert_ledger_balanced()


def test_staff_remove_a_saved_card(client, staff_user, client_user):
    card = card_save(user=client_user, payment_method="pm_card_visa").card
    client.force_login(staff_user)
    response = run_action(client, "payments.savedcard", "remove_cards", [card.pk])
    assert any("1 card removed" in str(m) for m in get_messages(response.wsgi_request))
    assert not SavedCard.objects.filter(pk=card.pk).exists()
    assert stripe_sdk().PaymentMethod.retrieve(card.stripe_payment_method_id)["customer"] is None


def test_staff_split_a_disputed_week_through_the_form(client, staff_user, client_user, freelancer_user):
    invoice = disputed_week(client_user, freelancer_user)
    week_gross = cents(150, "60.00")  # 2 h 30 min at 60.00 an hour
    client.force_login(staff_user)
    url = "/admin/contracts/weeklyinvoice/"
    with time_machine.travel(at(11), tick=False):
        form = run_action(client, "contracts.weeklyinvoice", "resolve_split", [invoice.pk])
        assert form.status_code == 200
        assert "150.00 USD" in form.content.decode() and "Half of it was a call we skipped." in form.content.decode()
        for amount, error in (("0", "greater than or equal to 0.01"), ("150.00", "Less than the week"),
                              ("200", "Less than the week"), ("", "This field is required")):
            refused = client.post(url, {"action": "resolve_split", "_selected_action": [invoice.pk],
                                        "apply": "yes", "freelancer_amount": amount})
            assert refused.status_code == 200 and error in refused.content.decode()
            invoice.refresh_from_db()
            assert (invoice.status, invoice.resolution) == ("disputed", "")
            assert not Payment.objects.exists()
        done = client.post(url, {"action": "resolve_split", "_selected_action": [invoice.pk], "apply": "yes",
                                 "freelancer_amount": "92.40", "note": "One call did not happen."})
        assert done.status_code == 302
        assert any("Week split: 92.40 USD" in str(m) for m in get_messages(done.wsgi_request))
        again = client.post(url, {"action": "resolve_split", "_selected_action": [invoice.pk], "apply": "yes",
                                  "freelancer_amount": "50.00"})
        assert any("not waiting for a decision" in str(m) for m in get_messages(again.wsgi_request))
    invoice.refresh_from_db()
    part = 9240
    assert part < week_gross
    assert (invoice.status, invoice.resolution, invoice.resolved_by) == ("paid", "split", staff_user)
    assert list(Payment.objects.filter(user=client_user, kind="funding").values_list("amount", flat=True)) == [part]
    assert list(Payment.objects.filter(user=freelancer_user, kind="release").values_list("amount", flat=True)) == [
        part - fee_cents(part)]
    assert stripe_sdk().PaymentIntent.retrieve(invoice.payment_intent_id)["amount"] == part
    assert_ledger_balanced()
