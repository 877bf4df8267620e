"""A verified phone number: a six-digit code by text message proves the number is the member's.

The same codes are the second factor's fallback at sign-in ("Text me a code"). Codes are kept only as keyed
hashes, live `PHONE_CODE_MAX_AGE` seconds, allow five tries, and are sent at most once a minute and five times
an hour per purpose. The text goes through the outbox (`core.texts`), marked sensitive, so its code is removed
from the outbox once sent and never written to a log.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.exceptions import ApplicationError
from core.mobile import mobile_available
from core.texts import sms_queue

from .emails import phone_changed_email
from .models import PhoneCode, PhoneNumber, User, mask_phone_number
from .signals import security_changed

RESEND_AFTER = timedelta(seconds=60)
SENDS_PER_HOUR = 5
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SEPARATORS = re.compile(r"[\s\-().]")


def phone_number_normalize(raw: str) -> str:
    """`+44 7700 900123` → `+447700900123`; anything that is not an international number is refused."""
    number = _SEPARATORS.sub("", raw or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    if not number:
        raise _invalid(_("Enter your mobile number."))
    if not number.startswith("+"):
        raise _invalid(_("Start with + and your country code, for example +44 7700 900123."))
    if not _E164.match(number):
        raise _invalid(_("Enter a mobile number of 8 to 15 digits after the + and country code, "
                         "for example +44 7700 900123."))
    return number


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(_("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={"phone_number": [message]})


def verified_number(user: User) -> str | None:
    phone = PhoneNumber.objects.filter(user=user).only("number").first()
    return phone.number if phone else None


def pending_verification(user: User) -> PhoneCode | None:
    """The code sent to a number being verified, while it can still be used."""
    return (PhoneCode.objects.filter(user=user, purpose=PhoneCode.Purpose.VERIFY, used_at__isnull=True,
                                     expires_at__gt=timezone.now(), attempts__lt=PhoneCode.MAX_ATTEMPTS)
            .order_by("-created_at", "-id").first())


def _hash(user_id: int, purpose: str, number: str, code: str) -> str:
    message = f"{user_id}:{purpose}:{number}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _require_sms() -> None:
    if not mobile_available():
        raise ApplicationError(_("Text messages are not available on this server."), code="sms_unavailable",
                               status_code=503)


def _check_rate(user: User, purpose: str) -> None:
    now = timezone.now()
    recent = list(PhoneCode.objects.filter(user=user, purpose=purpose, created_at__gt=now - timedelta(hours=1))
                  .order_by("-created_at").values_list("created_at", flat=True)[:SENDS_PER_HOUR])
    if recent and now - recent[0] < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - recent[0])).total_seconds()) + 1
        raise ApplicationError(_("We just sent you a code. Wait %(seconds)s seconds before asking for another.")
                               % {"seconds": wait}, code="too_many_codes", status_code=429)
    if len(recent) >= SENDS_PER_HOUR:
        raise ApplicationError(_("Too many codes were sent in the last hour. Try again later."),
                               code="too_many_codes", status_code=429)


def _code_send(*, user: User, purpose: str, number: str) -> PhoneCode:
    """Locks the member, checks the sending limits, stores the new code's hash and queues its text."""
    _require_sms()
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)  # one send at a time per member
        _check_rate(user, purpose)
        code = f"{secrets.randbelow(10**6):06d}"
        minutes = settings.PHONE_CODE_MAX_AGE // 60
        row = PhoneCode.objects.create(user=user, purpose=purpose, number=number,
                                       code_hash=_hash(user.pk, purpose, number, code),
                                       expires_at=timezone.now() + timedelta(seconds=settings.PHONE_CODE_MAX_AGE))
        if purpose == PhoneCode.Purpose.VERIFY:
            text = _("MegiLance code: %(code)s. Enter it to verify this phone number. It expires in %(minutes)s "
                     "minutes. Never share it.") % {"code": code, "minutes": minutes}
        else:
            text = _("MegiLance sign-in code: %(code)s. It expires in %(minutes)s minutes. If you did not try to "
                     "sign in, change your password.") % {"code": code, "minutes": minutes}
        sms_queue(to=number, template=f"phone_code_{purpose}", text=text, sensitive=True)
    return row


def phone_verification_start(*, user: User, phone_number: str) -> PhoneCode:
    """Sends a code to the number; the number becomes the member's once the code comes back."""
    number = phone_number_normalize(phone_number)
    if verified_number(user) == number:
        raise ApplicationError(_("This number is already verified."), code="already_verified", status_code=409)
    return _code_send(user=user, purpose=PhoneCode.Purpose.VERIFY, number=number)


def phone_verification_resend(*, user: User) -> PhoneCode:
    """A new code to the number being verified (the old one stops working)."""
    latest = (PhoneCode.objects.filter(user=user, purpose=PhoneCode.Purpose.VERIFY, used_at__isnull=True)
              .order_by("-created_at", "-id").first())
    if latest is None:
        raise ApplicationError(_("Enter your mobile number first."), code="no_pending_number", status_code=409)
    return _code_send(user=user, purpose=PhoneCode.Purpose.VERIFY, number=latest.number)


def _code_use(*, user: User, purpose: str, code: str) -> PhoneCode | None:
    """Uses the member's latest live code of this purpose if `code` is it; a wrong code costs one try."""
    code = _SEPARATORS.sub("", code or "")
    with transaction.atomic():
        row = (PhoneCode.objects.select_for_update()
               .filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
               .order_by("-created_at", "-id").first())
        if row is None or row.attempts >= PhoneCode.MAX_ATTEMPTS:
            return None
        if not hmac.compare_digest(row.code_hash, _hash(user.pk, purpose, row.number, code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            return None
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        # Any older code of this purpose stops working with it.
        PhoneCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=row.used_at)
        return row


def phone_verification_confirm(*, user: User, code: str) -> PhoneNumber:
    """The code that came back makes its number the member's verified number."""
    pending = pending_verification(user)
    if pending is None:
        raise ApplicationError(_("That code has expired or was tried too often. Ask for a new code."),
                               code="code_expired", errors={"code": [_("Ask for a new code.")]})
    used = _code_use(user=user, purpose=PhoneCode.Purpose.VERIFY, code=code)
    if used is None:
        raise ApplicationError(_("That code is not right. Check the text message and try again."),
                               code="invalid_code", errors={"code": [_("That code is not right.")]})
    with transaction.atomic():
        old = verified_number(user)
        phone, _created = PhoneNumber.objects.update_or_create(
            user=user, defaults={"number": used.number, "verified_at": timezone.now()})
        audit("phone.verify", target=user, actor=user,
              old={"phone_number": mask_phone_number(old) if old else None},
              new={"phone_number": phone.masked})
        security_changed.send(sender=User, user=user, action="phone_verified",
                              description=_("The phone number %(number)s was verified for your account.")
                              % {"number": phone.masked})
        phone_changed_email(user=user, number=phone.masked, removed=False)
    return phone


def phone_number_remove(*, user: User) -> None:
    with transaction.atomic():
        phone = PhoneNumber.objects.select_for_update().filter(user=user).first()
        if phone is None:
            raise ApplicationError(_("There is no phone number on your account."), code="no_phone_number",
                                   status_code=404)
        phone.delete()
        PhoneCode.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
        audit("phone.remove", target=user, actor=user, old={"phone_number": phone.masked},
              new={"phone_number": None})
        security_changed.send(sender=User, user=user, action="phone_removed",
                              description=_("The phone number %(number)s was removed from your account.")
                              % {"number": phone.masked})
        phone_changed_email(user=user, number=phone.masked, removed=True)


# --- the second factor's fallback ------------------------------------------------------------------


def login_code_available(user: User) -> bool:
    return mobile_available() and PhoneNumber.objects.filter(user=user).exists()


def login_code_send(*, user: User) -> str:
    """Texts a sign-in code to the member's verified number; returns the number masked."""
    number = verified_number(user)
    if number is None:
        raise ApplicationError(_("There is no verified phone number on this account. Use your authenticator app "
                                 "or a backup code."), code="no_phone_number", status_code=409)
    _code_send(user=user, purpose=PhoneCode.Purpose.LOGIN, number=number)
    return mask_phone_number(number)


def login_code_check(*, user: User, code: str) -> bool:
    """True when `code` is the sign-in code texted to the member (it then works no more)."""
    number = verified_number(user)
    if number is None:
        return False
    used = _code_use(user=user, purpose=PhoneCode.Purpose.LOGIN, code=code)
    return used is not None and used.number == number
