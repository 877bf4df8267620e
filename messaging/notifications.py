"""In-app notifications and the e-mails that go with them, by each user's preferences.

`notify` is the one entry point every app calls when something happens that a user cares about.
"""

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from accounts.models import User
from core.locale import recipient_locale
from core.mail import email_queue

from .models import Notification, NotificationKind, NotificationPreference
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


def preferences_for(user: User) -> dict[str, dict[str, bool]]:
    """Every kind with its in-app and e-mail switches (defaults where the user set nothing)."""
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    return {
        kind: {"in_app": stored[kind].in_app if kind in stored else True,
               "email": stored[kind].email if kind in stored else True}
        for kind in NotificationKind.values
    }


def preferences_update(*, user: User, changes: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    with transaction.atomic():
        for kind, switches in changes.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind,
                defaults={key: bool(value) for key, value in switches.items() if key in ("in_app", "email")},
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
    """Tells a user something happened: in the app (stored, then pushed live after commit) and by e-mail.

    Both follow the user's preferences for the kind. The e-mail goes through the outbox, so it is sent
    once after commit even if the broker is down at that moment.
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
    return notification


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
