from celery import shared_task

from .escrow import auto_release_due
from .hourly import invoices_charge_due, reviews_remind_due, weeks_close_due


@shared_task(name="contracts.auto_release")
def auto_release() -> dict[str, int]:
    return auto_release_due()


@shared_task(name="contracts.hourly_close_weeks")
def hourly_close_weeks() -> dict[str, int]:
    """Monday's job (run hourly, so a missed run catches up): closes the weeks that ended into invoices."""
    return weeks_close_due()


@shared_task(name="contracts.hourly_remind_reviews")
def hourly_remind_reviews() -> dict[str, int]:
    """Tells clients a day before their review of a week ends."""
    return reviews_remind_due()


@shared_task(name="contracts.hourly_charge_invoices")
def hourly_charge_invoices() -> dict[str, int]:
    """Charges the weeks whose review ended (and decided disputes), off-session on the client's saved card."""
    return invoices_charge_due()
