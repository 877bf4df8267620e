"""ASGI entry point: HTTP goes to Django, WebSockets through Channels with session, ticket or token auth.

Cookie-authenticated sockets must come from our own pages (Origin in ALLOWED_HOSTS); sockets that bring a
ticket or token may come from anywhere, native apps without an Origin header included.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "megilance.settings.local")

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.ws_auth import OriginOrCredentialValidator, TokenAuthMiddleware  # noqa: E402
from megilance.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginOrCredentialValidator(
            AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
