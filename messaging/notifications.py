"""In-app notifications and the e-mails, text messages and pushes that go with them, by each user's preferences.

`notify` is the one entry point every app calls when something happens that a user cares about.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from accounts.models import User
from accounts.phone import verified_number
from core.locale import recipient_locale
from core.mail import email_queue
from core.mobile import mobile_available
from core.texts import push_queue, sms_queue

from .models import SMS_DEFAULT_KINDS, Device, Notification, NotificationKind, NotificationPreference
from .realtime import broadcast_on_commit, user_group

UNSUBSCRIBE_SALT = "messaging.unsubscribe"


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "type": notification.kind,
        "title": notification.title,
        "message": notification.message,
        "data": notification.data,
        "created_at": notification.created_at.isoformat(),
    }


CHANNELS = ("in_app", "email", "sms", "push")


def channel_default(kind: str, channel: str) -> bool:
    """What a member gets without having chosen: everything but text messages, which are for security and
    money (`SMS_DEFAULT_KINDS`)."""
    return kind in SMS_DEFAULT_KINDS if channel == "sms" else True


def preferences_for(user: User) -> dict[str, dict[str, bool]]:
    """Every kind with its in-app, e-mail, text message and push switches (defaults where the user set nothing)."""
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    answer = {}
    for kind in NotificationKind.values:
        row = stored.get(kind)
        switches = {}
        for channel in CHANNELS:
            value = getattr(row, channel) if row is not None else None
            switches[channel] = channel_default(kind, channel) if value is None else bool(value)
        answer[kind] = switches
    return answer


def preferences_update(*, user: User, changes: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    with transaction.atomic():
        for kind, switches in changes.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind,
                defaults={key: bool(value) for key, value in switches.items() if key in CHANNELS},
            )
    return preferences_for(user)


def unsubscribe_token(user: User, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe(*, token: str) -> tuple[User, str] | None:
    """One click from an e-mail turns that kind of e-mail off. Returns (user, kind) or None for a bad link."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or data.get("k") not in NotificationKind.values:
        return None
    NotificationPreference.objects.update_or_create(user=user, kind=data["k"], defaults={"email": False})
    return user, data["k"]


def notify(
    *,
    user: User,
    kind: str,
    title: "str | Promise",
    message: "str | Promise" = "",
    data: dict[str, Any] | None = None,
    email_template: str | None = None,
    email_context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Tells a user something happened: in the app (stored, then pushed live after commit), by e-mail, by text
    message to a verified phone number, and by push to the user's mobile devices.

    Each follows the user's preferences for the kind. The e-mail, the text and the pushes go through the
    outbox, so each is sent once after commit even if the broker is down at that moment.
    """
    switches = preferences_for(user)[kind]
    notification = None
    # Titles and messages given as lazy translations (gettext_lazy, format_lazy with core.money.Money amounts)
    # are stored in the recipient's language, whoever's request caused them.
    with recipient_locale(user):
        title, message = str(title), str(message)
    with transaction.atomic():
        if switches["in_app"]:
            notification = Notification.objects.create(user=user, kind=kind, title=title[:200],
                                                        message=message[:2000], data=data or {})
            broadcast_on_commit(user_group(user.pk), {"type": "notification.push",
                                                      "payload": notification_payload(notification)})
        if switches["email"] and email_template and user.is_active:
            token = unsubscribe_token(user, kind)
            context = {
                "user": {"first_name": user.first_name, "email": user.email, "user_type": user.user_type},
                "title": title,
                "message": message,
                "unsubscribe_url": f"{settings.FRONTEND_URL}/notifications/unsubscribe/{token}/",
                "notifications_url": f"{settings.FRONTEND_URL}/notifications/",
                **(email_context or {}),
            }
            email_queue(to=user.email, template=email_template, context=context, dedupe_key=dedupe_key,
                        recipient=user)
        if switches["sms"] and user.is_active and mobile_available():
            _text(user=user, kind=kind, title=title, message=message, dedupe_key=dedupe_key)
        if switches["push"] and user.is_active and mobile_available():
            _push(user=user, kind=kind, title=title, message=message, data=data or {},
                  notification=notification, dedupe_key=dedupe_key)
    return notification


def _text(*, user: User, kind: str, title: str, message: str, dedupe_key: str | None) -> None:
    """The notification by text message, to the member's verified number only."""
    number = verified_number(user)
    if number is None:
        return
    text = f"MegiLance: {title}" + (f". {message}" if message else "")
    sms_queue(to=number, template=f"notification:{kind}", text=text,
              dedupe_key=_derived_key(dedupe_key, "sms"))


def _push(*, user: User, kind: str, title: str, message: str, data: dict[str, Any],
          notification: Notification | None, dedupe_key: str | None) -> None:
    """The notification pushed to each of the member's devices."""
    extra = {key: value for key, value in data.items() if isinstance(value, str | int | float | bool)}
    payload = {**extra, "kind": kind, "notification_id": notification.pk if notification else ""}
    for device in Device.objects.filter(user=user).only("pk", "platform", "endpoint_arn"):
        push_queue(endpoint_arn=device.endpoint_arn, platform=device.platform, template=f"notification:{kind}",
                   title=title, body=message, data=payload,
                   dedupe_key=_derived_key(dedupe_key, f"push:{device.pk}"))


def _derived_key(dedupe_key: str | None, channel: str) -> str | None:
    """The notification's dedupe key for one more channel, within the outbox's 128 characters."""
    if not dedupe_key:
        return None
    key = f"{dedupe_key}:{channel}"
    return key if len(key) <= 128 else f"{hashlib.sha256(dedupe_key.encode()).hexdigest()}:{channel}"


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_mark_read(*, user: User, notification_id: int) -> Notification | None:
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
