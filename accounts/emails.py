"""The account e-mails. Each goes through the outbox, so it is sent after commit and never lost."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.mail import email_queue

from .models import User

VERIFY_SALT = "accounts.verify-email"


def email_verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT, compress=True)


def password_reset_token(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}.{default_token_generator.make_token(user)}"


def _context(user: User, **extra: object) -> dict:
    return {"user": {"first_name": user.first_name, "email": user.email, "user_type": user.user_type}, **extra}


def send_welcome(user: User) -> None:
    email_queue(to=user.email, template="welcome", context=_context(user), dedupe_key=f"welcome:{user.pk}",
                recipient=user)


def send_verification(user: User) -> None:
    token = email_verification_token(user)
    link = f"{settings.FRONTEND_URL}/verify-email/{token}/"
    email_queue(to=user.email, template="email_verification", context=_context(user, link=link, token=token),
                recipient=user)


def send_password_reset(user: User) -> None:
    token = password_reset_token(user)
    link = f"{settings.FRONTEND_URL}/password-reset/confirm/{token}/"
    email_queue(to=user.email, template="password_reset_request", context=_context(user, link=link, token=token),
                recipient=user)


def security_email(*, user: User, template: str) -> None:
    """password_reset_success, 2fa_enabled, 2fa_disabled: tell the owner their account's security changed."""
    security_url = f"{settings.FRONTEND_URL}/settings/security/"
    email_queue(to=user.email, template=template, context=_context(user, security_url=security_url),
                recipient=user)


def phone_changed_email(*, user: User, number: str, removed: bool) -> None:
    """Tells the owner a phone number was verified for or removed from their account (`number` masked)."""
    security_url = f"{settings.FRONTEND_URL}/settings/security/"
    email_queue(to=user.email, template="phone_changed",
                context=_context(user, security_url=security_url, number=number, removed=removed,
                                 email=user.email),
                recipient=user)
