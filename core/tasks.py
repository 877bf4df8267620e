"""Celery tasks of the platform: sending the outbox (e-mail, text messages, pushes)."""

from datetime import timedelta

from celery import shared_task

from .outbox import email_deliver, email_flush_outbox, message_deliver, message_flush_outbox


@shared_task(
    name="core.send_outbound_email",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_outbound_email(outbound_id: int) -> bool:
    return email_deliver(outbound_id=outbound_id)


@shared_task(name="core.flush_email_outbox")
def flush_email_outbox(older_than_seconds: int = 30) -> int:
    """Beat: sends what the outbox still holds (the broker or the mail service was down)."""
    return email_flush_outbox(older_than=timedelta(seconds=older_than_seconds))


@shared_task(
    name="core.send_outbound_message",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_outbound_message(outbound_id: int) -> bool:
    return message_deliver(outbound_id=outbound_id)


@shared_task(name="core.flush_message_outbox")
def flush_message_outbox(older_than_seconds: int = 30) -> int:
    """Beat: sends the text messages and pushes the outbox still holds."""
    return message_flush_outbox(older_than=timedelta(seconds=older_than_seconds))
