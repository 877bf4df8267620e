"""The orders figures of the staff dashboard: counts by status, money paid and fees, the best-selling services."""

import pytest
from django.core.cache import cache

from gigs import orders
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]


def test_orders_revenue_and_top_services(client_user, freelancer_user, make_user, staff_user, client_for, settings):
    cache.clear()
    logos = make_service(freelancer_user, title="Logos")
    icons = make_service(make_user("freelancer"), title="Icons")
    express = logos.extras.get(title="Express delivery")
    done = place_order(client_user, logos, tier="standard", extras=[express.pk])  # 120.00 + 25.00
    orders.order_deliver(order=done, by=freelancer_user, note="Done.", files=[])
    orders.order_accept(order=done, by=client_user)
    place_order(client_user, icons, tier="basic")  # 50.00, in progress
    place_order(client_user, icons, tier="basic", payment_method=None)  # not paid

    assert client_for(client_user).get("/api/analytics/orders").status_code == 403
    body = client_for(staff_user).get("/api/analytics/orders?days=7").json()
    assert body["orders"]["total"] == 3 and body["orders"]["placed_last_7_days"] == 3
    assert body["orders"]["status_breakdown"] == {"pending_payment": 1, "in_progress": 1, "delivered": 0,
                                                  "revision_requested": 0, "completed": 1, "cancelled": 0,
                                                  "disputed": 0}
    fee = 14500 * settings.PLATFORM_FEE_PERCENT // 100
    assert body["revenue"] == {"orders_paid": 2, "gross_paid": "195.00", "platform_fees": f"{fee / 100:.2f}"}
    assert [(row["title"], row["orders"], row["gross"]) for row in body["top_services"]] == [
        ("Logos", 1, "145.00"), ("Icons", 1, "50.00")]
