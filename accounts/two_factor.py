"""Two-factor authentication: TOTP (django-otp) that phone apps accept, and hashed one-time backup codes."""

import base64
import hashlib
import hmac
import io
import secrets
import time

import qrcode
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import audit
from core.exceptions import ApplicationError, Conflict

from .emails import security_email
from .models import BackupCode, User
from .signals import security_changed

BACKUP_CODE_COUNT = 8
DEVICE_NAME = "Authenticator app"


def _normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash_backup_code(code: str) -> str:
    # Codes carry 50 random bits, so a keyed hash is enough (and cheap to check eight of them).
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, _normalize_code(code).encode(), hashlib.sha256).hexdigest()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def two_factor_begin(*, user: User) -> dict:
    """Creates an unconfirmed TOTP device and fresh backup codes; both count once a first code confirms."""
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if is_enabled(user):
            raise Conflict(gettext("Two-factor authentication is already on."), code="two_factor_already_enabled")
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        codes = [f"{secrets.token_hex(3)[:5]}-{secrets.token_hex(3)[:5]}" for _ in range(BACKUP_CODE_COUNT)]
        BackupCode.objects.filter(user=user).delete()
        BackupCode.objects.bulk_create([BackupCode(user=user, code_hash=_hash_backup_code(c)) for c in codes])
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return {"secret": secret, "otpauth_url": device.config_url, "qr_code": _qr_data_uri(device.config_url),
            "backup_codes": codes}


CODE_ALREADY_USED = ("That code was already used. Your app shows a new code every 30 seconds: "
                     "wait for the next one and enter it.")


class CodeAlreadyUsed(ApplicationError):
    default_detail = CODE_ALREADY_USED
    default_code = "code_already_used"


def _already_used(device: TOTPDevice, code: str) -> bool:
    """The code is right but its 30-second window was already used on this device.

    django-otp accepts each window once (a code seen over someone's shoulder cannot be replayed), so the
    code that just turned two-factor on, or just signed in, is refused again until the app shows the next.
    """
    if device.last_t < 0:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    token = int(code)
    return any(hotp(device.bin_key, t, device.digits) == token
               for t in range(now - device.tolerance, min(now + device.tolerance, device.last_t) + 1))


def _verify_totp(device: TOTPDevice, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == device.digits):
        return False
    if _already_used(device, code):
        raise CodeAlreadyUsed(CODE_ALREADY_USED, code="code_already_used")
    allowed, details = device.verify_is_allowed()
    if not allowed:
        # After wrong codes django-otp makes each next try wait longer; say so instead of "not valid".
        locked_until = (details or {}).get("locked_until")
        wait = max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 1
        raise ApplicationError(ngettext("Too many wrong codes. Wait %(seconds)s second and try again.",
                                        "Too many wrong codes. Wait %(seconds)s seconds and try again.", wait)
                               % {"seconds": wait},
                               code="too_many_attempts", status_code=429)
    return device.verify_token(code)


def _use_backup_code(user: User, code: str) -> bool:
    with transaction.atomic():
        row = (
            BackupCode.objects.select_for_update()
            .filter(user=user, code_hash=_hash_backup_code(code), used_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        return True


def two_factor_confirm(*, user: User, code: str) -> None:
    """Turns two-factor on once the first code from the phone app checks out."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        if is_enabled(user):
            raise Conflict(gettext("Two-factor authentication is already on."), code="two_factor_already_enabled")
        raise ApplicationError(gettext("Start by turning two-factor authentication on."), code="two_factor_not_started")
    if not _verify_totp(device, code):
        raise ApplicationError(gettext("That code is not valid. Check the time on your phone and try again."),
                               code="invalid_code")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit("2fa.enable", target=user, actor=user, old={"two_factor": False}, new={"two_factor": True})
    security_changed.send(sender=User, user=user, action="2fa_enabled",
                          description="Two-factor authentication is now on for your account.")
    security_email(user=user, template="2fa_enabled")


def two_factor_check(*, user: User, code: str) -> bool:
    """A TOTP code (never the same one twice) or an unused backup code."""
    device = confirmed_device(user)
    if device is None:
        return False
    if _verify_totp(device, code):
        return True
    return _use_backup_code(user, code)


def two_factor_disable(*, user: User, code: str) -> None:
    if not is_enabled(user):
        raise ApplicationError(gettext("Two-factor authentication is not on."), code="two_factor_not_enabled")
    if not two_factor_check(user=user, code=code):
        raise ApplicationError(gettext("That code is not valid."), code="invalid_code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        BackupCode.objects.filter(user=user).delete()
        audit("2fa.disable", target=user, actor=user, old={"two_factor": True}, new={"two_factor": False})
        security_changed.send(sender=User, user=user, action="2fa_disabled",
                              description="Two-factor authentication was turned off for your account.")
    security_email(user=user, template="2fa_disabled")


def backup_codes_left(user: User) -> int:
    return BackupCode.objects.filter(user=user, used_at__isnull=True).count()
