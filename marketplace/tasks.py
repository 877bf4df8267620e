from celery import shared_task

from .ratings import ratings_refresh_revealed


@shared_task(name="marketplace.refresh_revealed_ratings")
def refresh_revealed_ratings() -> dict[str, int]:
    """Counts reviews revealed by time (14 days after the work ended) into their people's ratings."""
    return {"ratings_refreshed": ratings_refresh_revealed()}
