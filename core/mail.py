"""Templated e-mail through the outbox: `email_queue` in a transaction, sent by Celery after commit.

Sending is `core/outbox.py`, run by the tasks in `core/tasks.py`; this module only writes and queues.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.translation import get_language

from .locale import recipient_locale
from .models import OutboundEmail
from .tasks import send_outbound_email

logger = logging.getLogger(__name__)


def email_render(*, template: str, context: dict[str, Any], recipient: Any = None) -> tuple[str, str, str]:
    """Renders `templates/emails/<template>{_subject.txt,.txt,.html}` into (subject, text, html).

    With a `recipient` (a user), in their language and with times in their time zone; amounts passed as
    `core.money.Money` come out in their language too."""
    with recipient_locale(recipient):
        ctx = {"site_url": settings.FRONTEND_URL, "site_name": "MegiLance", "LANGUAGE_CODE": get_language(),
               **{key: _text(value) for key, value in context.items()}}
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
        text = render_to_string(f"emails/{template}.txt", ctx)
        html = render_to_string(f"emails/{template}.html", ctx)
    return subject, text, html


def _text(value: Any) -> Any:
    """Lazy translations (gettext_lazy, format_lazy) become text in the language being rendered."""
    return str(value) if isinstance(value, Promise) else value


def email_queue(*, to: str, template: str, context: dict[str, Any], dedupe_key: str | None = None,
                recipient: Any = None) -> OutboundEmail:
    """Writes the e-mail to the outbox in the caller's transaction and asks for delivery after commit.

    `recipient` is the user it is for: it is written in their language, times in their time zone."""
    subject, text, html = email_render(template=template, context=context, recipient=recipient)
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
    try:
        send_outbound_email.delay(outbound_id)
    except Exception:  # the broker is down: the outbox keeps the e-mail and the beat task sends it
        logger.warning("Could not queue e-mail %s; it stays in the outbox", outbound_id, exc_info=True)
