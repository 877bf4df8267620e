"""Reading orders: each party sees their own, staff see all (for disputes and the admin)."""

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from marketplace.models import Review

from .models import Order, OrderDelivery, OrderDispute, OrderEvent


def orders_for(user: User) -> QuerySet[Order]:
    """The orders the user bought or sold, newest first."""
    orders = Order.objects.select_related("buyer", "seller", "service")
    if not getattr(user, "is_authenticated", False):
        return orders.none()
    return orders.filter(Q(buyer=user) | Q(seller=user))


def orders_visible_to(user: User) -> QuerySet[Order]:
    """The two parties' orders, and every order for staff."""
    if getattr(user, "is_staff", False):
        return Order.objects.select_related("buyer", "seller", "service")
    return orders_for(user)


def order_detail(user: User, pk: int) -> Order | None:
    return orders_visible_to(user).prefetch_related(
        Prefetch("deliveries", OrderDelivery.objects.prefetch_related("files")),
        Prefetch("events", OrderEvent.objects.select_related("actor", "delivery")),
        Prefetch("disputes", OrderDispute.objects.select_related("opened_by", "resolved_by")),
    ).filter(pk=pk).first()


def open_dispute_of(order: Order) -> OrderDispute | None:
    return next((d for d in order.disputes.all() if d.status == OrderDispute.Status.OPEN), None)


def actions_for(order: Order, user: User) -> set[str]:
    """What the viewer may do with the order now: the moves the order's table allows their role from its status,
    narrowed by the order's own limits (revisions left, who asked to cancel, who opened the dispute)."""
    from core.status import may

    from .orders import ORDER_MOVES, role_of

    role = role_of(order, user)
    if not role:
        return set()
    status = order.status
    allowed = {action for action in ("pay", "deliver", "request_revision", "accept", "open_dispute")
               if may(ORDER_MOVES, status, action, role)}
    if "request_revision" in allowed and order.revisions_left == 0:
        allowed.discard("request_revision")
    if may(ORDER_MOVES, status, "cancel", role) and order.cancel_requested_by_id != user.pk:
        allowed.add("cancel")
    dispute = open_dispute_of(order)
    if dispute is not None:
        if dispute.opened_by_id == user.pk:
            allowed.add("withdraw_dispute")
        if role == "staff":
            allowed.add("resolve")
    if order.is_party(user):
        allowed.add("message")
        if status == "completed" and not Review.objects.filter(order_id=order.pk, reviewer=user).exists():
            allowed.add("review")
    return allowed
