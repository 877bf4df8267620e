"""The whole money flow over HTTP against the Stripe emulator: fund, submit, approve, fee, transfer, ledger;
refunds, disputes with each resolution, and approval after 14 days."""

import time
from decimal import Decimal

import pytest
import time_machine

from contracts.escrow import auto_release_due
from contracts.models import Milestone
from contracts.tests.factories import make_contract
from payments.models import LedgerAccount, Payment, Payout
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import (
    DECLINED_CARD,
    THREE_D_SECURE_CARD,
    add_milestone,
    assert_ledger_balanced,
    balance,
    card,
    emulator_available,
    escrow_of,
    fund,
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


@pytest.fixture
def contract(client_user, freelancer_user):
    return make_contract(client_user, freelancer_user)


@pytest.fixture
def client_api(client_for, client_user):
    return client_for(client_user)


@pytest.fixture
def freelancer_api(client_for, freelancer_user):
    return client_for(freelancer_user)


def payments_of(api, **params):
    return api.get("/api/payments", params).json()["results"]


def test_fund_submit_approve_pays_the_freelancer_less_the_fee(
    contract, client_api, freelancer_api, stripe_emulator, django_capture_on_commit_callbacks
):
    milestone = add_milestone(client_api, contract.id, "1000.00")
    assert milestone["status"] == "pending"
    assert milestone["platform_fee"] == "100.00" and milestone["freelancer_receives"] == "900.00"

    funded = fund(client_api, milestone["id"])
    assert funded.status_code == 200, funded.json()
    assert funded.json()["status"] == "succeeded" and funded.json()["milestone"]["status"] == "funded"
    assert escrow_of(contract.id) == Decimal("1000.00")
    assert [(p["kind"], p["amount"], p["currency"]) for p in payments_of(client_api)] == [
        ("funding", "1000.00", "usd")]
    assert emulator_available() == 100000

    assert submit(freelancer_api, milestone["id"]).json()["status"] == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        approved = client_api.post(f"/api/milestones/{milestone['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "released"
    assert escrow_of(contract.id) == 0

    # Released at once, held until the freelancer can receive payouts.
    rows = {p["kind"]: p for p in payments_of(freelancer_api)}
    assert rows["release"]["amount"] == "900.00" and rows["release"]["payout_status"] == "held"
    assert rows["fee"]["amount"] == "100.00"
    summary = freelancer_api.get("/api/payments/summary").json()
    assert summary["earnings_pending"] == "900.00" and summary["earnings_paid"] == "0.00"

    # Onboarding completes; the held payout is transferred once.
    onboard = freelancer_api.post("/api/payments/connect/onboard", {}, format="json")
    assert onboard.status_code == 200 and onboard.json()["url"].startswith("http")
    account_id = freelancer_api.get("/api/payments/connect/status").json()["stripe_account_id"]
    stripe_emulator.complete_onboarding(account_id)
    with django_capture_on_commit_callbacks(execute=True):
        status = freelancer_api.get("/api/payments/connect/status").json()
    assert status["onboarded"] is True
    rows = {p["kind"]: p for p in payments_of(freelancer_api)}
    assert rows["release"]["payout_status"] == "paid"
    transfers = stripe_sdk().Transfer.list(destination=account_id)["data"]
    assert [(t["amount"], t["currency"]) for t in transfers] == [(90000, "usd")]

    # The ledger balances and matches what Stripe holds: 1000 in, 900 out, 100 fee stays.
    assert_ledger_balanced()
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available() == 10000
    assert -balance(LedgerAccount.PLATFORM_FEES) == 10000



def test_a_transfer_stripe_refuses_changes_nothing_and_the_next_try_asks_with_a_new_key(
    contract, client_api, freelancer_api, freelancer_user, stripe_emulator
):
    from payments.models import LedgerTransaction, PaymentOperation
    from payments.payouts import payouts_send
    from tests.helpers.money import held_payout, payout_account_ready, transfers_to

    payout = held_payout(client_api, freelancer_api, contract.id, "500.00")
    # The app believes the account can receive; Stripe has not finished onboarding it and refuses.
    account = payout_account_ready(stripe_emulator, freelancer_user, onboarded_at_stripe=False)
    result = payouts_send(user_id=freelancer_user.pk)
    assert (result.sent, result.refused, result.unavailable) == (0, 1, 0)
    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id, payout.refusals) == ("held", "", 1)
    assert "transfers" in payout.last_error
    assert Payment.objects.get(kind="release").payout_status == "held"
    assert LedgerTransaction.objects.filter(kind="payout").count() == 0
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == -45000
    assert transfers_to(account.stripe_account_id) == []

    # Stripe keeps a refusal under its key: once onboarding is finished, the next try uses a new one.
    stripe_emulator.complete_onboarding(account.stripe_account_id)
    assert payouts_send(user_id=freelancer_user.pk).sent == 1
    assert [(op.idempotency_key, op.status) for op in PaymentOperation.objects.filter(kind="transfer")] == [
        (f"payout-{payout.pk}-0", "failed"), (f"payout-{payout.pk}-1", "booked")]
    assert [t["amount"] for t in transfers_to(account.stripe_account_id)] == [45000]
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == 0
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available() == 5000
    assert_ledger_balanced()

def test_a_declined_card_leaves_the_milestone_unfunded(contract, client_api):
    milestone = add_milestone(client_api, contract.id)
    response = fund(client_api, milestone["id"], card(DECLINED_CARD))
    assert response.status_code == 402
    assert response.json()["error_type"] == "card_declined"
    assert "declined" in response.json()["detail"].lower()
    assert Milestone.objects.get(pk=milestone["id"]).status == "pending"
    assert not Payment.objects.exists()
    # A good card afterwards works.
    assert fund(client_api, milestone["id"]).json()["status"] == "succeeded"


def test_three_d_secure_asks_for_confirmation(contract, client_api):
    milestone = add_milestone(client_api, contract.id)
    body = fund(client_api, milestone["id"], card(THREE_D_SECURE_CARD)).json()
    assert body["status"] == "requires_action"
    assert body["client_secret"] and "confirm" in body["detail"].lower()
    assert body["milestone"]["status"] == "pending"


def test_without_a_payment_method_the_answer_is_a_client_secret(contract, client_api):
    milestone = add_milestone(client_api, contract.id)
    body = client_api.post(f"/api/milestones/{milestone['id']}/fund", {}, format="json").json()
    assert body["status"] == "requires_payment_method" and body["client_secret"]
    again = client_api.post(f"/api/milestones/{milestone['id']}/fund", {}, format="json").json()
    assert again["client_secret"] == body["client_secret"]  # the same PaymentIntent, not a second one


def test_who_may_do_what(contract, client_api, freelancer_api, client_for, make_user, api_client):
    milestone = add_milestone(client_api, contract.id)
    stranger = client_for(make_user("client"))
    assert stranger.get(f"/api/milestones/{milestone['id']}").status_code == 404
    assert stranger.post(f"/api/milestones/{milestone['id']}/fund", {}, format="json").status_code == 404
    assert api_client.post(f"/api/milestones/{milestone['id']}/approve").status_code == 401
    assert freelancer_api.post(f"/api/milestones/{milestone['id']}/fund", {}, format="json").status_code == 403
    assert freelancer_api.post(f"/api/contracts/{contract.id}/milestones", {"title": "x", "amount": "5"},
                               format="json").status_code == 403
    fund(client_api, milestone["id"])
    assert client_api.post(f"/api/milestones/{milestone['id']}/submit", {}, format="json").status_code == 403
    assert freelancer_api.post(f"/api/milestones/{milestone['id']}/approve").status_code == 403


@pytest.mark.parametrize(("field", "value"), [("amount", "0"), ("amount", "-5"), ("amount", "12.345"),
                                              ("title", ""), ("currency", "eur")])
def test_bad_milestones(contract, client_api, field, value):
    body = {"title": "Part one", "amount": "100.00", field: value}
    response = client_api.post(f"/api/contracts/{contract.id}/milestones", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_changes_requested_go_back_to_funded(contract, client_api, freelancer_api):
    milestone = add_milestone(client_api, contract.id)
    fund(client_api, milestone["id"])
    submit(freelancer_api, milestone["id"])
    back = client_api.post(f"/api/milestones/{milestone['id']}/request-changes", {"note": "Fix the footer"},
                           format="json")
    assert back.json()["status"] == "funded" and back.json()["auto_release_at"] is None
    assert len(submit(freelancer_api, milestone["id"], "Footer fixed").json()["submissions"]) == 2


def test_the_freelancer_refunds_to_the_card(contract, client_api, freelancer_api):
    milestone = add_milestone(client_api, contract.id, "250.00")
    fund(client_api, milestone["id"])
    # The client asks; nothing moves until the freelancer agrees.
    asked = client_api.post(f"/api/milestones/{milestone['id']}/refund", {"note": "Plans changed"}, format="json")
    assert asked.status_code == 200
    assert asked.json()["status"] == "funded" and asked.json()["refund_requested_at"]
    assert escrow_of(contract.id) == Decimal("250.00")
    from messaging.models import Notification

    assert Notification.objects.filter(user=contract.freelancer, title__contains="asks for a refund").exists()
    response = freelancer_api.post(f"/api/milestones/{milestone['id']}/refund", {"note": "Can't do it"},
                                   format="json")
    assert response.json()["status"] == "refunded"
    assert escrow_of(contract.id) == 0
    kinds = [(p["kind"], p["amount"]) for p in payments_of(client_api)]
    assert ("refund", "250.00") in kinds
    refunds = stripe_sdk().Refund.list()["data"]
    assert [r["amount"] for r in refunds] == [25000]
    assert client_api.get("/api/payments/summary").json()["spent"] == "0.00"
    assert_ledger_balanced()
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available() == 0


@pytest.mark.parametrize(("resolution", "freelancer_amount", "escrow_status", "net", "refunded"), [
    ("release", None, "released", "900.00", None),
    ("refund", None, "refunded", None, "1000.00"),
    ("split", "300.00", "released", "270.00", "700.00"),
])
def test_disputes_are_settled_by_staff(contract, client_api, freelancer_api, client_for, staff_user, resolution,
                                       freelancer_amount, escrow_status, net, refunded):
    milestone = add_milestone(client_api, contract.id, "1000.00")
    fund(client_api, milestone["id"])
    submit(freelancer_api, milestone["id"])
    opened = client_api.post(f"/api/contracts/{contract.id}/dispute",
                             {"milestone_id": milestone["id"], "reason": "The work is not what we agreed."},
                             format="json")
    assert opened.status_code == 201, opened.json()
    dispute = opened.json()
    assert client_api.get(f"/api/contracts/{contract.id}").json()["status"] == "disputed"
    # While disputed nothing is released.
    assert client_api.post(f"/api/milestones/{milestone['id']}/approve").status_code == 409
    assert client_for(staff_user).get("/api/disputes", {"status": "open"}).json()["count"] == 1
    assert client_api.post(f"/api/disputes/{dispute['id']}/resolve", {"resolution": "refund"},
                           format="json").status_code == 404

    body = {"resolution": resolution, "note": "Decided after reading both sides."}
    if freelancer_amount:
        body["freelancer_amount"] = freelancer_amount
    resolved = client_for(staff_user).post(f"/api/disputes/{dispute['id']}/resolve", body, format="json")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["status"] == "resolved"
    assert client_api.get(f"/api/milestones/{milestone['id']}").json()["status"] == escrow_status
    assert client_api.get(f"/api/contracts/{contract.id}").json()["status"] == "active"
    releases = [p["amount"] for p in payments_of(freelancer_api, kind="release")]
    refunds = [p["amount"] for p in payments_of(client_api, kind="refund")]
    assert releases == ([net] if net else [])
    assert refunds == ([refunded] if refunded else [])
    assert escrow_of(contract.id) == 0
    assert_ledger_balanced()
    again = client_for(staff_user).post(f"/api/disputes/{dispute['id']}/resolve", body, format="json")
    assert again.status_code == 409


def test_a_split_must_leave_something_for_both(contract, client_api, freelancer_api, client_for, staff_user):
    milestone = add_milestone(client_api, contract.id, "100.00")
    fund(client_api, milestone["id"])
    dispute = freelancer_api.post(f"/api/contracts/{contract.id}/dispute",
                                  {"milestone_id": milestone["id"], "reason": "No answer for weeks."},
                                  format="json").json()
    response = client_for(staff_user).post(f"/api/disputes/{dispute['id']}/resolve",
                                           {"resolution": "split", "freelancer_amount": "100.00"}, format="json")
    assert response.status_code == 400
    assert Milestone.objects.get(pk=milestone["id"]).status == "disputed"


def test_submitted_work_is_approved_after_14_days_with_a_reminder_5_days_before(
    contract, client_api, freelancer_api, client_user, django_capture_on_commit_callbacks
):
    from django.core import mail

    milestone = add_milestone(client_api, contract.id, "500.00")
    fund(client_api, milestone["id"])
    submit(freelancer_api, milestone["id"])
    start = time.time()
    with time_machine.travel(start + 8 * 86400):
        assert auto_release_due() == {"released": 0, "reminded": 0}
    with time_machine.travel(start + 9 * 86400 + 60), django_capture_on_commit_callbacks(execute=True):
        assert auto_release_due() == {"released": 0, "reminded": 1}
        assert auto_release_due() == {"released": 0, "reminded": 0}
    assert any((m.to == [client_user.email] and "automatic" in m.subject.lower()) or "approved" in m.body.lower()
               for m in mail.outbox)
    with time_machine.travel(start + 14 * 86400 + 60):
        assert auto_release_due() == {"released": 1, "reminded": 0}
    assert client_api.get(f"/api/milestones/{milestone['id']}").json()["status"] == "released"
    assert [p["amount"] for p in payments_of(freelancer_api, kind="release")] == ["450.00"]


def test_a_disputed_milestone_is_never_auto_approved(contract, client_api, freelancer_api):
    milestone = add_milestone(client_api, contract.id)
    fund(client_api, milestone["id"])
    submit(freelancer_api, milestone["id"])
    freelancer_api.post(f"/api/contracts/{contract.id}/dispute",
                        {"milestone_id": milestone["id"], "reason": "Client went silent."}, format="json")
    with time_machine.travel(time.time() + 30 * 86400):
        assert auto_release_due()["released"] == 0
    assert Milestone.objects.get(pk=milestone["id"]).status == "disputed"


def test_completing_needs_settled_escrow(contract, client_api, freelancer_api):
    milestone = add_milestone(client_api, contract.id)
    fund(client_api, milestone["id"])
    blocked = client_api.post(f"/api/contracts/{contract.id}/complete")
    assert blocked.status_code == 409 and blocked.json()["error_type"] == "escrow_not_settled"
    submit(freelancer_api, milestone["id"])
    client_api.post(f"/api/milestones/{milestone['id']}/approve")
    assert client_api.post(f"/api/contracts/{contract.id}/complete").json()["status"] == "completed"


def test_payments_are_the_callers_own(contract, client_api, freelancer_api, client_for, make_user):
    milestone = add_milestone(client_api, contract.id)
    fund(client_api, milestone["id"])
    payment = payments_of(client_api)[0]
    assert client_api.get(f"/api/payments/{payment['id']}").status_code == 200
    receipt = client_api.get(f"/api/payments/{payment['id']}/receipt").json()
    assert receipt["receipt_number"].startswith("ML-") and receipt["amount"] == "1000.00"
    assert freelancer_api.get(f"/api/payments/{payment['id']}").status_code == 404
    assert client_for(make_user("client")).get(f"/api/payments/{payment['id']}/receipt").status_code == 404
    assert Payout.objects.count() == 0
