from celery import shared_task

from .orders import auto_complete_due


@shared_task(name="gigs.auto_complete_orders")
def auto_complete_orders() -> dict[str, int]:
    return auto_complete_due()
