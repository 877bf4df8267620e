"""The embedded default of `make run`: nothing to configure and nothing else running.

SQLite in WAL mode, the in-memory channel layer, Celery tasks run in-process, e-mail to the console
and to the dev inbox page, media on local disk, Stripe through the local emulator `make run` starts.
"""

from .base import *
from .base import BASE_DIR, LOGGING, USE_SNS, env

# The Stripe emulator, `serve`, `seed_demo` and the dev inbox: for development and tests, never production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]
# A missing page shows the product's "Page not found" page, not Django's technical one (DEBUG is on here).
MIDDLEWARE = [*MIDDLEWARE, "devtools.middleware.ProductNotFoundPageMiddleware"]

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="megilance-local-development-key-not-for-production-use")

if not env("DATABASE_URL", default=""):
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "db.sqlite3",
            "OPTIONS": {
                # WAL lets readers and one writer work at once; the busy timeout and immediate
                # transactions make concurrent writers (webhook deliveries) wait instead of failing
                # with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# Links in e-mails lead back to this server: `PORT=8200 make run` links to port 8200 (and `HOST`, when it
# names an address people can open) unless FRONTEND_URL says otherwise.
_host = env("HOST", default="127.0.0.1")
if _host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - listening everywhere; links use the loopback address
    _host = "127.0.0.1"
FRONTEND_URL = env("FRONTEND_URL", default=f"http://{_host}:{env.int('PORT', default=8000)}").rstrip("/")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="devtools.mail_backends.DevInboxBackend")
DEV_INBOX_DIR = env.path("DEV_INBOX_DIR", default=BASE_DIR / "var" / "dev-inbox")
# Text messages and pushes go to the console and the dev inbox too (unless USE_SNS=1).
if not USE_SNS:
    MOBILE_BACKEND = env("MOBILE_BACKEND", default="devtools.mail_backends.DevInboxMobileBackend")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
STRIPE_API_HOST = STRIPE_API_BASE

# Tasks run in-process here: Celery's line per task (one per e-mail sent) and its note that no broker host
# is set would bury the console; warnings from the tasks themselves still show.
LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}
