"""Twenty simultaneous requests on orders move money once (real PostgreSQL locks, the Stripe emulator): orders
placed together, payments of one order, acceptances, cancellations and revision requests."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from rest_framework.test import APIClient

from accounts.tokens import login_issue
from gigs import orders
from gigs.models import Order, OrderStatusChange
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from payments.models import LedgerTransaction, Payment
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced, emulator_available

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_clean", "stripe_settings")]

CALLERS = 20


def api_for(user: Any) -> Callable[[], APIClient]:
    def make() -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {login_issue(user=user)['access_token']}")
        return api
    return make


def hammer(make_api: Callable[[], APIClient], path: str, body: Any = None) -> list[int]:
    """CALLERS requests at the same moment, each from its own client and database connection; `body` may be a
    function of the caller's number."""
    apis = [make_api() for _ in range(CALLERS)]
    barrier = threading.Barrier(CALLERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def call(number: int, api: APIClient) -> None:
        try:
            data = body(number) if callable(body) else (body or {})
            barrier.wait()
            status = api.post(path, data, format="json").status_code
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(n, api)) for n, api in enumerate(apis)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def succeeded_intents(order_id: int) -> list[Any]:
    return [pi for pi in stripe_sdk().PaymentIntent.list(limit=100)["data"]
            if (pi.get("metadata") or {}).get("order_id") == str(order_id) and pi["status"] == "succeeded"]


def test_twenty_orders_placed_together_are_each_charged_once(client_user, freelancer_user):
    service = make_service(freelancer_user)
    before = emulator_available()
    statuses = hammer(api_for(client_user), "/api/orders",
                      lambda n: {"service_id": service.pk, "tier": "basic", "requirements": f"Order {n}",
                                 "payment_method": "pm_card_visa"})
    assert statuses == [201] * CALLERS
    placed = Order.objects.filter(buyer=client_user)
    assert placed.count() == CALLERS and set(placed.values_list("status", flat=True)) == {"in_progress"}
    assert emulator_available() - before == CALLERS * 5000
    assert LedgerTransaction.objects.filter(kind="funding", order_id__isnull=False).count() == CALLERS
    assert all(len(succeeded_intents(order.pk)) == 1 for order in placed)
    assert_ledger_balanced()


def test_twenty_payments_of_one_order_charge_once(client_user, freelancer_user):
    order = place_order(client_user, make_service(freelancer_user), payment_method=None)
    statuses = hammer(api_for(client_user), f"/api/orders/{order.pk}/pay", {"payment_method": "pm_card_visa"})
    assert statuses.count(200) == 1 and statuses.count(409) == CALLERS - 1, statuses
    assert Order.objects.get(pk=order.pk).status == "in_progress"
    assert len(succeeded_intents(order.pk)) == 1
    assert LedgerTransaction.objects.filter(kind="funding", order_id=order.pk).count() == 1
    assert_ledger_balanced()


def test_twenty_acceptances_release_once(client_user, freelancer_user, settings):
    order = place_order(client_user, make_service(freelancer_user), tier="premium")
    orders.order_deliver(order=order, by=freelancer_user, note="Done.", files=[])
    statuses = hammer(api_for(client_user), f"/api/orders/{order.pk}/accept")
    assert statuses.count(200) == 1 and statuses.count(409) == CALLERS - 1, statuses
    releases = Payment.objects.filter(kind="release", order_id=order.pk)
    fee = 30000 * settings.PLATFORM_FEE_PERCENT // 100
    assert [p.amount for p in releases] == [30000 - fee]
    assert LedgerTransaction.objects.filter(kind="release", order_id=order.pk).count() == 1
    assert_ledger_balanced()


def test_twenty_agreements_to_cancel_refund_once(client_user, freelancer_user):
    order = place_order(client_user, make_service(freelancer_user), tier="standard")
    orders.order_cancel(order=order, by=client_user, reason="Plans changed.")
    before = emulator_available()
    statuses = hammer(api_for(freelancer_user), f"/api/orders/{order.pk}/cancel", {"reason": "Agreed."})
    assert statuses.count(200) == 1 and statuses.count(409) == CALLERS - 1, statuses
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert [p.amount for p in Payment.objects.filter(kind="refund", order_id=order.pk)] == [12000]
    assert before - emulator_available() == 12000
    refunds = [r for r in stripe_sdk().Refund.list(limit=100)["data"]
               if (r.get("metadata") or {}).get("order_id") == str(order.pk)]
    assert len(refunds) == 1
    assert_ledger_balanced()


def test_twenty_revision_requests_use_one_revision(client_user, freelancer_user):
    order = place_order(client_user, make_service(freelancer_user), tier="standard")
    orders.order_deliver(order=order, by=freelancer_user, note="Done.", files=[])
    statuses = hammer(api_for(client_user), f"/api/orders/{order.pk}/request-revision", {"reason": "Warmer."})
    assert statuses.count(200) == 1 and statuses.count(409) == CALLERS - 1, statuses
    order.refresh_from_db()
    assert order.status == "revision_requested" and order.revisions_used == 1
    assert OrderStatusChange.objects.filter(order=order, to_status="revision_requested").count() == 1
