"""Sending what the e-mail outbox holds: each e-mail exactly once, by the tasks in `core/tasks.py`."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .metrics import EMAILS
from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20


def email_deliver(*, outbound_id: int) -> bool:
    """Sends one outbox e-mail unless it is sent already or another worker is sending it.

    Returns True when this call sent it. Raises when the mail service fails, so the task retries.
    """
    failure: Exception | None = None
    with transaction.atomic():
        outbound = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=outbound_id, sent_at__isnull=True)
            .first()
        )
        if outbound is None:
            return False
        message = EmailMultiAlternatives(
            subject=outbound.subject,
            body=outbound.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outbound.to_email],
        )
        message.attach_alternative(outbound.body_html, "text/html")
        outbound.attempts += 1
        try:
            message.send()
        except Exception as exc:  # recorded, then raised outside the transaction so the record stays
            failure = exc
            outbound.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            outbound.save(update_fields=["attempts", "last_error"])
        else:
            outbound.sent_at = timezone.now()
            outbound.last_error = ""
            outbound.save(update_fields=["attempts", "last_error", "sent_at"])
    EMAILS.labels(outbound.template, "failed" if failure else "sent").inc()
    if failure is not None:
        raise failure
    return True


def email_flush_outbox(*, older_than: timedelta = timedelta(seconds=30), limit: int = 200) -> int:
    """Sends what the outbox still holds (the broker or mail service was down). Returns how many went out."""
    cutoff = timezone.now() - older_than
    pending = list(
        OutboundEmail.objects.filter(sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for outbound_id in pending:
        try:
            sent += email_deliver(outbound_id=outbound_id)
        except Exception:
            logger.warning("Outbox e-mail %s failed again", outbound_id, exc_info=True)
    return sent
