"""Discovery's background work: scores refreshed for what changed, alerts for new projects, the daily digest."""

from celery import shared_task

from . import matching, services


@shared_task(name="discovery.project_changed", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def project_changed(project_id: int) -> dict[str, int]:
    """A project was created, edited or changed status: its matches again, and instant alerts if it is new."""
    return {"matches": matching.refresh_project(project_id), "alerts": services.instant_alerts_send(project_id)}


@shared_task(name="discovery.freelancer_changed", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def freelancer_changed(user_id: int) -> int:
    return matching.refresh_freelancer(user_id)


@shared_task(name="discovery.refresh_all")
def refresh_all() -> int:
    return matching.refresh_all()


@shared_task(name="discovery.daily_digests")
def daily_digests() -> dict[str, int]:
    return services.daily_digests_send()
