"""Every (state, action, caller) of the milestone, dispute and contract machines, through the API against the
Stripe emulator: what is allowed moves the status; everything else answers 409 (403 for the other party, 404
for someone outside the contract) and changes nothing: status, history, disputes, ledger, Stripe.

The expectations below are written out by hand from the product's rules, not read from the code's tables."""

from decimal import Decimal
from typing import Any

import pytest

from contracts import escrow
from contracts.models import Contract, ContractStatusChange, Dispute, Milestone, MilestoneStatusChange
from contracts.services import contract_set_status
from contracts.tests.factories import make_contract
from payments.models import LedgerTransaction, Payment
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced, emulator_available, escrow_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

MILESTONE_STATES = ["pending", "funded", "submitted", "released", "refunded", "disputed"]
CALLERS = ["client", "freelancer", "staff", "stranger"]

# Who may ever ask for each milestone action through the API (the other party gets 403; staff, who are not a
# party, and strangers get 404).
MILESTONE_ACTORS = {
    "fund": {"client"},
    "submit": {"freelancer"},
    "request-changes": {"client"},
    "approve": {"client"},
    "refund": {"client", "freelancer", "staff"},  # the client asks; the freelancer or staff give it back
    "dispute": {"client", "freelancer"},
}
# (state, action, caller) -> the milestone's status afterwards. Everything else is refused.
MILESTONE_ALLOWED = {
    ("pending", "fund", "client"): "funded",
    ("funded", "submit", "freelancer"): "submitted",
    ("submitted", "request-changes", "client"): "funded",
    ("submitted", "approve", "client"): "released",
    ("funded", "refund", "client"): "funded",
    ("submitted", "refund", "client"): "submitted",
    ("funded", "refund", "freelancer"): "refunded",
    ("submitted", "refund", "freelancer"): "refunded",
    ("funded", "refund", "staff"): "refunded",
    ("submitted", "refund", "staff"): "refunded",
    ("funded", "dispute", "client"): "disputed",
    ("funded", "dispute", "freelancer"): "disputed",
    ("submitted", "dispute", "client"): "disputed",
    ("submitted", "dispute", "freelancer"): "disputed",
}

AMOUNT = "1000.00"


@pytest.fixture
def people(client_user, freelancer_user, staff_user, make_user, client_for) -> dict[str, Any]:
    stranger = make_user("freelancer")
    return {"users": {"client": client_user, "freelancer": freelancer_user, "staff": staff_user,
                      "stranger": stranger},
            "apis": {"client": client_for(client_user), "freelancer": client_for(freelancer_user),
                     "staff": client_for(staff_user), "stranger": client_for(stranger)}}


def milestone_in(state: str, people: dict[str, Any], *, opener: str = "client") -> Milestone:
    """A milestone of a new contract brought to `state` through the services, as people would."""
    users = people["users"]
    client, freelancer = users["client"], users["freelancer"]
    contract = make_contract(client, freelancer)
    milestone = escrow.milestone_create(contract=contract, by=client,
                                        data={"title": "Design and build", "amount": Decimal(AMOUNT)})
    if state == "pending":
        return milestone
    escrow.milestone_fund(milestone=milestone, by=client, payment_method="pm_card_visa")
    if state == "refunded":
        escrow.milestone_refund(milestone=milestone, by=freelancer)
    elif state != "funded":
        escrow.milestone_submit(milestone=milestone, by=freelancer, note="Done.", files=[])
        if state == "released":
            escrow.milestone_approve(milestone=milestone, by=client)
        elif state == "disputed":
            escrow.dispute_open(contract=contract, milestone=milestone, by=users[opener], reason="Not as agreed.")
    milestone.refresh_from_db()
    assert milestone.status == state
    return milestone


def snapshot(milestone: Milestone) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    milestone.refresh_from_db()
    contract = Contract.objects.get(pk=milestone.contract_id)
    return {
        "milestone": (milestone.status, milestone.auto_release_at, milestone.refund_requested_at,
                      milestone.submissions.count()),
        "milestone history": MilestoneStatusChange.objects.filter(milestone=milestone).count(),
        "contract": (contract.status, ContractStatusChange.objects.filter(contract=contract).count()),
        "disputes": list(Dispute.objects.filter(milestone=milestone).values_list("status", flat=True)),
        "ledger": LedgerTransaction.objects.count(),
        "payments": Payment.objects.count(),
        "stripe balance": emulator_available(),
        "stripe refunds": len(stripe_sdk().Refund.list(limit=100)["data"]),
    }


def call_milestone_action(api, milestone: Milestone, action: str):
    if action == "fund":
        return api.post(f"/api/milestones/{milestone.pk}/fund", {"payment_method": "pm_card_visa"}, format="json")
    if action == "dispute":
        return api.post(f"/api/contracts/{milestone.contract_id}/dispute",
                        {"milestone_id": milestone.pk, "reason": "Something is wrong."}, format="json")
    return api.post(f"/api/milestones/{milestone.pk}/{action}", {"note": "A note."}, format="json")


def refusal_code(caller: str, actors: set[str]) -> int:
    if caller == "stranger" or (caller == "staff" and caller not in actors):
        return 404
    return 409 if caller in actors else 403


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", list(MILESTONE_ACTORS))
@pytest.mark.parametrize("state", MILESTONE_STATES)
def test_every_milestone_move(state, action, caller, people):
    milestone = milestone_in(state, people)
    before = snapshot(milestone)
    response = call_milestone_action(people["apis"][caller], milestone, action)
    expected = MILESTONE_ALLOWED.get((state, action, caller))
    if expected is None:
        assert response.status_code == refusal_code(caller, MILESTONE_ACTORS[action]), response.json()
        assert response.json()["error_type"]
        assert snapshot(milestone) == before
    else:
        assert response.status_code in (200, 201), response.json()
        milestone.refresh_from_db()
        assert milestone.status == expected
        assert MilestoneStatusChange.objects.filter(milestone=milestone).count() == before["milestone history"] + 1
    assert_ledger_balanced()


def test_automatic_approval_acts_only_on_submitted_work_that_is_due(people):
    """The timed job is the `system` caller: it releases a submitted milestone whose time has come, nothing else."""
    import time_machine
    from django.utils import timezone

    milestones = {state: milestone_in(state, people) for state in MILESTONE_STATES}
    before = {state: snapshot(m) for state, m in milestones.items() if state != "submitted"}
    with time_machine.travel(timezone.now() + timezone.timedelta(days=30)):
        escrow.auto_release_due()
    for state, milestone in milestones.items():
        if state == "submitted":
            milestone.refresh_from_db()
            assert milestone.status == "released"
        else:
            after = snapshot(milestone)
            assert after["milestone"] == before[state]["milestone"], state
            assert after["milestone history"] == before[state]["milestone history"], state


# --- a disputed milestone accepts nothing but the resolution or the opener's withdrawal --------------


def test_a_dispute_cannot_be_escaped_by_submitting_again_and_approving(people):
    """The freelancer re-submits a disputed milestone and the client approves it while the dispute is open:
    both are refused, no timer starts, and staff can still settle it."""
    apis = people["apis"]
    milestone = milestone_in("disputed", people)
    dispute = Dispute.objects.get(milestone=milestone)
    before = snapshot(milestone)

    again = apis["freelancer"].post(f"/api/milestones/{milestone.pk}/submit", {"note": "Here it is again."},
                                    format="json")
    assert again.status_code == 409
    assert snapshot(milestone) == before
    assert milestone.auto_release_at is None

    approved = apis["client"].post(f"/api/milestones/{milestone.pk}/approve")
    assert approved.status_code == 409
    assert snapshot(milestone) == before

    resolved = apis["staff"].post(f"/api/disputes/{dispute.pk}/resolve", {"resolution": "release"}, format="json")
    assert resolved.status_code == 200, resolved.json()
    milestone.refresh_from_db()
    assert milestone.status == "released"
    assert [p.amount for p in Payment.objects.filter(kind="release", milestone_id=milestone.pk)] == [90000]
    assert escrow_of(milestone.contract_id) == 0
    assert_ledger_balanced()


DISPUTE_STATES = ["open", "resolved", "withdrawn"]
DISPUTE_ACTIONS = ["release", "refund", "split", "withdraw"]
# The dispute was opened by the client. (state, action, caller) -> (dispute status, milestone status) afterwards.
DISPUTE_ALLOWED = {
    ("open", "release", "staff"): ("resolved", "released"),
    ("open", "refund", "staff"): ("resolved", "refunded"),
    ("open", "split", "staff"): ("resolved", "released"),
    ("open", "withdraw", "client"): ("withdrawn", "submitted"),
}


def dispute_in(state: str, people: dict[str, Any]) -> Dispute:
    milestone = milestone_in("disputed", people)
    dispute = Dispute.objects.get(milestone=milestone)
    if state == "resolved":
        escrow.dispute_resolve(dispute=dispute, by=people["users"]["staff"], resolution="refund")
    elif state == "withdrawn":
        escrow.dispute_withdraw(dispute=dispute, by=people["users"]["client"])
    dispute.refresh_from_db()
    assert dispute.status == state
    return dispute


def dispute_refusal_code(action: str, caller: str) -> int:
    if action == "withdraw":
        return {"client": 409, "freelancer": 403}.get(caller, 404)
    return 409 if caller == "staff" else 404


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", DISPUTE_ACTIONS)
@pytest.mark.parametrize("state", DISPUTE_STATES)
def test_every_dispute_move(state, action, caller, people):
    dispute = dispute_in(state, people)
    milestone = dispute.milestone
    before = snapshot(milestone)
    api = people["apis"][caller]
    if action == "withdraw":
        response = api.post(f"/api/disputes/{dispute.pk}/withdraw", {}, format="json")
    else:
        body = {"resolution": action, "note": "Decided."}
        if action == "split":
            body["freelancer_amount"] = "400.00"
        response = api.post(f"/api/disputes/{dispute.pk}/resolve", body, format="json")
    expected = DISPUTE_ALLOWED.get((state, action, caller))
    if expected is None:
        assert response.status_code == dispute_refusal_code(action, caller), response.json()
        assert snapshot(milestone) == before
    else:
        assert response.status_code == 200, response.json()
        dispute.refresh_from_db()
        milestone.refresh_from_db()
        assert (dispute.status, milestone.status) == expected
        assert Contract.objects.get(pk=milestone.contract_id).status == "active"
    assert_ledger_balanced()


def test_the_opener_withdraws_and_the_milestone_is_as_before_the_dispute(people):
    """Opened by the freelancer on funded work: only the freelancer may withdraw; it goes back to funded, the
    contract back to active, the money stays in escrow, and the client can then approve submitted work."""
    apis = people["apis"]
    milestone = milestone_in("funded", people)
    opened = apis["freelancer"].post(f"/api/contracts/{milestone.contract_id}/dispute",
                                     {"milestone_id": milestone.pk, "reason": "No answer for weeks."}, format="json")
    dispute_id = opened.json()["id"]
    assert apis["client"].post(f"/api/disputes/{dispute_id}/withdraw").status_code == 403

    withdrawn = apis["freelancer"].post(f"/api/disputes/{dispute_id}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.json()
    assert withdrawn.json()["status"] == "withdrawn"
    milestone.refresh_from_db()
    assert milestone.status == "funded"
    assert Contract.objects.get(pk=milestone.contract_id).status == "active"
    assert escrow_of(milestone.contract_id) == Decimal(AMOUNT)
    assert [c.to_status for c in milestone.status_changes.all()][-2:] == ["disputed", "funded"]
    assert apis["freelancer"].post(f"/api/milestones/{milestone.pk}/submit", {"note": "Done"},
                                   format="json").status_code == 200
    assert apis["client"].post(f"/api/milestones/{milestone.pk}/approve").status_code == 200
    assert_ledger_balanced()


def test_withdrawing_submitted_work_s_dispute_starts_a_new_review_window(people, settings):
    milestone = milestone_in("disputed", people)
    dispute = Dispute.objects.get(milestone=milestone)
    response = people["apis"]["client"].post(f"/api/disputes/{dispute.pk}/withdraw")
    assert response.status_code == 200
    milestone.refresh_from_db()
    assert milestone.status == "submitted"
    assert milestone.auto_release_at is not None
    from django.utils import timezone

    days = (milestone.auto_release_at - timezone.now()).total_seconds() / 86400
    assert settings.ESCROW_AUTO_RELEASE_DAYS - 1 < days <= settings.ESCROW_AUTO_RELEASE_DAYS


# --- the contract --------------------------------------------------------------------------------

CONTRACT_STATES = ["active", "disputed", "completed", "cancelled"]
CONTRACT_ACTIONS = {"complete": {"client"}, "dispute": {"client", "freelancer"}}
# (state, action, caller) -> the contract's status afterwards. A contract's money must be settled to complete.
CONTRACT_ALLOWED = {
    ("active", "dispute", "client"): "disputed",
    ("active", "dispute", "freelancer"): "disputed",
    ("disputed", "dispute", "client"): "disputed",
    ("disputed", "dispute", "freelancer"): "disputed",
}


def contract_in(state: str, people: dict[str, Any]) -> tuple[Contract, Milestone]:
    """A contract in `state` with a funded milestone to dispute (released once the contract is completed)."""
    users = people["users"]
    if state == "completed":
        milestone = milestone_in("released", people)
        contract = Contract.objects.get(pk=milestone.contract_id)
        contract_set_status(contract=contract, to="completed", by=users["client"])
        return Contract.objects.get(pk=contract.pk), milestone
    milestone = milestone_in("funded", people)
    contract = Contract.objects.get(pk=milestone.contract_id)
    if state == "disputed":
        other = escrow.milestone_create(contract=contract, by=users["client"],
                                        data={"title": "Second part", "amount": Decimal("50.00")})
        escrow.milestone_fund(milestone=other, by=users["client"], payment_method="pm_card_visa")
        escrow.dispute_open(contract=contract, milestone=other, by=users["client"], reason="Late.")
    elif state == "cancelled":
        contract_set_status(contract=contract, to="cancelled", by=users["staff"])
    contract.refresh_from_db()
    assert contract.status == state
    return contract, milestone


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", list(CONTRACT_ACTIONS))
@pytest.mark.parametrize("state", CONTRACT_STATES)
def test_every_contract_move(state, action, caller, people):
    contract, milestone = contract_in(state, people)
    before = snapshot(milestone)
    api = people["apis"][caller]
    if action == "complete":
        response = api.post(f"/api/contracts/{contract.pk}/complete")
    else:
        response = api.post(f"/api/contracts/{contract.pk}/dispute",
                            {"milestone_id": milestone.pk, "reason": "Something is wrong."}, format="json")
    expected = CONTRACT_ALLOWED.get((state, action, caller))
    if expected is None:
        assert response.status_code == refusal_code(caller, CONTRACT_ACTIONS[action]), response.json()
        assert snapshot(milestone) == before
    else:
        assert response.status_code in (200, 201), response.json()
        assert Contract.objects.get(pk=contract.pk).status == expected
    assert_ledger_balanced()


def test_a_contract_with_settled_money_completes(people):
    milestone = milestone_in("released", people)
    response = people["apis"]["client"].post(f"/api/contracts/{milestone.contract_id}/complete")
    assert response.status_code == 200 and response.json()["status"] == "completed"


def test_the_opener_withdraws_the_dispute_from_the_contract_page(people):
    from contracts.tests.test_money_pages import browser_for, messages_of, text_of

    milestone = milestone_in("disputed", people)
    dispute = Dispute.objects.get(milestone=milestone)
    page = f"/contracts/{milestone.contract_id}/"
    assert "Withdraw the dispute" in text_of(browser_for(people["users"]["client"]).get(page))
    freelancer = browser_for(people["users"]["freelancer"])
    assert "Withdraw the dispute" not in text_of(freelancer.get(page))
    refused = freelancer.post(f"{page}disputes/{dispute.pk}/withdraw/", follow=True)
    assert "Only the person who opened the dispute can withdraw it." in messages_of(refused)
    assert Dispute.objects.get(pk=dispute.pk).status == "open"

    done = browser_for(people["users"]["client"]).post(f"{page}disputes/{dispute.pk}/withdraw/", follow=True)
    assert (f"You withdrew the dispute on “{milestone.title}”: it is back to “Work submitted” and its money stays "
            "in escrow.") in messages_of(done)
    text = text_of(done)
    assert "Status Work submitted" in text and "A dispute was opened and then withdrawn by you." in text
    assert "Approve and pay" in text
