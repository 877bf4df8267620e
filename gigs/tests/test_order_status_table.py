"""Every (state, action, caller) of the order machine, through the API against the Stripe emulator: what is
allowed moves the order; everything else is refused (409; 403 for the other party; 404 for someone outside the
order) and changes nothing: status, history, timeline, disputes, ledger, payment operations.

The expectations are written out by hand from the product's rules, not read from the code's table."""

from typing import Any

import pytest

from gigs import orders
from gigs.models import Order, OrderDispute, OrderEvent, OrderStatusChange
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from payments.models import LedgerTransaction, PaymentOperation
from tests.helpers.money import assert_ledger_balanced

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]

STATES = ["pending_payment", "in_progress", "delivered", "revision_requested", "completed", "cancelled", "disputed"]
CALLERS = ["client", "freelancer", "staff", "stranger"]
# action -> (path, body)
ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "pay": ("pay", {"payment_method": "pm_card_visa"}),
    "deliver": ("deliver", {"note": "Here it is."}),
    "request-revision": ("request-revision", {"reason": "Warmer colours."}),
    "accept": ("accept", {}),
    "cancel": ("cancel", {"reason": "Plans changed."}),
    "dispute": ("dispute", {"reason": "Not what was agreed."}),
    "resolve": ("resolve", {"resolution": "release", "note": "Delivered as agreed."}),
    "withdraw-dispute": ("dispute/withdraw", {}),
}
# Which parties may ever ask for each action (the other party gets 403). Staff only resolve; anyone else outside
# the order gets 404.
PARTY_ACTORS = {
    "pay": {"client"},
    "deliver": {"freelancer"},
    "request-revision": {"client"},
    "accept": {"client"},
    "cancel": {"client", "freelancer"},
    "dispute": {"client", "freelancer"},
    "resolve": set(),
    "withdraw-dispute": {"client"},  # the one who opened it (the client, in these orders)
}
# (state, action, caller) -> the order's status afterwards. Everything else is refused.
ALLOWED = {
    ("pending_payment", "pay", "client"): "in_progress",
    ("pending_payment", "cancel", "client"): "cancelled",
    ("in_progress", "deliver", "freelancer"): "delivered",
    ("revision_requested", "deliver", "freelancer"): "delivered",
    ("delivered", "request-revision", "client"): "revision_requested",
    ("delivered", "accept", "client"): "completed",
    # Before delivery one party asks to cancel; it stays in progress until the other agrees.
    ("in_progress", "cancel", "client"): "in_progress",
    ("in_progress", "cancel", "freelancer"): "in_progress",
    ("in_progress", "dispute", "client"): "disputed",
    ("in_progress", "dispute", "freelancer"): "disputed",
    ("delivered", "dispute", "client"): "disputed",
    ("delivered", "dispute", "freelancer"): "disputed",
    ("revision_requested", "dispute", "client"): "disputed",
    ("revision_requested", "dispute", "freelancer"): "disputed",
    ("disputed", "resolve", "staff"): "completed",
    ("disputed", "withdraw-dispute", "client"): "delivered",  # back where it was when disputed
}


@pytest.fixture
def people(client_user, freelancer_user, staff_user, make_user, client_for) -> dict[str, Any]:
    stranger = make_user("client")
    users = {"client": client_user, "freelancer": freelancer_user, "staff": staff_user, "stranger": stranger}
    return {"users": users, "apis": {role: client_for(user) for role, user in users.items()}}


def order_in(state: str, people: dict[str, Any]) -> Order:
    """An order brought to `state` through the order services, as people would."""
    buyer, seller = people["users"]["client"], people["users"]["freelancer"]
    service = make_service(seller)
    if state in ("pending_payment", "cancelled"):
        order = place_order(buyer, service, payment_method=None)
        if state == "cancelled":
            orders.order_cancel(order=order, by=buyer)
        return Order.objects.get(pk=order.pk)
    order = place_order(buyer, service)
    if state in ("delivered", "revision_requested", "completed", "disputed"):
        orders.order_deliver(order=order, by=seller, note="Done.", files=[])
    if state == "revision_requested":
        orders.order_request_revision(order=order, by=buyer, reason="Bigger.")
    if state == "completed":
        orders.order_accept(order=order, by=buyer)
    if state == "disputed":
        orders.order_dispute_open(order=order, by=buyer, reason="Not what was agreed.")
    order = Order.objects.get(pk=order.pk)
    assert order.status == state
    return order


def refusal(state: str, action: str, caller: str) -> int:
    """The answer a refused (state, action, caller) gets."""
    if caller == "stranger":
        return 404
    if caller == "staff":
        return 409 if action == "resolve" else 404
    if action == "resolve":
        return 404
    if action == "withdraw-dispute":
        # Without an open dispute there is nothing to withdraw; with one, only its opener may.
        return 403 if state == "disputed" and caller not in PARTY_ACTORS[action] else 409
    return 403 if caller not in PARTY_ACTORS[action] else 409


def snapshot(order: Order) -> dict[str, Any]:
    order.refresh_from_db()
    return {
        "order": (order.status, order.revisions_used, order.cancel_requested_by_id, order.auto_complete_at,
                  order.updated_at),
        "history": OrderStatusChange.objects.filter(order=order).count(),
        "events": OrderEvent.objects.filter(order=order).count(),
        "disputes": list(OrderDispute.objects.filter(order=order).values_list("status", flat=True)),
        "ledger": LedgerTransaction.objects.count(),
        "operations": PaymentOperation.objects.count(),
    }


def call(people: dict[str, Any], caller: str, order: Order, action: str) -> Any:
    path, body = ACTIONS[action]
    return people["apis"][caller].post(f"/api/orders/{order.pk}/{path}", body, format="json")


@pytest.mark.parametrize("state", STATES)
def test_every_refused_move_changes_nothing(state, people):
    order = order_in(state, people)
    tried = 0
    for action in ACTIONS:
        for caller in CALLERS:
            if (state, action, caller) in ALLOWED:
                continue
            before = snapshot(order)
            response = call(people, caller, order, action)
            expected = refusal(state, action, caller)
            assert response.status_code == expected, (state, action, caller, response.json())
            assert snapshot(order) == before, (state, action, caller)
            tried += 1
    assert tried == len(ACTIONS) * len(CALLERS) - sum(1 for key in ALLOWED if key[0] == state)
    assert_ledger_balanced()


@pytest.mark.parametrize(("state", "action", "caller"), sorted(ALLOWED))
def test_every_allowed_move_is_made(state, action, caller, people):
    order = order_in(state, people)
    history = OrderStatusChange.objects.filter(order=order).count()
    response = call(people, caller, order, action)
    assert response.status_code in (200, 201), response.json()
    order.refresh_from_db()
    assert order.status == ALLOWED[(state, action, caller)]
    assert response.json()["status"] == order.status
    assert OrderStatusChange.objects.filter(order=order).count() == history + 1
    assert_ledger_balanced()


def test_the_table_covers_every_state_and_action():
    assert {state for state, _, _ in ALLOWED} <= set(STATES)
    assert {action for _, action, _ in ALLOWED} == set(ACTIONS)
    assert set(orders.ORDER_MOVES) and {source for source, _ in orders.ORDER_MOVES} <= set(STATES)
