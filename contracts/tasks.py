from celery import shared_task

from .escrow import auto_release_due


@shared_task(name="contracts.auto_release")
def auto_release() -> dict[str, int]:
    return auto_release_due()
