"""Request limits for signing in, signing up and password resets.

Three kinds of limit, each keyed by the client's address as `core.clientip.client_ip` sees it (a spoofed
`X-Forwarded-For` is believed only from a configured proxy):

- per client: how often one address may try at all, whichever accounts it names;
- per account and client: how often one address may try one account;
- per account, slowed not locked: once an account has been tried more than its account-wide ceiling from
  all clients together, each client's allowance for that account drops (e.g. to one try a minute). Guessing
  from many addresses slows to a crawl, yet nobody can lock the owner out: the owner's own client still has
  its try, and the right password still signs them in.

The counters live in the default cache, which is Redis in production, so limits hold across processes.
`THROTTLE_ENABLED=0` turns them off for load tests and benchmarks.
"""

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core.clientip import client_ip

from .models import normalize_email


class _Throttle(SimpleRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        if not settings.THROTTLE_ENABLED:
            return True
        return super().allow_request(request, view)

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or "unknown"


class _IPThrottle(_Throttle):
    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _AccountClientThrottle(_Throttle):
    """Limits one client's tries at one account; see the module's docstring for the account-wide slowing.

    Rates: `<scope>` per (account, client), `<scope>_wide` the account-wide ceiling, `<scope>_slowed` each
    client's allowance while the account is over its ceiling.
    """

    def account(self, request: Any) -> str | None:
        raise NotImplementedError

    def _limit(self, rate: str | None) -> tuple[int, int]:
        """`parse_rate` of one of this throttle's rates, which the settings name (None would mean no limit)."""
        requests, duration = self.parse_rate(rate)
        if requests is None or duration is None:
            raise ImproperlyConfigured(f"No request rate is set for the {self.scope} throttle.")
        return requests, duration

    def allow_request(self, request: Request, view: APIView) -> bool:
        if not settings.THROTTLE_ENABLED:
            return True
        account = self.account(request)
        if account is None:
            return True
        rates = self.THROTTLE_RATES
        wide_limit, wide_duration = self._limit(rates[f"{self.scope}_wide"])
        wide_key = self.cache_format % {"scope": f"{self.scope}_wide", "ident": account}
        self.now = self.timer()
        wide = [t for t in self.cache.get(wide_key, []) if t > self.now - wide_duration]
        slowed = len(wide) >= wide_limit
        self.num_requests, self.duration = self._limit(rates[f"{self.scope}_slowed"] if slowed else self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": f"{account}|{self.get_ident(request)}"}
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        # Only the newest `wide_limit` tries matter for the ceiling: the list never grows past it.
        self.cache.set(wide_key, [self.now, *wide][:wide_limit], wide_duration)
        return self.throttle_success()

    def get_cache_key(self, request: Request, view: APIView) -> str | None:  # pragma: no cover - unused
        return None


class _EmailClientThrottle(_AccountClientThrottle):
    def account(self, request: Any) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        return normalize_email(email)


class LoginIPThrottle(_IPThrottle):
    scope = "login_ip"


class LoginAccountThrottle(_EmailClientThrottle):
    scope = "login_account"


class RegisterIPThrottle(_IPThrottle):
    scope = "register_ip"


class PasswordResetIPThrottle(_IPThrottle):
    scope = "password_reset_ip"


class PasswordResetAccountThrottle(_EmailClientThrottle):
    scope = "password_reset_account"


class MfaIPThrottle(_IPThrottle):
    scope = "mfa_ip"


class MfaAccountThrottle(_AccountClientThrottle):
    scope = "mfa_account"

    def account(self, request: Any) -> str | None:
        token = request.data.get("mfa_token") if hasattr(request.data, "get") else None
        if not isinstance(token, str):
            return None
        try:
            # The signature is checked, the age is not: an expired token still names the account.
            user_id = signing.loads(token, salt="accounts.mfa").get("u")
        except (signing.BadSignature, AttributeError):
            return None
        return str(user_id)


class VerifyResendThrottle(_Throttle):
    scope = "verify_resend_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
