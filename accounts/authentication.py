"""Bearer JWT authentication that also honours logout, password changes and suspensions."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from core.audit import set_actor
from core.locale import activate_for
from core.prepared import prepared_rows

from .models import User


def _open_session_user(user_id: int, sid: uuid.UUID) -> QuerySet[User]:
    return User.objects.filter(pk=user_id, auth_sessions__pk=sid, auth_sessions__revoked_at__isnull=True)


def user_for_access_token(validated_token: Token) -> User:
    """The user of a valid access token whose session is still open; one query, read from the database on every
    request (never cached), so a revoked session, a deactivated account or a changed password stops the token at
    once. The query is compiled once per process (`core.prepared`): on each request only its values change."""
    sid, user_id, version = validated_token.get("sid"), validated_token.get("user_id"), validated_token.get("ver")
    revoked = InvalidToken({"detail": "The token is no longer valid.", "code": "token_revoked"})
    try:
        values: dict[str, int | uuid.UUID] = {"user_id": int(str(user_id)), "sid": uuid.UUID(str(sid))}
    except ValueError:
        raise revoked from None
    users = prepared_rows("accounts:token-user", _open_session_user, **values) if sid else []
    # The same rule as `session_is_valid`: the session is open and the user's, who is active and whose
    # tokens were not invalidated since (password change, sign-out everywhere).
    if not users or not users[0].is_active or users[0].token_version != version:
        raise revoked
    return users[0]


class JWTAuthentication(_JWTAuthentication):
    # simplejwt types these with a type variable of a class that is not generic, which no override can match.
    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        user = user_for_access_token(validated_token)
        set_actor(user)  # the audit log records who made the request
        activate_for(self._request, user)  # answers in their language, times in their zone
        return user

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, Token] | None:  # type: ignore[override]
        self._request = request
        return super().authenticate(request)
