"""The Celery application: e-mails, reconciliation and other work that happens after a request."""

import os

from celery import Celery
from celery.signals import before_task_publish, task_failure, task_prerun, task_retry, task_success

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "megilance.settings.local")

app = Celery("megilance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["core"])


@before_task_publish.connect
def _carry_request_id(headers: dict | None = None, **_: object) -> None:
    """Put the current request id into the task's headers so logs can follow one request into tasks."""
    from core.logging import get_request_id

    if headers is not None and "request_id" not in headers:
        headers["request_id"] = get_request_id()


@task_prerun.connect
def _restore_request_id(task: object = None, **_: object) -> None:
    from core.logging import set_request_id

    request = getattr(task, "request", None)
    if getattr(request, "is_eager", False):
        return  # run in-process (tests, the embedded default): the caller's request id is already in context
    set_request_id(getattr(request, "request_id", None) or "-")


@task_success.connect
def _count_success(sender: object = None, **_: object) -> None:
    from core.metrics import task_outcome

    task_outcome(getattr(sender, "name", ""), "success")


@task_failure.connect
def _count_failure(sender: object = None, **_: object) -> None:
    from core.metrics import task_outcome

    task_outcome(getattr(sender, "name", ""), "failure")


@task_retry.connect
def _count_retry(sender: object = None, **_: object) -> None:
    from core.metrics import task_outcome

    task_outcome(getattr(sender, "name", ""), "retry")
