"""Twenty simultaneous approvals, or fundings, of one milestone, or sends of one payout, move money once (real
PostgreSQL locks)."""

import threading

import pytest
from django.db import connections

from accounts.tokens import login_issue
from contracts.models import Milestone
from contracts.tests.factories import make_contract
from payments.models import LedgerAccount, LedgerTransaction, Payment, PaymentOperation, Payout
from payments.payouts import payouts_send
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import (
    add_milestone,
    assert_ledger_balanced,
    balance,
    emulator_available,
    fund,
    held_payout,
    payout_account_ready,
    submit,
    transfers_to,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_clean")]

CALLERS = 20


def hammer(make_api, path, body=None):
    """CALLERS requests at the same moment, each from its own client and database connection."""
    apis = [make_api() for _ in range(CALLERS)]
    barrier = threading.Barrier(CALLERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def call(api):
        try:
            barrier.wait()
            status = api.post(path, body or {}, format="json").status_code
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.fixture
def setup(client_user, freelancer_user, client_for):
    contract = make_contract(client_user, freelancer_user)
    client_api = client_for(client_user)
    milestone = add_milestone(client_api, contract.id, "800.00")

    def as_client():
        from rest_framework.test import APIClient

        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {login_issue(user=client_user)['access_token']}")
        return api

    return contract, milestone, client_api, client_for(freelancer_user), as_client


def test_twenty_simultaneous_fundings_charge_once(setup):
    _, milestone, _, _, as_client = setup
    statuses = hammer(as_client, f"/api/milestones/{milestone['id']}/fund", {"payment_method": "pm_card_visa"})
    assert statuses.count(200) == 1 and statuses.count(409) == CALLERS - 1, statuses
    assert Milestone.objects.get(pk=milestone["id"]).status == "funded"
    assert LedgerTransaction.objects.filter(kind="funding").count() == 1
    intents = [pi for pi in stripe_sdk().PaymentIntent.list(limit=100)["data"]
               if (pi.get("metadata") or {}).get("milestone_id") == str(milestone["id"])]
    assert len(intents) == 1
    assert emulator_available() == 80000
    assert_ledger_balanced()


def test_twenty_simultaneous_approvals_release_once(setup):
    _, milestone, client_api, freelancer_api, as_client = setup
    fund(client_api, milestone["id"])
    submit(freelancer_api, milestone["id"])
    statuses = hammer(as_client, f"/api/milestones/{milestone['id']}/approve")
    assert statuses.count(200) == 1 and statuses.count(409) == CALLERS - 1, statuses
    assert Payment.objects.filter(kind="release").count() == 1
    assert LedgerTransaction.objects.filter(kind="release").count() == 1
    assert Payment.objects.get(kind="release").amount == 72000  # 800.00 less 10%
    assert_ledger_balanced()


def test_twenty_simultaneous_sends_of_one_payout_transfer_it_once(setup, freelancer_user, stripe_clean):
    contract, _, client_api, freelancer_api, _ = setup
    payout = held_payout(client_api, freelancer_api, contract.id, "800.00")
    account = payout_account_ready(stripe_clean, freelancer_user)
    barrier = threading.Barrier(CALLERS)
    results: list = []
    failures: list = []
    lock = threading.Lock()

    def send():
        try:
            barrier.wait()
            result = payouts_send(user_id=freelancer_user.pk)
            with lock:
                results.append(result)
        except Exception as exc:  # a crash of any caller fails the test below
            with lock:
                failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(results) == CALLERS
    assert sum(r.sent for r in results) == 1 and sum(r.refused + r.unavailable for r in results) == 0
    transfers = transfers_to(account.stripe_account_id)
    assert [(t["amount"], t["currency"]) for t in transfers] == [(72000, "usd")]  # 800.00 less 10%
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.stripe_transfer_id == transfers[0]["id"]
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    assert PaymentOperation.objects.filter(kind="transfer").count() == 1
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == 0
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available() == 80000 - 72000
    assert Payout.objects.filter(status="held").count() == 0
    assert_ledger_balanced()
