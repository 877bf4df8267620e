"""Property: whatever sequence of money operations people attempt, the ledger balances, escrow holds exactly the
funded and unsettled milestones, and the platform's ledger balance equals what Stripe (the emulator) holds."""

from decimal import Decimal
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.models import Milestone
from contracts.tests.factories import make_contract
from core.money import fee_minor, to_minor
from payments.models import LedgerAccount, Payment
from tests.helpers.money import assert_ledger_balanced, balance, emulator_available, escrow_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

_people = count(1)

amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("5000.00"), places=2)
operation = st.one_of(
    st.tuples(st.just("add"), amounts),
    st.tuples(st.sampled_from(["fund", "submit", "approve", "refund", "changes", "dispute"]), st.integers(0, 3)),
    st.tuples(st.just("resolve"), st.integers(0, 3), st.sampled_from(["release", "refund", "split"])),
)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=3, max_size=14))
def test_random_money_operations_keep_the_books_right(operations, make_user, client_for, stripe_emulator):
    n = next(_people)
    client = make_user("client", email=f"prop-client-{n}@example.com")
    freelancer = make_user("freelancer", email=f"prop-freelancer-{n}@example.com")
    staff = make_user("", is_staff=True, is_superuser=True, email=f"prop-staff-{n}@example.com")
    contract = make_contract(client, freelancer)
    apis = {"client": client_for(client), "freelancer": client_for(freelancer), "staff": client_for(staff)}
    cash_before, stripe_before = balance(LedgerAccount.PLATFORM_CASH), emulator_available()
    milestones: list[int] = []

    for op in operations:
        kind = op[0]
        if kind == "add":
            response = apis["client"].post(f"/api/contracts/{contract.id}/milestones",
                                           {"title": "Part", "amount": str(op[1])}, format="json")
            assert response.status_code in (201, 409)  # 409: no new milestones while the contract is disputed
            if response.status_code == 201:
                milestones.append(response.json()["id"])
            continue
        if not milestones:
            continue
        target = milestones[op[1] % len(milestones)]
        if kind == "fund":
            status = apis["client"].post(f"/api/milestones/{target}/fund", {"payment_method": "pm_card_visa"},
                                         format="json").status_code
        elif kind == "submit":
            status = apis["freelancer"].post(f"/api/milestones/{target}/submit", {"note": "done"},
                                             format="json").status_code
        elif kind == "approve":
            status = apis["client"].post(f"/api/milestones/{target}/approve").status_code
        elif kind == "refund":
            status = apis["freelancer"].post(f"/api/milestones/{target}/refund", {}, format="json").status_code
        elif kind == "changes":
            status = apis["client"].post(f"/api/milestones/{target}/request-changes", {"note": "again"},
                                         format="json").status_code
        elif kind == "dispute":
            status = apis["client"].post(f"/api/contracts/{contract.id}/dispute",
                                         {"milestone_id": target, "reason": "not as agreed"},
                                         format="json").status_code
        else:
            dispute = Milestone.objects.get(pk=target).disputes.filter(status="open").first()
            if dispute is None:
                continue
            amount = Milestone.objects.get(pk=target).amount
            body = {"resolution": op[2]}
            if op[2] == "split":
                if amount < Decimal("0.02"):
                    continue
                body["freelancer_amount"] = str((amount / 2).quantize(Decimal("0.01")))
            status = apis["staff"].post(f"/api/disputes/{dispute.pk}/resolve", body, format="json").status_code
        assert status in (200, 201, 400, 403, 409), (op, status)
        assert_ledger_balanced()

    # Escrow holds exactly what is funded and not yet settled.
    held = Milestone.objects.filter(contract=contract, status__in=["funded", "submitted", "disputed"])
    assert escrow_of(contract.id) == sum((m.amount for m in held), Decimal("0.00"))
    # What the freelancer is owed is the net of every release.
    owed = -balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer)
    releases = Payment.objects.filter(user=freelancer, kind="release")
    assert owed == sum(p.amount for p in releases)
    for milestone in Milestone.objects.filter(contract=contract, status="released", disputes__isnull=True):
        gross = to_minor(milestone.amount)
        assert releases.get(milestone_id=milestone.pk).amount == gross - fee_minor(gross, 10)
    # The platform's books match Stripe's.
    assert balance(LedgerAccount.PLATFORM_CASH) - cash_before == emulator_available() - stripe_before
