"""WebSocket authentication for apps: `?ticket=<ticket>` from `POST /api/ws/ticket`, or `?token=<access_token>`
for older apps. Pages use the session cookie.

A ticket is a random string good for one socket within 60 seconds: it stands in for the access token in a
URL, where proxies and servers may record it. The cache holds it (shared by every process); it carries the
session of the token it was issued for, so logging out or a password change voids tickets not yet used.
Neither a ticket nor a token is ever written to a log (`core.logging.RedactQueryFilter`).
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken as SimpleJWTInvalidToken
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from .models import AuthSession, User
from .tokens import session_is_valid

TICKET_SECONDS = 60
QUERY_CREDENTIALS = ("ticket", "token")


def _ticket_key(ticket: str) -> str:
    return "ws-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def ws_ticket_issue(*, user: User, session_id: str | None, token_version: int) -> tuple[str, datetime]:
    """A one-use ticket for one socket of `user`, valid for `TICKET_SECONDS`. Returns (ticket, expires_at)."""
    ticket = secrets.token_urlsafe(32)
    cache.set(_ticket_key(ticket), {"user_id": user.pk, "sid": session_id, "ver": token_version},
              timeout=TICKET_SECONDS)
    return ticket, timezone.now() + timedelta(seconds=TICKET_SECONDS)


def ws_ticket_redeem(ticket: str) -> User | None:
    """The user of a ticket not yet used, whose session is still open; the ticket is used up either way."""
    if not ticket or len(ticket) > 200:
        return None
    key = _ticket_key(ticket)
    try:
        claims = cache.get(key)
        # Only one caller can delete the key: a ticket presented twice at once still opens one socket.
        if claims is None or not cache.delete(key):
            return None
    except Exception:  # the cache is unreachable: the ticket cannot be checked, so it is refused
        return None
    session = AuthSession.objects.select_related("user").filter(pk=claims["sid"]).first() if claims["sid"] else None
    if session is None or not session_is_valid(session=session, user_id=claims["user_id"], version=claims["ver"]):
        return None
    return session.user


@database_sync_to_async
def _user_for_token(raw: str) -> User | None:
    from .authentication import user_for_access_token

    try:
        # simplejwt annotates the encoded token as a Token; it is the string.
        return user_for_access_token(AccessToken(raw))  # type: ignore[arg-type]
    except (TokenError, SimpleJWTInvalidToken):
        return None


def _query(scope: dict) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


def has_query_credential(scope: dict) -> bool:
    """The socket carries a ticket or a token in its address (so it does not rely on the browser's cookie)."""
    query = _query(scope)
    return any(query.get(name, [""])[0] for name in QUERY_CREDENTIALS)


class TokenAuthMiddleware(BaseMiddleware):
    """Puts the ticket's or token's user into the scope, replacing any cookie session.

    A bad ticket or token leaves `token_invalid` set so consumers close with 4401.
    """

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        query = _query(scope)
        tickets, tokens = query.get("ticket"), query.get("token")
        user: User | None = None
        if tickets:
            user = await database_sync_to_async(ws_ticket_redeem)(tickets[0])
        elif tokens:
            user = await _user_for_token(tokens[0])
        if tickets or tokens:
            if user is None:
                scope["token_invalid"] = True
            else:
                scope["user"] = user
        return await super().__call__(scope, receive, send)


class OriginOrCredentialValidator:
    """The Origin check against cross-site sockets, applied where it protects something.

    A socket authenticated by the session cookie must come from one of our own pages (`ALLOWED_HOSTS`): a
    foreign page could otherwise open it with the visitor's cookie. A socket that brings a ticket or token
    in its address authenticates with that alone (the cookie is ignored), so it may come from anywhere,
    including native apps that send no Origin header at all.
    """

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket" and has_query_credential(scope):
            return await self.application(scope, receive, send)
        allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
        return await OriginValidator(self.application, allowed)(scope, receive, send)
