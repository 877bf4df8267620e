"""Members' mobile devices for pushes: one SNS platform endpoint per device token.

Registering is idempotent (the same token keeps its one row and endpoint) and moves a token to whoever
registers it. A device whose endpoint SNS disabled (the app was uninstalled, the token expired) or lost is
forgotten: when a push to it fails (`core.signals.push_endpoint_gone`) and by the periodic check. Tokens are
never written to a log.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import ApplicationError
from core.mobile import backend, mobile_available

from .models import Device

logger = logging.getLogger(__name__)

TOKEN_MAX_LENGTH = 1024


def devices_for(user: User) -> QuerySet[Device]:
    return Device.objects.filter(user=user).order_by("-registered_at", "-id")


def device_register(*, user: User, platform: str, token: str) -> tuple[Device, bool]:
    """Registers the caller's device (or takes over the token from whoever had it). Returns (device, created)."""
    token = (token or "").strip()
    if platform not in Device.Platform.values:
        raise ApplicationError(_("Invalid input: choose fcm or apns."), code="validation_error",
                               errors={"platform": [_("Choose fcm or apns.")]})
    if not token or len(token) > TOKEN_MAX_LENGTH or any(ch.isspace() for ch in token):
        raise ApplicationError(_("Invalid input: the device token is not valid."), code="validation_error",
                               errors={"token": [_("Send the token the platform gave the app.")]})
    if not mobile_available():
        raise ApplicationError(_("Pushes are not available on this server."), code="push_unavailable",
                               status_code=503)
    # SNS answers the same endpoint for the same token, so a repeated registration creates nothing new there.
    endpoint_arn = backend().platform_endpoint_create(platform=platform, token=token)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                device = Device.objects.select_for_update().filter(platform=platform, token=token).first()
                if device is None:
                    return Device.objects.create(user=user, platform=platform, token=token,
                                                 endpoint_arn=endpoint_arn), True
                device.user = user
                device.endpoint_arn = endpoint_arn
                device.save(update_fields=["user", "endpoint_arn", "registered_at"])
                return device, False
        except IntegrityError:  # the same token registered at the same moment: the second try finds its row
            continue
    raise ApplicationError(_("Try again."), code="conflict", status_code=409)


def device_delete(*, user: User, device_id: int) -> bool:
    """Forgets one of the caller's devices; False when the caller has no such device."""
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(user=user, pk=device_id).first()
        if device is None:
            return False
        endpoint_arn = device.endpoint_arn
        device.delete()
        if not Device.objects.filter(endpoint_arn=endpoint_arn).exists():
            transaction.on_commit(lambda: _endpoint_delete(endpoint_arn))
    return True


def _endpoint_delete(endpoint_arn: str) -> None:
    try:
        backend().platform_endpoint_delete(endpoint_arn=endpoint_arn)
    except Exception:  # a leftover endpoint costs nothing; pushes to it are no longer queued
        logger.warning("Could not delete the SNS endpoint of a removed device", exc_info=True)


def devices_forget_endpoint(*, endpoint_arn: str) -> int:
    """The endpoint is disabled or gone at SNS: the devices using it are removed (and it is deleted there)."""
    with transaction.atomic():
        deleted, _rows = Device.objects.filter(endpoint_arn=endpoint_arn).delete()
        if deleted:
            transaction.on_commit(lambda: _endpoint_delete(endpoint_arn))
    return deleted


def devices_prune() -> int:
    """Checks every device's endpoint at SNS and forgets those SNS disabled or lost. Returns how many."""
    if not mobile_available():
        return 0
    sns = backend()
    pruned = 0
    for endpoint_arn in Device.objects.values_list("endpoint_arn", flat=True).distinct().iterator():
        try:
            enabled = sns.endpoint_enabled(endpoint_arn=endpoint_arn)
        except Exception:
            logger.warning("Could not check a device endpoint", exc_info=True)
            continue
        if not enabled:
            pruned += devices_forget_endpoint(endpoint_arn=endpoint_arn)
    return pruned
