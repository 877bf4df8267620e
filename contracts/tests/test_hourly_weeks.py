"""An hourly contract walked through three weeks with a frozen clock: time logged over the weekly limit, a week
reviewed and charged, a week disputed and split by staff, a week whose card is declined and then paid with a new
card. Each time the freelancer is paid what the hours, the rate and the fee come to (computed here apart from
the code), and the ledger balances."""

import pytest
import time_machine

from contracts import hourly
from contracts.models import WeeklyInvoice
from core.models import OutboundEmail
from messaging.models import Notification
from payments.models import LedgerAccount, Payment, PaymentOperation
from payments.stripe_client import sdk as stripe_sdk
from payments.stripe_events import payment_failed_tell
from tests.helpers.money import assert_ledger_balanced, balance, emulator_available

from .hourly_helpers import at, cents, fee_cents, make_hourly_contract, money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]
RATE = "47.35"


def log(api, contract_id: int, day: str, minutes: int, memo: str = "Booking calendar"):
    response = api.post(f"/api/contracts/{contract_id}/time-entries",
                        {"date": day, "minutes": minutes, "memo": memo}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def invoices(api, contract_id: int) -> dict[str, dict]:
    response = api.get(f"/api/contracts/{contract_id}/invoices")
    assert response.status_code == 200
    return {row["week_start"]: row for row in response.json()["results"]}


def test_three_weeks_of_hours_are_billed_reviewed_charged_and_paid(client_user, freelancer_user, staff_user,
                                                                   client_for):
    with time_machine.travel(at(2), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, RATE)
        client, freelancer = client_for(client_user), client_for(freelancer_user)
        shown = client.get(f"/api/contracts/{contract.pk}").json()
        assert (shown["contract_type"], shown["hourly_rate"], shown["weekly_limit_hours"]) == ("hourly", RATE, None)
        # No card yet: time cannot be billed.
        refused = freelancer.post(f"/api/contracts/{contract.pk}/time-entries",
                                  {"date": "2026-11-02", "minutes": 60}, format="json")
        assert refused.status_code == 409 and refused.json()["error_type"] == "no_saved_card"
        saved = client.post("/api/payments/methods", {"payment_method": "pm_card_visa"}, format="json")
        assert saved.status_code == 201 and saved.json()["card"]["last4"] == "4242"
        assert client.patch(f"/api/contracts/{contract.pk}", {"weekly_limit_hours": 10},
                            format="json").json()["weekly_limit_hours"] == 10
        log(freelancer, contract.pk, "2026-11-02", 240)
    with time_machine.travel(at(4, 18), tick=False):
        freelancer = client_for(freelancer_user)
        log(freelancer, contract.pk, "2026-11-03", 300, "Reminder e-mails")
        log(freelancer, contract.pk, "2026-11-04", 200, "Reports")
        week1 = invoices(client_for(client_user), contract.pk)["2026-11-02"]
        assert week1["status"] == "open" and week1["minutes"] == 0  # figures are fixed when the week closes

    # Monday: week 1 closes. 740 minutes logged, 600 within the 10-hour limit.
    with time_machine.travel(at(9, 0, 30), tick=False):
        assert hourly.weeks_close_due() == {"closed": 1}
        assert hourly.weeks_close_due() == {"closed": 0}  # a second run changes nothing
        client = client_for(client_user)
        week1 = invoices(client, contract.pk)["2026-11-02"]
        assert (week1["status"], week1["minutes"], week1["billable_minutes"], week1["over_limit_minutes"]) == (
            "in_review", 740, 600, 140)
        assert week1["amount"] == money(cents(600, RATE)) == "473.50"
        assert week1["weekly_limit_hours"] == 10 and week1["review_ends_at"] == "2026-11-13T00:00:00Z"
        assert Notification.objects.filter(user=client_user, data__invoice_id=week1["id"]).exists()
        assert OutboundEmail.objects.filter(to_email=client_user.email, template="hourly_invoice").count() == 1
        # The closed week's time can no longer change.
        freelancer = client_for(freelancer_user)
        entry = freelancer.get(f"/api/contracts/{contract.pk}/time-entries?week=2026-11-02").json()["results"][0]
        refused = freelancer.patch(f"/api/time-entries/{entry['id']}", {"minutes": 30}, format="json")
        assert refused.status_code == 409 and refused.json()["error_type"] == "week_closed"
        assert freelancer.delete(f"/api/time-entries/{entry['id']}").status_code == 409
        # The limit changes for the weeks not closed yet; week 1 keeps its own.
        client.patch(f"/api/contracts/{contract.pk}", {"weekly_limit_hours": 20}, format="json")
        log(freelancer, contract.pk, "2026-11-09", 433, "Payment page")

    # Thursday: the client is reminded the review ends soon; Friday the card is charged.
    with time_machine.travel(at(12, 6), tick=False):
        assert hourly.reviews_remind_due() == {"reminded": 1}
        assert hourly.reviews_remind_due() == {"reminded": 0}
    with time_machine.travel(at(13, 0, 30), tick=False):
        assert hourly.invoices_charge_due() == {"charged": 1, "failed": 0, "skipped": 0}
        assert hourly.invoices_charge_due() == {"charged": 0, "failed": 0, "skipped": 0}
    week1_gross = cents(600, RATE)
    week1_net = week1_gross - fee_cents(week1_gross)
    assert WeeklyInvoice.objects.get(week_start="2026-11-02").status == "paid"
    assert Payment.objects.get(user=client_user, kind="funding").amount == week1_gross
    assert Payment.objects.get(user=freelancer_user, kind="release").amount == week1_net == 42615
    assert emulator_available() == week1_gross

    # Week 2: 433 minutes, under the new 20-hour limit; the client disputes, staff split it.
    with time_machine.travel(at(16, 0, 30), tick=False):
        assert hourly.weeks_close_due() == {"closed": 1}
        client = client_for(client_user)
        week2 = invoices(client, contract.pk)["2026-11-09"]
        assert (week2["minutes"], week2["billable_minutes"], week2["weekly_limit_hours"]) == (433, 433, 20)
        assert week2["amount"] == money(cents(433, RATE)) == "341.71"  # 341.708333... rounded half-up
        disputed = client.post(f"/api/invoices/{week2['id']}/dispute", {"reason": "Two hours were a meeting we "
                                                                                    "cancelled."}, format="json")
        assert disputed.status_code == 200 and disputed.json()["status"] == "disputed"
    with time_machine.travel(at(20, 12), tick=False):
        assert hourly.invoices_charge_due()["charged"] == 0  # a disputed week is not charged
        staff = client_for(staff_user)
        resolved = staff.post(f"/api/invoices/{week2['id']}/resolve",
                              {"resolution": "split", "freelancer_amount": "300.00", "note": "Meeting removed."},
                              format="json")
        assert resolved.status_code == 200, resolved.json()
        assert (resolved.json()["status"], resolved.json()["charged_amount"]) == ("paid", "300.00")
    week2_net = 30000 - fee_cents(30000)
    releases = sorted(Payment.objects.filter(user=freelancer_user, kind="release").values_list("amount", flat=True))
    assert releases == sorted([week1_net, week2_net])

    # Week 3: the client's new card is declined; the week waits, the client is told, a new card pays it.
    with time_machine.travel(at(17, 10), tick=False):
        client, freelancer = client_for(client_user), client_for(freelancer_user)
        old = client.get("/api/payments/methods").json()[0]
        assert client.post("/api/payments/methods", {"payment_method": "pm_card_chargeCustomerFail"},
                           format="json").status_code == 201
        assert client.delete(f"/api/payments/methods/{old['id']}").status_code == 204
        log(freelancer, contract.pk, "2026-11-17", 120, "Bug fixes")
    with time_machine.travel(at(23, 0, 30), tick=False):
        assert hourly.weeks_close_due() == {"closed": 1}
        early = client_for(client_user).post(f"/api/contracts/{contract.pk}/complete")
        assert early.status_code == 409 and early.json()["error_type"] == "hours_not_settled"
    with time_machine.travel(at(27, 0, 30), tick=False):
        assert hourly.invoices_charge_due() == {"charged": 0, "failed": 1, "skipped": 0}
        assert hourly.invoices_charge_due() == {"charged": 0, "failed": 0, "skipped": 0}  # waits for a new card
        week3 = WeeklyInvoice.objects.get(week_start="2026-11-16")
        assert week3.status == "in_review" and "declined" in week3.payment_error
        assert Notification.objects.filter(user=client_user, kind="payment_failed").count() == 1
        assert OutboundEmail.objects.filter(to_email=client_user.email, subject__contains="could not charge").exists()
        # Stripe's `payment_intent.payment_failed` for the same charge, as the webhook hands it on: the client
        # was told already, in the week's own words, so the generic notice stays silent.
        declined = stripe_sdk().PaymentIntent.search(query=f"metadata['invoice_id']:'{week3.pk}'")["data"]
        assert len(declined) == 1 and declined[0]["status"] != "succeeded"
        assert payment_failed_tell(declined[0], "Your card was declined.") is None
        assert Notification.objects.filter(user=client_user, kind="payment_failed").count() == 1
        client = client_for(client_user)
        assert client.post("/api/payments/methods", {"payment_method": "pm_card_visa"},
                           format="json").status_code == 201
    week3.refresh_from_db()
    assert week3.status == "paid" and week3.payment_error == ""
    week3_gross = cents(120, RATE)
    week3_net = week3_gross - fee_cents(week3_gross)
    assert week3_gross == 9470 and week3_net == 8523

    # The money, everywhere a person or the accounts look.
    nets = [week1_net, week2_net, week3_net]
    grosses = [week1_gross, 30000, week3_gross]
    assert sorted(Payment.objects.filter(user=freelancer_user, kind="release").values_list("amount", flat=True)) \
        == sorted(nets)
    assert sorted(Payment.objects.filter(user=client_user, kind="funding").values_list("amount", flat=True)) \
        == sorted(grosses)
    assert -balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == sum(nets)
    assert -balance(LedgerAccount.PLATFORM_FEES) == sum(fee_cents(g) for g in grosses)
    assert balance(LedgerAccount.ESCROW, contract_id=contract.pk) == 0
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available() == sum(grosses)
    assert_ledger_balanced()
    # One booked charge per paid week, and one refused by the bank.
    charges = PaymentOperation.objects.filter(kind="charge", subject_type="hourly_invoice")
    assert sorted(charges.values_list("status", flat=True)) == ["booked", "booked", "booked", "failed"]
    with time_machine.travel(at(27, 1), tick=False):
        listed = client_for(freelancer_user).get("/api/payments?kind=release").json()["results"]
        assert sorted(int(row["amount"].replace(".", "")) for row in listed) == sorted(nets)
        receipt = client_for(client_user).get(f"/api/payments/{Payment.objects.filter(user=client_user).first().pk}"
                                              "/receipt")
        assert receipt.status_code == 200
        # Every week is paid: the contract can be completed, and reviews open.
        done = client_for(client_user).post(f"/api/contracts/{contract.pk}/complete")
        assert done.status_code == 200 and done.json()["status"] == "completed"
