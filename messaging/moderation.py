"""Staff review of masked messages (`Violation`): dismiss it, or warn the member who wrote it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.audit import audit
from core.exceptions import ApplicationError, Conflict

from .models import NotificationKind, Violation
from .notifications import notify

RESOLUTIONS = ("dismissed", "warned")


def violation_review(*, violation: Violation, by: User, resolution: str, note: str = "") -> Violation:
    """Records the decision once (who, when, which), audits it, and for "warned" tells the member in the app."""
    if not by.is_staff:
        raise ApplicationError(gettext("Not found."), code="not_found", status_code=404)
    if resolution not in RESOLUTIONS:
        raise ApplicationError(gettext("Invalid input: dismiss or warn."), code="validation_error",
                               errors={"resolution": [gettext("Choose dismissed or warned.")]})
    with transaction.atomic():
        locked = Violation.objects.select_for_update().select_related("user").get(pk=violation.pk)
        if locked.reviewed_at is not None:
            raise Conflict(gettext("Already reviewed (%(resolution)s).")
                           % {"resolution": str(locked.get_resolution_display()).lower()}, code="already_reviewed")
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = by
        locked.resolution = resolution
        locked.save(update_fields=["reviewed_at", "reviewed_by", "resolution"])
        audit(f"violation.{'dismiss' if resolution == 'dismissed' else 'warn'}", target=locked, actor=by,
              old={"resolution": ""}, new={"resolution": resolution, "kinds": locked.kinds, "user_id": locked.user_id})
        if resolution == "warned":
            notify(user=locked.user, kind=NotificationKind.SECURITY, title="A warning about one of your messages",
                   message=note or ("Sharing contact details or outside links before a contract exists is against "
                                    "our rules: keep the conversation and payments on MegiLance. Repeated attempts "
                                    "may lead to the suspension of your account."),
                   data={"violation_id": locked.pk, "chat_id": locked.message.chat_id})
    violation.refresh_from_db()
    return violation
