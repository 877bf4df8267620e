"""Messaging listens to the apps below it (accounts) and turns what they report into notifications."""

from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from accounts.signals import security_changed

from .models import NotificationKind
from .notifications import notify


@receiver(security_changed, dispatch_uid="messaging.security_changed")
def _security_changed(sender: Any, user: Any, action: str, description: str, **kwargs: Any) -> None:
    # The e-mail about it is accounts' own (sent whatever the preferences); this is the in-app notice.
    notify(user=user, kind=NotificationKind.SECURITY, title=_("Your account's security settings changed"),
           message=description, data={"action": action})
