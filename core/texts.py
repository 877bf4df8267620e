"""Text messages and mobile pushes through the outbox: queued in the caller's transaction, sent by Celery
after commit, exactly as `core.mail.email_queue` does for e-mail.

Sending is `core/outbox.py`, run by the tasks in `core/tasks.py`; this module only writes and queues.
"""

import json
import logging
from typing import Any

from django.db import transaction

from .models import OutboundMessage
from .tasks import send_outbound_message

logger = logging.getLogger(__name__)

SMS_MAX_CHARS = 480  # three concatenated text messages at most


def _queue(*, channel: str, to: str, template: str, body: str, sensitive: bool,
           dedupe_key: str | None) -> OutboundMessage:
    with transaction.atomic():
        if dedupe_key:
            outbound, created = OutboundMessage.objects.get_or_create(
                dedupe_key=dedupe_key,
                defaults={"channel": channel, "to": to, "template": template, "body": body, "sensitive": sensitive},
            )
            if not created:
                return outbound
        else:
            outbound = OutboundMessage.objects.create(channel=channel, to=to, template=template, body=body,
                                                      sensitive=sensitive)
        transaction.on_commit(lambda: _dispatch(outbound.pk))
    return outbound


def sms_queue(*, to: str, template: str, text: str, sensitive: bool = False,
              dedupe_key: str | None = None) -> OutboundMessage:
    """Writes a text message to the outbox; `sensitive` for one carrying a code (removed once sent)."""
    return _queue(channel=OutboundMessage.Channel.SMS, to=to, template=template, body=text[:SMS_MAX_CHARS],
                  sensitive=sensitive, dedupe_key=dedupe_key)


def push_message(*, platform: str, title: str, body: str, data: dict[str, Any] | None = None) -> str:
    """SNS's message JSON for one platform: `default` plus the FCM (`GCM`, HTTP v1) or APNs payload."""
    strings = {key: str(value) for key, value in (data or {}).items()}
    native: dict[str, Any]
    if platform == "fcm":
        native = {"fcmV1Message": {"message": {"notification": {"title": title, "body": body}, "data": strings}}}
        keys = ["GCM"]
    else:
        native = {"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, **strings}
        keys = ["APNS", "APNS_SANDBOX"]
    message = {"default": f"{title}: {body}" if body else title}
    for key in keys:
        message[key] = json.dumps(native)
    return json.dumps(message)


def push_queue(*, endpoint_arn: str, platform: str, template: str, title: str, body: str,
               data: dict[str, Any] | None = None, dedupe_key: str | None = None) -> OutboundMessage:
    """Writes a push to one device's endpoint to the outbox."""
    return _queue(channel=OutboundMessage.Channel.PUSH, to=endpoint_arn, template=template,
                  body=push_message(platform=platform, title=title[:200], body=body[:1000], data=data),
                  sensitive=False, dedupe_key=dedupe_key)


def _dispatch(outbound_id: int) -> None:
    try:
        send_outbound_message.delay(outbound_id)
    except Exception:  # the broker is down: the outbox keeps the message and the beat task sends it
        logger.warning("Could not queue message %s; it stays in the outbox", outbound_id, exc_info=True)
