"""Reviewing an order: once it is completed, the buyer and the seller each rate the other once, double-blind as
contract reviews are (`contracts.reviews`): hidden from all but its author until both have written, or until 14
days after the order completed. The buyer's revealed reviews count into the seller's rating (the marketplace
keeps every person's rating from their revealed reviews, `marketplace.ratings`) and into the service's
`rating_avg` and `rating_count`."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from contracts.reviews import REVIEW_BLIND_DAYS, register_review_writer
from core.exceptions import ApplicationError, Conflict
from core.locale import text_lazy
from marketplace.models import Review
from marketplace.ratings import ratings_refresh
from messaging.models import NotificationKind
from messaging.notifications import notify

from .models import Order, OrderEvent, OrderStatus, Service


def order_review_create(*, order_id: int, reviewer: User, rating: int, comment: str = "") -> Review:
    """Each party of a completed order rates the other once; both are revealed together."""
    order = Order.objects.select_related("buyer", "seller").filter(pk=order_id).first()
    if order is None or not order.is_party(reviewer):
        raise ApplicationError(_("Invalid input: there is no such order."), code="validation_error",
                               errors={"order_id": [_("There is no such order.")]})
    if order.status != OrderStatus.COMPLETED:
        raise Conflict(_("Reviews open once the order is completed."), code="order_not_completed")
    reviewee = order.seller if reviewer.pk == order.buyer_id else order.buyer
    blind_until = (order.completed_at or timezone.now()) + timedelta(days=REVIEW_BLIND_DAYS)
    with transaction.atomic():
        # Locking the order serialises the two parties' reviews, so the second always sees the first.
        Order.objects.select_for_update().filter(pk=order.pk).first()
        try:
            with transaction.atomic():
                review = Review.objects.create(order_id=order.pk, reviewer=reviewer, reviewee=reviewee, rating=rating,
                                               comment=comment.strip(), visible_from=blind_until)
        except IntegrityError as exc:
            raise Conflict(_("You already reviewed this order."), code="duplicate_review") from exc
        both = Review.objects.filter(order_id=order.pk)
        if both.count() == 2:
            both.update(visible_from=Least("visible_from", timezone.now()))
            review.refresh_from_db(fields=["visible_from"])
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.REVIEWED, actor=reviewer)
        service_rating_refresh(order.service_id)
        ratings_refresh(both.values_list("reviewee_id", flat=True))
        notify(user=reviewee, kind=NotificationKind.REVIEW_RECEIVED,
               title=text_lazy(gettext_lazy("%(name)s reviewed order “%(title)s”"), name=reviewer.get_full_name(),
                               title=order.title),
               message=gettext_lazy("It shows once you have written yours, or 14 days after the order was completed."),
               data={"order_id": order.pk, "review_id": review.pk}, email_template="order_update",
               email_context={"order_title": order.title,
                              "order_url": f"{settings.FRONTEND_URL}/orders/{order.pk}/"})
    return review


def service_reviews(service_id: int, now: datetime | None = None) -> list[Review]:
    """The revealed reviews buyers wrote of a service's orders, newest first."""
    orders = Order.objects.filter(service_id=service_id)
    return list(Review.objects.select_related("reviewer").filter(
        order_id__in=orders.values("pk"), reviewee_id__in=orders.values("seller_id"),
        visible_from__lte=now or timezone.now()).order_by("-created_at", "-id")[:50])


def service_rating_refresh(service_id: int, now: datetime | None = None) -> None:
    """The service's average and count of revealed buyer reviews, kept on the service for the browse cards."""
    orders = Order.objects.filter(service_id=service_id)
    figures = Review.objects.filter(order_id__in=orders.values("pk"), reviewee_id__in=orders.values("seller_id"),
                                    visible_from__lte=now or timezone.now()).aggregate(avg=Avg("rating"), n=Count("id"))
    Service.objects.filter(pk=service_id).update(
        rating_avg=round(figures["avg"], 2) if figures["avg"] is not None else None, rating_count=figures["n"])


def service_ratings_refresh_revealed(now: datetime | None = None) -> int:
    """Refreshes the ratings of services whose order reviews were revealed by time in the last day (the beat
    task runs every 15 minutes; refreshing twice changes nothing)."""
    now = now or timezone.now()
    order_ids = Review.objects.filter(order_id__isnull=False, visible_from__gt=now - timedelta(days=1),
                                      visible_from__lte=now).values("order_id")
    service_ids = set(Order.objects.filter(pk__in=order_ids).values_list("service_id", flat=True))
    for service_id in service_ids:
        service_rating_refresh(service_id, now)
    return len(service_ids)


register_review_writer("order_id", order_review_create)
