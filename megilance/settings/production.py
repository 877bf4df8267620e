"""Production: PostgreSQL, Redis, Celery worker and beat, S3, SES and real Stripe keys from the environment.

Start-up fails without a real `DJANGO_SECRET_KEY`, with DEBUG on, and without a real e-mail backend (reset
and verification links must reach people, not a console or a file).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import DATABASES, EMAIL_BACKEND, LOGGING, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or "megilance-local" in SECRET_KEY or "megilance-test" in SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of at least 50 characters.")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# Backends that keep mail on this machine or drop it: fine for development and tests, never here.
_NOT_SENDING = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
if EMAIL_BACKEND in _NOT_SENDING or EMAIL_BACKEND.startswith("devtools."):
    raise ImproperlyConfigured(
        "Production needs an e-mail backend that delivers: USE_SES=1 (with AWS_SES_REGION_NAME), or "
        "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST, or another real backend."
    )
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend" and not env("EMAIL_HOST", default=""):
    raise ImproperlyConfigured("EMAIL_HOST must name the SMTP server when EMAIL_BACKEND is SMTP.")

for _database in DATABASES.values():  # the primary, and the analytics replica when there is one
    if _database["ENGINE"] != "django.db.backends.postgresql":
        continue
    # Web workers are WSGI (persistent connections with health checks); the ASGI process that carries
    # WebSockets sets DJANGO_DB_POOL=1 and uses psycopg's pool instead, because CONN_MAX_AGE under ASGI
    # opens a connection per request thread and never reuses it.
    if env.bool("DJANGO_DB_POOL", default=False):
        _database["CONN_MAX_AGE"] = 0
        # With CONN_HEALTH_CHECKS Django gives the pool psycopg's `check`: each connection is tested before
        # it is handed out, so after PostgreSQL restarts the pool replaces its dead connections instead of
        # giving them to requests.
        _database["CONN_HEALTH_CHECKS"] = True
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
