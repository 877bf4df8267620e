"""Bearer JWT authentication that also honours logout, password changes and suspensions."""

from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from core.audit import set_actor
from core.locale import activate_for

from .models import AuthSession, User
from .tokens import session_is_valid


def user_for_access_token(validated_token: Token) -> User:
    """The user of a valid access token whose session is still open; one query."""
    sid = validated_token.get("sid")
    session = AuthSession.objects.select_related("user").filter(pk=sid).first() if sid else None
    user_id, version = validated_token.get("user_id"), validated_token.get("ver")
    if session is None or not session_is_valid(session=session, user_id=user_id, version=version):
        raise InvalidToken({"detail": "The token is no longer valid.", "code": "token_revoked"})
    return session.user


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
