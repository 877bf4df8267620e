"""Orders in the admin: records shown read-only, and actions that call the order services (money through the
Stripe emulator), with refusals shown as messages."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from gigs import orders
from gigs.models import Order, OrderDispute
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from payments.models import Payment
from tests.helpers.money import assert_ledger_balanced

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


def run_action(client, path: str, action: str, ids: list[int]):
    return client.post(path, {"action": action, "_selected_action": ids}, follow=True)


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_resolving_an_order_dispute_by_refund_returns_the_money(staff, client_user, freelancer_user):
    order = place_order(client_user, make_service(freelancer_user), tier="standard")
    dispute = orders.order_dispute_open(order=order, by=client_user, reason="Nothing delivered.")
    response = run_action(staff, "/admin/gigs/orderdispute/", "resolve_refund", [dispute.pk])
    assert any("1 dispute resolved" in text for text in shown(response))
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert OrderDispute.objects.get(pk=dispute.pk).resolution == "refund"
    assert Payment.objects.get(kind="refund", order_id=order.pk).amount == 12000
    # A second resolution is refused and moves nothing.
    again = run_action(staff, "/admin/gigs/orderdispute/", "resolve_release", [dispute.pk])
    assert any("already resolved" in text for text in shown(again))
    assert not Payment.objects.filter(kind="release", order_id=order.pk).exists()
    assert_ledger_balanced()


def test_completing_due_deliveries_from_the_admin(staff, client_user, freelancer_user, settings):
    service = make_service(freelancer_user)
    due = place_order(client_user, service, tier="basic")
    fresh = place_order(client_user, service, tier="basic")
    for order in (due, fresh):
        orders.order_deliver(order=order, by=freelancer_user, note="Done.", files=[])
    Order.objects.filter(pk=due.pk).update(auto_complete_at=timezone.now() - timedelta(minutes=1))
    run_action(staff, "/admin/gigs/order/", "complete_due_now", [due.pk, fresh.pk])
    assert Order.objects.get(pk=due.pk).status == "completed"
    assert Order.objects.get(pk=fresh.pk).status == "delivered"
    assert Payment.objects.filter(kind="release", order_id=due.pk).count() == 1
    assert staff.get(f"/admin/gigs/order/{due.pk}/change/").status_code == 200
