"""Twenty simultaneous approvals, or fundings, of one milestone move money once (real PostgreSQL locks)."""

import threading

import pytest
from django.db import connections

from accounts.tokens import login_issue
from contracts.models import Milestone
from contracts.tests.factories import make_contract
from payments.models import LedgerTransaction, Payment
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import add_milestone, assert_ledger_balanced, emulator_available, fund, submit

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
