from django import template

from accounts.models import User

from ..models import Order, OrderStatus
from ..order_selectors import orders_for

register = template.Library()
SHOWN = 5
OPEN = (OrderStatus.PENDING_PAYMENT, OrderStatus.IN_PROGRESS, OrderStatus.DELIVERED, OrderStatus.REVISION_REQUESTED,
        OrderStatus.DISPUTED)


@register.simple_tag
def open_orders(user: User) -> list[Order]:
    """`{% open_orders user as orders %}`: the user's unfinished orders, as buyer or seller, soonest due first."""
    return list(orders_for(user).filter(status__in=OPEN).order_by("due_at", "-id")[:SHOWN])
