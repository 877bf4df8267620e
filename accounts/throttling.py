"""Request limits for signing in, signing up and password resets: per IP and per account.

The counters live in the default cache, which is Redis in production, so limits hold across processes.
`THROTTLE_ENABLED=0` turns them off for load tests and benchmarks.
"""

from django.conf import settings
from django.core import signing
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from .models import normalize_email


class _Throttle(SimpleRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        if not settings.THROTTLE_ENABLED:
            return True
        return super().allow_request(request, view)


class _IPThrottle(_Throttle):
    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _EmailThrottle(_Throttle):
    """Keyed by the account the request names, so one account cannot be guessed at from many addresses."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {"scope": self.scope, "ident": normalize_email(email)}


class LoginIPThrottle(_IPThrottle):
    scope = "login_ip"


class LoginAccountThrottle(_EmailThrottle):
    scope = "login_account"


class RegisterIPThrottle(_IPThrottle):
    scope = "register_ip"


class PasswordResetIPThrottle(_IPThrottle):
    scope = "password_reset_ip"


class PasswordResetAccountThrottle(_EmailThrottle):
    scope = "password_reset_account"


class MfaIPThrottle(_IPThrottle):
    scope = "mfa_ip"


class MfaAccountThrottle(_Throttle):
    scope = "mfa_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = request.data.get("mfa_token") if hasattr(request.data, "get") else None
        if not isinstance(token, str):
            return None
        try:
            # The signature is checked, the age is not: an expired token still names the account.
            user_id = signing.loads(token, salt="accounts.mfa").get("u")
        except signing.BadSignature:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user_id}


class VerifyResendThrottle(_Throttle):
    scope = "verify_resend_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
