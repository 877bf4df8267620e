"""Production: PostgreSQL, Redis, Celery worker and beat, S3, SES and real Stripe keys from the environment.

Start-up fails without a real `DJANGO_SECRET_KEY` and with DEBUG on.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import DATABASES, LOGGING, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or "megilance-local" in SECRET_KEY or "megilance-test" in SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of at least 50 characters.")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

for _database in DATABASES.values():  # the primary, and the analytics replica when there is one
    if _database["ENGINE"] != "django.db.backends.postgresql":
        continue
    # Web workers are WSGI (persistent connections with health checks); the ASGI process that carries
    # WebSockets sets DJANGO_DB_POOL=1 and uses psycopg's pool instead, because CONN_MAX_AGE under ASGI
    # opens a connection per request thread and never reuses it.
    if env.bool("DJANGO_DB_POOL", default=False):
        _database["CONN_MAX_AGE"] = 0
        _database.setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 20, "timeout": 10}
    else:
        _database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        _database["CONN_HEALTH_CHECKS"] = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^api/health/"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# One JSON object per log line, each with the request id of the request, socket or task it came from.
LOGGING["formatters"]["json"] = {"()": "core.logging.JsonFormatter"}
LOGGING["handlers"]["console"]["formatter"] = "json"
