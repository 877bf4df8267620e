"""Templated e-mail through the outbox: `email_queue` in a transaction, sent by Celery after commit."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .metrics import EMAILS
from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20


def email_render(*, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Renders `templates/emails/<template>{_subject.txt,.txt,.html}` into (subject, text, html)."""
    ctx = {"site_url": settings.FRONTEND_URL, "site_name": "MegiLance", **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    return subject, text, html


def email_queue(*, to: str, template: str, context: dict[str, Any], dedupe_key: str | None = None) -> OutboundEmail:
    """Writes the e-mail to the outbox in the caller's transaction and asks for delivery after commit."""
    subject, text, html = email_render(template=template, context=context)
    with transaction.atomic():
        if dedupe_key:
            outbound, created = OutboundEmail.objects.get_or_create(
                dedupe_key=dedupe_key,
                defaults={"to_email": to, "template": template, "subject": subject, "body_text": text,
                          "body_html": html},
            )
            if not created:
                return outbound
        else:
            outbound = OutboundEmail.objects.create(
                to_email=to, template=template, subject=subject, body_text=text, body_html=html
            )
        transaction.on_commit(lambda: _dispatch(outbound.pk))
    return outbound


def _dispatch(outbound_id: int) -> None:
    from .tasks import send_outbound_email

    try:
        send_outbound_email.delay(outbound_id)
    except Exception:  # the broker is down: the outbox keeps the e-mail and the beat task sends it
        logger.warning("Could not queue e-mail %s; it stays in the outbox", outbound_id, exc_info=True)


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
