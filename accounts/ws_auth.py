"""WebSocket authentication for apps: `?token=<access_token>` (pages use the session cookie)."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from rest_framework_simplejwt.exceptions import InvalidToken as SimpleJWTInvalidToken
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken


@database_sync_to_async
def _user_for_token(raw: str):
    from .authentication import user_for_access_token

    try:
        return user_for_access_token(AccessToken(raw))
    except (TokenError, SimpleJWTInvalidToken):
        return None


class TokenAuthMiddleware(BaseMiddleware):
    """Puts the token's user into the scope. A bad token leaves `token_invalid` set so consumers close with 4401."""

    async def __call__(self, scope: dict, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        tokens = query.get("token")
        if tokens:
            user = await _user_for_token(tokens[0])
            if user is None:
                scope["token_invalid"] = True
            else:
                scope["user"] = user
        return await super().__call__(scope, receive, send)
