"""Sending what the outbox holds: each e-mail, text message and push exactly once, by the tasks in
`core/tasks.py`.

One mechanism for every channel: the row is locked (`skip_locked`, so two workers never send one row),
re-checked unsent, sent, and marked `sent_at` in the same transaction. A send that fails records its error
and raises, so the task retries; the beat task sends whatever is left. A worker killed before the send
leaves the row unsent and unlocked for the next one; a worker killed after the commit leaves a row the
re-run skips.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.utils import timezone

from .metrics import EMAILS, MOBILE_MESSAGES
from .mobile import EndpointGone, backend
from .models import OutboundEmail, OutboundMessage
from .signals import push_endpoint_gone

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20


class Dropped(Exception):
    """The row will never be sent (its destination is gone); not an error worth retrying."""


def _crash_point(name: str) -> None:
    """Test settings only: the process dies here, as a worker killed at that moment would."""
    if name and getattr(settings, "OUTBOX_CRASH_POINT", "") == name:
        import os
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _deliver_once(model: type[OutboundEmail] | type[OutboundMessage], pk: int,
                  send: Callable[[Any], str]) -> tuple[Any, str]:
    """The shared mechanism. Returns (row, outcome) with outcome "sent", "failed", "dropped" or "skipped"."""
    failure: Exception | None = None
    with transaction.atomic():
        pending: models.QuerySet[Any] = model.objects.select_for_update(skip_locked=True).filter(
            pk=pk, sent_at__isnull=True)
        if model is OutboundMessage:
            pending = pending.filter(dropped_at__isnull=True)
        row: Any = pending.first()
        if row is None:
            return None, "skipped"
        row.attempts += 1
        _crash_point("before_send")
        try:
            provider_id = send(row)
        except Dropped as exc:
            row.dropped_at = timezone.now()
            row.last_error = str(exc)[:2000]
            row.save(update_fields=["attempts", "last_error", "dropped_at"])
            return row, "dropped"
        except Exception as exc:  # recorded, then raised outside the transaction so the record stays
            failure = exc
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["attempts", "last_error"])
        else:
            row.sent_at = timezone.now()
            row.last_error = ""
            fields = ["attempts", "last_error", "sent_at"]
            if isinstance(row, OutboundMessage):
                row.provider_id = provider_id[:128]
                fields.append("provider_id")
                if row.sensitive:
                    row.body = OutboundMessage.REDACTED
                    fields.append("body")
            row.save(update_fields=fields)
    if failure is not None:
        raise failure
    _crash_point("after_commit")
    return row, "sent"


def _send_email(outbound: OutboundEmail) -> str:
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[outbound.to_email],
    )
    message.attach_alternative(outbound.body_html, "text/html")
    message.send()
    return ""


def email_deliver(*, outbound_id: int) -> bool:
    """Sends one outbox e-mail unless it is sent already or another worker is sending it.

    Returns True when this call sent it. Raises when the mail service fails, so the task retries.
    """
    try:
        outbound, _outcome = _deliver_once(OutboundEmail, outbound_id, _send_email)
    except Exception:
        row = OutboundEmail.objects.filter(pk=outbound_id).only("template").first()
        EMAILS.labels(row.template if row else "", "failed").inc()
        raise
    if outbound is None:
        return False
    EMAILS.labels(outbound.template, "sent").inc()
    return True


def _send_message(outbound: OutboundMessage) -> str:
    if outbound.channel == OutboundMessage.Channel.SMS:
        return backend().send_sms(phone_number=outbound.to, text=outbound.body, sensitive=outbound.sensitive)
    try:
        return backend().push_publish(endpoint_arn=outbound.to, message=outbound.body)
    except EndpointGone as exc:
        # The device is gone: whoever keeps devices forgets it, in this same transaction.
        push_endpoint_gone.send(sender=OutboundMessage, endpoint_arn=outbound.to)
        raise Dropped(f"Endpoint gone ({exc}); the device was removed.") from exc


def message_deliver(*, outbound_id: int) -> bool:
    """Sends one outbox text message or push, once. Returns True when this call sent it; raises on a failure
    worth retrying. A push to a disabled or missing endpoint is dropped and its device forgotten."""
    try:
        outbound, outcome = _deliver_once(OutboundMessage, outbound_id, _send_message)
    except Exception:
        row = OutboundMessage.objects.filter(pk=outbound_id).only("channel").first()
        MOBILE_MESSAGES.labels(row.channel if row else "", "failed").inc()
        raise
    if outbound is None:
        return False
    MOBILE_MESSAGES.labels(outbound.channel, outcome).inc()
    return outcome == "sent"


def _pending(queryset: models.QuerySet, older_than: timedelta, limit: int) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(queryset.filter(sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS)
                .order_by("created_at").values_list("pk", flat=True)[:limit])


def email_flush_outbox(*, older_than: timedelta = timedelta(seconds=30), limit: int = 200) -> int:
    """Sends what the outbox still holds (the broker or mail service was down). Returns how many went out."""
    sent = 0
    for outbound_id in _pending(OutboundEmail.objects.all(), older_than, limit):
        try:
            sent += email_deliver(outbound_id=outbound_id)
        except Exception:
            logger.warning("Outbox e-mail %s failed again", outbound_id, exc_info=True)
    return sent


def message_flush_outbox(*, older_than: timedelta = timedelta(seconds=30), limit: int = 200) -> int:
    """Sends the text messages and pushes the outbox still holds. Returns how many went out."""
    sent = 0
    for outbound_id in _pending(OutboundMessage.objects.filter(dropped_at__isnull=True), older_than, limit):
        try:
            sent += message_deliver(outbound_id=outbound_id)
        except Exception:
            logger.warning("Outbox message %s failed again", outbound_id)
    return sent
