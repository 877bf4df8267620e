"""Orders of services for the staff dashboard: how many, their money, and the services that sell best. Four
queries whatever the amount of data; money per currency is never added across currencies."""

from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from gigs.models import Order, OrderStatus
from payments.models import Payment

from .selectors import DEFAULT_DAYS, REPORTING_CURRENCY, TOP_LIMIT, _cached, money, period_for

PAID = (OrderStatus.IN_PROGRESS, OrderStatus.DELIVERED, OrderStatus.REVISION_REQUESTED, OrderStatus.COMPLETED,
        OrderStatus.DISPUTED)


def order_analytics(*, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """`{period_days, currency, orders, revenue, top_services}` for the last `days` days."""
    return _cached("orders", lambda: _order_analytics(days), days=days)


def _order_analytics(days: int) -> dict[str, Any]:
    period = period_for(days)
    since = Q(created_at__gte=period.start)
    counts = Order.objects.aggregate(
        total=Count("id"), placed=Count("id", filter=since),
        **{status.value: Count("id", filter=Q(status=status)) for status in OrderStatus})
    paid = Order.objects.filter(paid_at__gte=period.start, currency=REPORTING_CURRENCY).aggregate(
        n=Count("id"), gross=Coalesce(Sum("total"), 0, output_field=Order._meta.get_field("total")))
    fees = Payment.objects.filter(kind=Payment.Kind.FEE, order_id__isnull=False, created_at__gte=period.start,
                                  currency=REPORTING_CURRENCY).aggregate(t=Sum("amount"))["t"] or 0
    top = (Order.objects.filter(status__in=PAID, paid_at__gte=period.start, currency=REPORTING_CURRENCY)
           .values("service_id", "service_title", "seller_id")
           .annotate(orders=Count("id"), gross=Sum("total")).order_by("-gross", "-orders", "service_id")[:TOP_LIMIT])
    return {
        "period_days": period.days,
        "currency": REPORTING_CURRENCY,
        "orders": {"total": counts["total"], f"placed_last_{period.days}_days": counts["placed"],
                   "status_breakdown": {status.value: counts[status.value] for status in OrderStatus}},
        "revenue": {"orders_paid": paid["n"], "gross_paid": f"{paid['gross']:.2f}", "platform_fees": money(fees)},
        "top_services": [{"service_id": row["service_id"], "title": row["service_title"],
                          "seller_id": row["seller_id"], "orders": row["orders"], "gross": f"{row['gross']:.2f}"}
                         for row in top],
    }
