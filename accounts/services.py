"""Everything that changes an account. The API, the pages, the admin and the tasks all call these."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.text import slugify
from django.utils.translation import gettext

from core.audit import audit
from core.exceptions import ApplicationError
from core.images import image_clean
from core.locale import LANGUAGE_CODES, valid_timezone
from core.money import CURRENCIES

from . import emails, phone, two_factor
from .models import BillingProfile, Skill, User, UserType, normalize_email
from .signals import security_changed, user_registered
from .tokens import login_issue, sessions_revoke_all

MFA_SALT = "accounts.mfa"
MAX_SKILLS = 30


class InvalidCredentials(ApplicationError):
    status_code = 401
    default_detail = "Invalid e-mail or password."
    default_code = "invalid_credentials"


def _field_error(field: str, message: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(gettext("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def _check_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ApplicationError(
            gettext("Invalid input: %(message)s") % {"message": exc.messages[0]}, code="validation_error",
            errors={field: list(exc.messages)},
        ) from exc


# --- sign-up and e-mail verification --------------------------------------------------------------


def user_register(
    *, email: str, password: str, first_name: str, last_name: str, user_type: str, company: str = "",
    language: str = "", timezone: str = "",
) -> User:
    """A new account. `language` and `timezone` are those the person signed up in (their browser's), so the
    welcome e-mail already speaks their language; both can be changed on the profile."""
    email = normalize_email(email)
    if user_type not in UserType.values:
        raise _field_error("user_type", gettext("Choose client or freelancer."))
    if User.objects.filter(email=email).exists():
        raise _field_error("email", gettext("An account with this e-mail address already exists."))
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(), user_type=user_type,
                company=company.strip() if user_type == UserType.CLIENT else "",
                language=language if language in LANGUAGE_CODES else "",
                timezone=timezone if timezone and valid_timezone(timezone) else "UTC")
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            emails.send_welcome(user)
            emails.send_verification(user)
    except IntegrityError as exc:  # two sign-ups with one address at the same moment
        raise _field_error("email", gettext("An account with this e-mail address already exists.")) from exc
    user_registered.send(sender=User, user=user)
    return user


def email_verify(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=emails.VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ApplicationError(gettext("This verification link has expired. Ask for a new one."),
                               code="token_expired") from exc
    except signing.BadSignature as exc:
        raise ApplicationError(gettext("This verification link is not valid."), code="invalid_token") from exc
    user = User.objects.filter(pk=data.get("u"), email=data.get("e"), is_active=True).first()
    if user is None:
        raise ApplicationError(gettext("This verification link is not valid."), code="invalid_token")
    if not user.email_verified:
        User.objects.filter(pk=user.pk).update(email_verified=True)
        user.email_verified = True
    return user


def email_verification_resend(*, user: User) -> None:
    if user.email_verified:
        raise ApplicationError(gettext("Your e-mail address is already verified."), code="already_verified")
    emails.send_verification(user)


# --- signing in ---------------------------------------------------------------------------------


@dataclass
class LoginResult:
    user: User
    requires_2fa: bool
    mfa_token: str | None = None


def credentials_check(*, email: str, password: str) -> LoginResult:
    """First step of signing in. With two-factor on, the answer is a short-lived `mfa_token`, not tokens."""
    user = authenticate(username=normalize_email(email), password=password)
    if user is None:
        raise InvalidCredentials()
    if two_factor.is_enabled(user):
        nonce = get_random_string(16)
        token = signing.dumps({"u": user.pk, "v": user.token_version, "n": nonce}, salt=MFA_SALT)
        return LoginResult(user=user, requires_2fa=True, mfa_token=token)
    return LoginResult(user=user, requires_2fa=False)


def mfa_token_user(*, mfa_token: str) -> User:
    try:
        data = signing.loads(mfa_token, salt=MFA_SALT, max_age=settings.MFA_TOKEN_MAX_AGE)
    except signing.BadSignature as exc:
        raise ApplicationError(
            "The sign-in step has expired or is not valid. Sign in again.", code="invalid_mfa_token", status_code=401
        ) from exc
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.token_version != data.get("v"):
        raise ApplicationError(gettext("The sign-in step is not valid. Sign in again."), code="invalid_mfa_token",
                               status_code=401)
    return user


def second_factor_sms_send(*, mfa_token: str) -> str:
    """At the second step, texts a sign-in code to the member's verified phone. Returns the number masked."""
    user = mfa_token_user(mfa_token=mfa_token)
    if not two_factor.is_enabled(user):
        raise ApplicationError(gettext("The sign-in step is not valid. Sign in again."), code="invalid_mfa_token",
                               status_code=401)
    return phone.login_code_send(user=user)


def second_factor_check(*, mfa_token: str, code: str) -> User:
    """Second step of signing in: a TOTP code, an unused backup code, or a code texted to the verified phone.
    Each `mfa_token` works once."""
    user = mfa_token_user(mfa_token=mfa_token)
    # A code texted to the verified phone ("Text me a code") counts as the second factor too.
    valid = phone.login_code_check(user=user, code=code)
    try:
        valid = valid or two_factor.two_factor_check(user=user, code=code)
    except two_factor.CodeAlreadyUsed as exc:  # a sign-in step that fails answers 401, like a wrong code
        raise ApplicationError(str(exc.detail), code="code_already_used", status_code=401) from exc
    if not valid:
        raise ApplicationError(gettext("That code is not valid."), code="invalid_code", status_code=401)
    nonce = signing.loads(mfa_token, salt=MFA_SALT)["n"]
    if not cache.add(f"mfa-used:{nonce}", 1, timeout=settings.MFA_TOKEN_MAX_AGE + 60):
        raise ApplicationError(gettext("This sign-in step was already completed. Sign in again."),
                               code="invalid_mfa_token",
                               status_code=401)
    return user


def api_login(*, user: User, ip_address: str | None, user_agent: str) -> dict[str, Any]:
    audit("login", target=user, actor=user, new={"via": "api"}, ip=ip_address)
    return {**login_issue(user=user, ip_address=ip_address, user_agent=user_agent), "requires_2fa": False}


# --- passwords ----------------------------------------------------------------------------------


def password_change(*, user: User, current_password: str, new_password: str) -> None:
    """Changes the password and ends every other session and token of the account."""
    if not user.check_password(current_password):
        raise _field_error("current_password", gettext("Your current password is not correct."))
    _check_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    sessions_revoke_all(user=user)
    audit("password.change", target=user, actor=user)
    security_changed.send(sender=User, user=user, action="password_changed",
                          description="Your password was changed. Other devices were signed out.")


def password_reset_request(*, email: str) -> None:
    """Sends a reset link if the address belongs to an active account; says nothing either way."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is not None and user.has_usable_password():
        emails.send_password_reset(user)


def _user_from_reset_token(token: str) -> User:
    uid, _, key = (token or "").partition(".")
    try:
        pk = force_str(urlsafe_base64_decode(uid))
        user = User.objects.filter(pk=int(pk), is_active=True).first()
    except (ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, key):
        raise ApplicationError(gettext("This password reset link is invalid or has expired. Ask for a new one."),
                               code="invalid_token")
    return user


def password_reset_token_valid(*, token: str) -> bool:
    try:
        _user_from_reset_token(token)
    except ApplicationError:
        return False
    return True


def password_reset_confirm(*, token: str, new_password: str) -> User:
    user = _user_from_reset_token(token)
    _check_password(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.email_verified = True  # the link reached the inbox, so the address is theirs
        user.save(update_fields=["password", "email_verified"])
        sessions_revoke_all(user=user)
        audit("password.reset", target=user, actor=user)
        security_changed.send(sender=User, user=user, action="password_reset",
                              description="Your password was reset. Every device was signed out.")
        emails.security_email(user=user, template="password_reset_success")
    return user


# --- profile ------------------------------------------------------------------------------------

PROFILE_FIELDS = {"first_name", "last_name", "headline", "bio", "country", "timezone", "company",
                  "hourly_rate", "available", "skills", "email", "avatar", "current_password", "language",
                  "display_currency"}
FREELANCER_ONLY = {"hourly_rate", "skills", "available"}


def skills_from_names(names: list[str]) -> list[Skill]:
    cleaned: dict[str, str] = {}
    for name in names:
        name = " ".join(str(name).split())
        if not name:
            continue
        if len(name) > 50:
            raise _field_error("skills", gettext("A skill name has at most 50 characters."))
        cleaned.setdefault(slugify(name)[:60] or name.lower(), name)
    if len(cleaned) > MAX_SKILLS:
        raise _field_error("skills", gettext("Choose at most %(count)s skills.") % {"count": MAX_SKILLS})
    existing = {skill.slug: skill for skill in Skill.objects.filter(slug__in=cleaned)}
    missing = [Skill(name=name, slug=slug) for slug, name in cleaned.items() if slug not in existing]
    Skill.objects.bulk_create(missing, ignore_conflicts=True)
    return list(Skill.objects.filter(slug__in=cleaned))


def _checked_language(value: str | None) -> str:
    code = (value or "").strip().lower()
    if code and code not in LANGUAGE_CODES:
        raise _field_error("language", gettext("Choose English, Spanish or German."))
    return code


def _checked_display_currency(value: str | None) -> str:
    code = (value or "").strip().lower()
    if code and code not in {c for c, _ in CURRENCIES}:
        raise _field_error("display_currency", gettext("Choose US dollar, euro or pound sterling."))
    return code


def language_set(*, user: User, language: str) -> User:
    """The language the person reads MegiLance in, pages and e-mails ("" follows their browser)."""
    code = _checked_language(language)
    User.objects.filter(pk=user.pk).update(language=code)
    user.language = code
    return user


def profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Updates the caller's own profile. A new e-mail address needs the current password and a new verification."""
    unknown = set(data) - PROFILE_FIELDS
    if unknown:
        raise _field_error(sorted(unknown)[0], "This field cannot be changed here.")
    if not user.is_freelancer:
        for field in FREELANCER_ONLY & set(data):
            if field == "available" or data[field] not in (None, [], ""):
                raise _field_error(field, "Only freelancers have this field.")
    changed_email = False
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old_email = user.email
        if "email" in data:
            new_email = normalize_email(data["email"])
            if new_email != user.email:
                if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
                    raise _field_error("email", gettext("An account with this e-mail address already exists."))
                # A stolen session must not be enough to move the account to another inbox.
                if not user.check_password(data.get("current_password") or ""):
                    raise _field_error("current_password",
                                       gettext("Enter your current password to change your e-mail."))
                user.email = new_email
                user.email_verified = False
                changed_email = True
        for field in ("first_name", "last_name", "headline", "bio", "timezone", "company"):
            if field in data:
                setattr(user, field, (data[field] or "").strip())
        if "country" in data:
            user.country = (data["country"] or "").strip().upper()
        if "timezone" in data and not valid_timezone(user.timezone):
            raise _field_error("timezone", gettext("Choose a time zone such as Europe/Berlin or UTC."))
        if "language" in data:
            user.language = _checked_language(data["language"])
        if "display_currency" in data:
            user.display_currency = _checked_display_currency(data["display_currency"])
        if "hourly_rate" in data:
            rate = data["hourly_rate"]
            user.hourly_rate = None if rate in (None, "") else Decimal(rate).quantize(Decimal("0.01"))
        if "available" in data:
            user.available = bool(data["available"])
        if "avatar" in data:
            avatar: UploadedFile | None = data["avatar"]
            if avatar:
                cleaned = image_clean(avatar, field="avatar", max_bytes=settings.AVATAR_MAX_BYTES, max_side=512)
                user.avatar.save(cast(str, cleaned.name), cleaned, save=False)  # image_clean always names it
            else:
                user.avatar = ""
        try:
            user.save()
        except IntegrityError as exc:
            raise _field_error("email", gettext("An account with this e-mail address already exists.")) from exc
        if "skills" in data:
            user.skills.set(skills_from_names(data["skills"] or []))
        if changed_email:
            audit("email.change", target=user, actor=user, old={"email": old_email}, new={"email": user.email})
            security_changed.send(sender=User, user=user, action="email_changed",
                                  description=f"Your sign-in e-mail changed from {old_email} to {user.email}.")
            emails.send_verification(user)
    return user


def user_set_active(*, user: User, active: bool) -> User:
    """Suspends or reactivates an account; a suspension ends every session and token at once."""
    with transaction.atomic():
        was_active = User.objects.select_for_update().get(pk=user.pk).is_active
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        if not active:
            sessions_revoke_all(user=user)
        if was_active != active:
            audit("user.suspend" if not active else "user.reactivate", target=user, old={"is_active": was_active},
                  new={"is_active": active})
            if not active:
                emails.security_email(user=user, template="account_deactivated")
    return user


# --- billing details ----------------------------------------------------------------------------


def billing_details_get(user: User) -> BillingProfile:
    """The person's billing details (unsaved and empty when they never gave any)."""
    return BillingProfile.objects.filter(user=user).first() or BillingProfile(user=user)


def billing_details_update(*, user: User, data: dict[str, str]) -> BillingProfile:
    """Saves the billing details as typed (surrounding spaces trimmed). Payments recorded from now on carry
    them; earlier receipts keep the details they were recorded with."""
    values = {field: (data.get(field) or "").strip() for field in BillingProfile.FIELDS}
    profile, _ = BillingProfile.objects.update_or_create(user=user, defaults=values)
    audit("billing_details.update", actor=user, target=user)
    return profile


def billing_details_snapshot(user_id: int) -> dict[str, str]:
    """The person's billing details as a plain dict to keep with a record; empty when they gave none."""
    profile = BillingProfile.objects.filter(user_id=user_id).first()
    return profile.snapshot() if profile is not None else {}
