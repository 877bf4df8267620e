"""People's ratings, kept on their accounts: the average and number of their reviews that everyone may read.

A review counts once it is visible (`Review.visible_from`): at once when both parties have written theirs, else
14 days after the work ended. The apps that write reviews (contracts, gigs) call `ratings_refresh` for the people
reviewed; the reveal by time is caught by `ratings_refresh_revealed`, which a beat task runs every hour. Both
recompute from the review rows under a lock of the person's row, so running either twice changes nothing and two
reviews written at once never lose one another.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone

from accounts.models import User

from .models import Review

CENT = Decimal("0.01")
# How far back the hourly task looks for reviews revealed by time: a day of missed runs still catches up.
REVEAL_LOOKBACK = timedelta(days=2)
BATCH = 200


def rating_of(average: Decimal | None) -> Decimal | None:
    """The stored average: two places, rounded as the API has always written it (half to even)."""
    return None if average is None else Decimal(average).quantize(CENT, rounding=ROUND_HALF_EVEN)


def ratings_refresh(user_ids: Iterable[int]) -> None:
    """Recomputes the people's ratings from their visible reviews."""
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        with transaction.atomic():
            # Locked in id order (no deadlock between two refreshes); the figures are read after the lock, so a
            # review committed by whoever held it is counted.
            locked = list(User.objects.select_for_update(no_key=True).filter(pk__in=batch).order_by("pk")
                          .values_list("pk", flat=True))
            now = timezone.now()
            figures = {row["reviewee"]: row for row in (
                Review.objects.filter(reviewee__in=locked, visible_from__lte=now).order_by()
                .values("reviewee").annotate(avg=Avg("rating"), n=Count("pk")))}
            for pk in locked:
                row = figures.get(pk)
                User.objects.filter(pk=pk).update(rating_avg=rating_of(row["avg"]) if row else None,
                                                  rating_count=row["n"] if row else 0)


def ratings_refresh_revealed(now: datetime | None = None) -> int:
    """Refreshes the ratings of people whose reviews were revealed by time lately (see `REVEAL_LOOKBACK`); returns
    how many people that was."""
    now = now or timezone.now()
    ids = set(Review.objects.filter(visible_from__gt=now - REVEAL_LOOKBACK, visible_from__lte=now)
              .values_list("reviewee_id", flat=True).distinct())
    ratings_refresh(ids)
    return len(ids)
