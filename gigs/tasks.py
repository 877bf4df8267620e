from celery import shared_task

from .order_reviews import service_ratings_refresh_revealed
from .orders import auto_complete_due


@shared_task(name="gigs.auto_complete_orders")
def auto_complete_orders() -> dict[str, int]:
    """Completes deliveries left unanswered, and counts order reviews revealed by time into their services."""
    return {**auto_complete_due(), "ratings_refreshed": service_ratings_refresh_revealed()}
