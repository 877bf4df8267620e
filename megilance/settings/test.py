"""Settings for the test suite: real PostgreSQL and Redis, given by `make test` through the environment."""

import tempfile
from pathlib import Path

from .base import *
from .base import REDIS_URL, USE_SNS, env

# The Stripe emulator, `serve`, `seed_demo` and the dev inbox: for development and tests, never production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]

SECRET_KEY = "megilance-test-key-that-is-long-enough-to-sign-tokens-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["*"]
# A fast hasher keeps the suite quick; production's Argon2 is checked by its own test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Locmem unless a test process is started to send through SES (moto's server) with USE_SES=1.
if not env.bool("USE_SES", default=False):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Texts and pushes kept in memory unless a test sends them through SNS (moto's server) with USE_SNS=1.
if not USE_SNS:
    MOBILE_BACKEND = "core.mobile.LocalBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
MEDIA_ROOT = env("MEDIA_ROOT", default=str(Path(tempfile.gettempdir()) / "megilance-test-media"))
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
STRIPE_API_HOST = STRIPE_API_BASE
LOGGING["root"]["level"] = "WARNING"

# Several test runs may share one PostgreSQL and one Redis (developers working side by side): each names
# its own test database, and gets its own cache database, channel prefix and task queue with it.
_RUN = env("TEST_DATABASE_NAME", default="")
if _RUN:
    DATABASES["default"]["TEST"] = {"NAME": _RUN}
# A second alias on the test database itself stands for the analytics read replica. Nothing reads it unless a
# test sets ANALYTICS_DATABASE = "replica" (and lists "replica" in its databases).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
ANALYTICS_DATABASE = "default"
if REDIS_URL:
    import zlib

    # The cache is flushed before every test; it must not share a Redis database with the broker.
    _cache_db = 1 + zlib.crc32(_RUN.encode()) % 15 if _RUN else 1
    CACHES["default"]["LOCATION"] = REDIS_URL.rsplit("/", 1)[0] + f"/{_cache_db}"
    if _RUN:
        CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"asgi-{_RUN}"
        CELERY_TASK_DEFAULT_QUEUE = f"celery-{_RUN}"

# Where a process running a payment dies on purpose (`payments.operations._crash_point`): set only in the
# environment of a process a fault test starts, to kill it between Stripe's answer and the booking.
PAYMENT_CRASH_POINT = env("PAYMENT_CRASH_POINT", default="")
# Where a process sending the outbox dies on purpose (`core.outbox._crash_point`): "before_send" or
# "after_commit", set only in the environment of a worker a fault test starts.
OUTBOX_CRASH_POINT = env("OUTBOX_CRASH_POINT", default="")
