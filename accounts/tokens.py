"""Sessions and the JWTs issued for them: issue, rotate, revoke.

simplejwt's access tokens are stateless, so on their own they keep working after logout or a password
change. Every token here carries the id of its `AuthSession` (`sid`) and the user's `token_version`
(`ver`); the authentication class refuses a token whose session is revoked or whose version is old.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from core.exceptions import ApplicationError

from .models import AuthSession, User


class InvalidToken(ApplicationError):
    status_code = 401
    default_detail = "The token is invalid, expired or revoked."
    default_code = "token_not_valid"


def session_start(*, user: User, ip_address: str | None = None, user_agent: str = "") -> AuthSession:
    return AuthSession.objects.create(user=user, ip_address=ip_address or None, user_agent=(user_agent or "")[:255])


def session_is_valid(*, session: AuthSession | None, user_id: object, version: object) -> bool:
    return (
        session is not None
        and session.revoked_at is None
        and str(session.user_id) == str(user_id)
        and session.user.is_active
        and session.user.token_version == version
    )


def tokens_issue(*, user: User, session: AuthSession) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh["sid"] = str(session.pk)
    refresh["ver"] = user.token_version
    return {"access_token": str(refresh.access_token), "refresh_token": str(refresh), "token_type": "bearer"}


def login_issue(*, user: User, ip_address: str | None = None, user_agent: str = "") -> dict[str, str]:
    """Starts a session and issues its first pair of tokens."""
    session = session_start(user=user, ip_address=ip_address, user_agent=user_agent)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return tokens_issue(user=user, session=session)


def _decode_refresh(raw: str) -> RefreshToken:
    """Checks signature, expiry and type, but not the blacklist (the callers decide what that means)."""
    try:
        # simplejwt annotates the encoded token as a Token; it is the string.
        token_backend.decode(raw, verify=True)  # type: ignore[arg-type]
        token = RefreshToken(raw, verify=False)  # type: ignore[arg-type]
    except (TokenError, TokenBackendError) as exc:
        raise InvalidToken() from exc
    if token.get("token_type") != "refresh" or not token.get("sid") or not token.get("jti"):
        raise InvalidToken()
    return token


def _is_blacklisted(jti: str) -> bool:
    return BlacklistedToken.objects.filter(token__jti=jti).exists()


def _blacklist(token: RefreshToken) -> None:
    outstanding = OutstandingToken.objects.filter(jti=token["jti"]).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)


def tokens_refresh(*, refresh_token: str) -> dict[str, str]:
    """Rotates a refresh token: the old one is blacklisted and a new pair is issued for the same session.

    A refresh token presented again after rotation means it leaked: the whole session is revoked.
    """
    token = _decode_refresh(refresh_token)
    with transaction.atomic():
        # Lock the token row so two simultaneous refreshes with one token cannot both succeed.
        outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=token["jti"]).first()
        session = AuthSession.objects.select_related("user").filter(pk=token["sid"]).first()
        if outstanding is None or session is None:
            raise InvalidToken()
        reused = _is_blacklisted(token["jti"])
        if not reused:
            if not session_is_valid(session=session, user_id=token.get("user_id"), version=token.get("ver")):
                raise InvalidToken()
            BlacklistedToken.objects.create(token=outstanding)
            return tokens_issue(user=session.user, session=session)
    AuthSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    raise InvalidToken("This refresh token was already used; the session has been ended.")


def session_revoke_by_refresh(*, refresh_token: str, user: User | None = None) -> None:
    """Logout: blacklists the refresh token and ends its session, so its access tokens stop too."""
    token = _decode_refresh(refresh_token)
    if user is not None and str(token.get("user_id")) != str(user.pk):
        raise InvalidToken("This refresh token belongs to another account.")
    with transaction.atomic():
        _blacklist(token)
        AuthSession.objects.filter(pk=token["sid"], revoked_at__isnull=True).update(revoked_at=timezone.now())


def sessions_revoke_all(*, user: User) -> None:
    """Ends every session and token of the user (password change or reset, suspension)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
        user.refresh_from_db(fields=["token_version"])
        AuthSession.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        outstanding = OutstandingToken.objects.filter(
            user=user, blacklistedtoken__isnull=True, expires_at__gt=timezone.now()
        )
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=row) for row in outstanding], ignore_conflicts=True
        )
