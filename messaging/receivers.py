"""Messaging listens to the apps below it (accounts, core): what they report becomes notifications, and a
push endpoint core found gone loses its device."""

from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from accounts.signals import security_changed
from core.signals import push_endpoint_gone

from .devices import devices_forget_endpoint
from .models import NotificationKind
from .notifications import notify


@receiver(security_changed, dispatch_uid="messaging.security_changed")
def _security_changed(sender: Any, user: Any, action: str, description: str, **kwargs: Any) -> None:
    # The e-mail about it is accounts' own (sent whatever the preferences); this is the in-app notice.
    notify(user=user, kind=NotificationKind.SECURITY, title=_("Your account's security settings changed"),
           message=description, data={"action": action})


@receiver(push_endpoint_gone, dispatch_uid="messaging.push_endpoint_gone")
def _push_endpoint_gone(sender: Any, endpoint_arn: str, **kwargs: Any) -> None:
    # A push found its device's endpoint disabled or gone: the device is forgotten.
    devices_forget_endpoint(endpoint_arn=endpoint_arn)
