"""Reviewing: once a contract is completed with paid work, each party rates the other once, double-blind.

A review stays hidden from everyone but its author (and staff) until both parties have written theirs, or
until 14 days after the contract completed, whichever comes first: the review's `visible_from`. The rows
live in the marketplace (`marketplace.Review`), which reads them for profiles and ratings.
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import ApplicationError, Conflict
from marketplace.models import Review
from marketplace.ratings import ratings_refresh
from messaging.models import NotificationKind
from messaging.notifications import notify

from .models import Contract, ContractStatus, MilestoneStatus

REVIEW_BLIND_DAYS = 14

# Reviews of other things people are paid for (an order of a service: "order_id"), written by the app that owns
# them: it registers its writer here when it loads, and `POST /api/reviews` hands it the body's id.
ReviewWriter = Callable[..., Review]
_writers: dict[str, ReviewWriter] = {}


def register_review_writer(field: str, writer: ReviewWriter) -> None:
    _writers[field] = writer


def review_writer(field: str) -> ReviewWriter | None:
    return _writers.get(field)


def review_create(*, contract: Contract, reviewer: User, rating: int, comment: str = "") -> Review:
    """Each party of a completed contract rates the other once. Both are revealed together."""
    if not contract.is_party(reviewer):
        raise ApplicationError(gettext("Invalid input: There is no such contract."), code="validation_error",
                               errors={"contract_id": ["There is no such contract."]})
    if contract.status != ContractStatus.COMPLETED:
        raise Conflict(gettext("Reviews open once the contract is completed."), code="contract_not_completed")
    if not has_paid_work(contract):
        raise Conflict(gettext("Reviews are for paid work: nothing was approved and paid on this contract."),
                       code="no_paid_work")
    reviewee_id = contract.freelancer_id if reviewer.pk == contract.client_id else contract.client_id
    blind_until = (contract.completed_at or timezone.now()) + timedelta(days=REVIEW_BLIND_DAYS)
    with transaction.atomic():
        # Locking the contract serialises the two parties' reviews, so the second always sees the first.
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
        try:
            with transaction.atomic():
                review = Review.objects.create(contract_id=contract.pk, reviewer=reviewer, reviewee_id=reviewee_id,
                                               rating=rating, comment=comment.strip(), visible_from=blind_until)
        except IntegrityError as exc:
            raise Conflict(gettext("You already reviewed this contract."), code="duplicate_review") from exc
        both = Review.objects.filter(contract_id=contract.pk)
        if both.count() == 2:  # both have written: both are shown now (unless they already are)
            both.update(visible_from=Least("visible_from", timezone.now()))
            review.refresh_from_db(fields=["visible_from"])
        # Shown now (both wrote, or the blind period is over): into the people's ratings at once.
        ratings_refresh(both.values_list("reviewee_id", flat=True))
        _tell_review_received(review, contract)
    return review


def has_paid_work(contract: Contract) -> bool:
    """At least one milestone of the contract was approved and paid (in full or in part, by a staff split), or for
    an hourly contract at least one week was paid."""
    if contract.contract_type == "hourly" and contract.invoices.filter(status="paid").exists():
        return True
    return contract.milestones.filter(status=MilestoneStatus.RELEASED).exists()


def _tell_review_received(review: Review, contract: Contract) -> None:
    reviewee = review.reviewee
    notify(user=reviewee, kind=NotificationKind.REVIEW_RECEIVED,
           title=format_lazy(_("{name} reviewed your work together"), name=review.reviewer.get_full_name()),
           message=_("It shows once you have written yours, or 14 days after the contract ended."),
           data={"contract_id": contract.pk, "review_id": review.pk}, email_template="review_received",
           email_context={"reviewer_name": review.reviewer.get_full_name(), "contract_title": contract.title,
                          "profile_url": f"{settings.FRONTEND_URL}/freelancers/{reviewee.pk}/"})
