"""Settings shared by every environment.

Everything that differs between the embedded default (`make run`), the test suite and production is
read from the environment with django-environ; the three modules beside this one only choose defaults.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ  # type: ignore[import-untyped]
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
FRONTEND_URL = env("FRONTEND_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # trigram lookups for search that forgives typos (inert on SQLite)
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "channels",
    "csp",
    "djstripe",
    "core",
    "accounts",
    "messaging",
    "payments",
    "marketplace",
    "contracts",
    "gigs",
    "discovery",
    "support",
    "risk",
    "analytics",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.MetricsMiddleware",
    "core.middleware.NullCharacterMiddleware",
    "core.middleware.JsonDepthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.UserLocaleMiddleware",
    "core.middleware.AuditContextMiddleware",
    "risk.context.DeviceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "megilance.urls"
WSGI_APPLICATION = "megilance.wsgi.application"
ASGI_APPLICATION = "megilance.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "core.context_processors.site",
                "messaging.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
# --- Read replica for the staff analytics (docs/deploy.md) -------------------------------------------
# With DATABASE_REPLICA_URL set, the analytics pages and API read that replica (core/db_routers.py); every
# other read and every write stays on the primary. Unset, there is one database and the router does nothing.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
ANALYTICS_DATABASE = "replica" if "replica" in DATABASES else "default"
DATABASE_ROUTERS = ["core.db_routers.AnalyticsReplicaRouter"]
# --- end of the read replica ---------------------------------------------------------------------------
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour, as users were promised
EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 48
MFA_TOKEN_MAX_AGE = 60 * 5
OTP_TOTP_ISSUER = "MegiLance"

# --- Languages, time zones and formats -----------------------------------------------------------
# The language is the signed-in user's choice (their profile), else the language cookie set by the switcher
# (`/i18n/setlang/`), else the browser's Accept-Language; addresses carry no language prefix. Times are shown in
# the signed-in user's time zone (core.middleware.UserLocaleMiddleware); e-mails in the recipient's language and
# zone (core/mail.py). Catalogues live in locale/ (`make messages` updates and compiles them).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["megilance.formats"]  # dates per language; templates use the names, e.g. "DATE_FORMAT"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if env.bool("USE_S3", default=False):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
AVATAR_MAX_BYTES = 5 * 1024 * 1024

# --- Content-Security-Policy (django-csp) --------------------------------------------------------
# Scripts only from this site, Stripe.js, and inline blocks that carry the request's nonce
# (`nonce="{{ request.csp_nonce }}"`); never inline event handlers. Inline styles stay allowed: style
# attributes cannot run code. Stripe's hosts are the ones its documentation lists for Elements.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, "https://js.stripe.com"],
        "style-src": [SELF, "'unsafe-inline'", "https://fonts.googleapis.com"],
        "font-src": [SELF, "data:", "https://fonts.gstatic.com"],
        "img-src": [SELF, "data:", "blob:", "https:"],
        "connect-src": [SELF, "https://api.stripe.com"],
        "frame-src": [SELF, "https://js.stripe.com", "https://hooks.stripe.com"],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [SELF],
    },
}

# --- Redis, cache, channels, Celery -------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")


def _redis_retry() -> object:
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    return Retry(ExponentialBackoff(cap=0.2, base=0.05), 2)


CACHES: dict[str, dict[str, Any]]
CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            # redis-py 8's 5 s socket timeout kills the layer's blocking reads, and its default
            # pool overflows with many sockets: both are lifted here. After Redis restarts, the pool still
            # holds connections to the old server: a command that meets one reconnects and tries again
            # (twice, 50-200 ms apart) instead of failing the socket that asked.
            # All the sockets of one process receive through one Redis key, and `capacity` bounds that key: at the
            # default (100) a process a moment behind at 200 messages/s drops messages for every socket it holds.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 2000,
                                  "retry": _redis_retry()}], "capacity": 5000},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# A socket whose server process stops beating (it died) stops counting this long after its last heartbeat;
# `GET /api/ws/user/<id>/online` then says offline.
PRESENCE_OFFLINE_SECONDS = env.int("PRESENCE_OFFLINE_SECONDS", default=60)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "flush-email-outbox": {"task": "core.flush_email_outbox", "schedule": 60.0},
    "flush-message-outbox": {"task": "core.flush_message_outbox", "schedule": 60.0},
    "prune-disabled-devices": {"task": "messaging.prune_devices", "schedule": 6 * 60 * 60.0},
    "reconcile-stripe": {"task": "payments.reconcile", "schedule": 15 * 60.0},
    "escrow-auto-release": {"task": "contracts.auto_release", "schedule": 15 * 60.0},
    "orders-auto-complete": {"task": "gigs.auto_complete_orders", "schedule": 15 * 60.0},
    # People's ratings as reviews are revealed by time; recomputed from the rows, so a repeated run is harmless.
    "ratings-revealed-hourly": {"task": "marketplace.refresh_revealed_ratings", "schedule": 60 * 60.0},
    "reconcile-ledger-with-stripe-daily": {"task": "payments.reconcile_daily", "schedule": 24 * 60 * 60.0},
    # Hourly contracts: weeks end on Sunday 24:00 UTC and are closed in Monday's first run; each job is
    # idempotent and runs hourly, so a missed run catches up on the next.
    "hourly-close-weeks": {"task": "contracts.hourly_close_weeks", "schedule": 60 * 60.0},
    "hourly-remind-reviews": {"task": "contracts.hourly_remind_reviews", "schedule": 60 * 60.0},
    "hourly-charge-invoices": {"task": "contracts.hourly_charge_invoices", "schedule": 60 * 60.0},
    # Saved searches' daily digest (once per user and day however often it runs), and every match scored
    # again as skill rarity and clients' hires drift.
    "saved-search-digests-daily": {"task": "discovery.daily_digests", "schedule": crontab(hour=7, minute=0)},
    "refresh-matches-nightly": {"task": "discovery.refresh_all", "schedule": crontab(hour=3, minute=30)},
}

# --- E-mail ------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="MegiLance <no-reply@megilance.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.bool("USE_SES", default=False):
    EMAIL_BACKEND = "django_ses.SESBackend"
    AWS_SES_REGION_NAME = env("AWS_SES_REGION_NAME", default="us-east-1")
    AWS_SES_REGION_ENDPOINT_URL = env("AWS_SES_REGION_ENDPOINT_URL", default=None)
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# For the SMTP backend (`EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend`).
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# Set by the embedded default: the dev inbox page reads mail saved here.
DEV_INBOX_DIR: str | os.PathLike[str] | None = None

# --- Text messages and mobile pushes (Amazon SNS) -------------------------------------------------
# USE_SNS=1 sends text messages (`publish(PhoneNumber=...)`) and pushes (one platform endpoint per device)
# through SNS; AWS_SNS_ENDPOINT_URL points boto3 elsewhere (moto's server in tests). Without it, production
# offers no phone numbers, texts or pushes; `make run` sends them to the console and the dev inbox.
USE_SNS = env.bool("USE_SNS", default=False)
MOBILE_BACKEND = "core.mobile.SnsBackend" if USE_SNS else env("MOBILE_BACKEND", default="core.mobile.DisabledBackend")
AWS_SNS_REGION_NAME = env("AWS_SNS_REGION_NAME", default="us-east-1")
AWS_SNS_ENDPOINT_URL = env("AWS_SNS_ENDPOINT_URL", default="")
AWS_SNS_SMS_SENDER_ID = env("AWS_SNS_SMS_SENDER_ID", default="")
# The platform applications for FCM and APNs: given by ARN, or found by name (`<name>-fcm`, `<name>-apns`)
# and created from the credentials when missing, once per process.
AWS_SNS_APPLICATION_NAME = env("AWS_SNS_APPLICATION_NAME", default="megilance")
AWS_SNS_FCM_APPLICATION_ARN = env("AWS_SNS_FCM_APPLICATION_ARN", default="")
AWS_SNS_FCM_CREDENTIAL = env("AWS_SNS_FCM_CREDENTIAL", default="")
AWS_SNS_APNS_APPLICATION_ARN = env("AWS_SNS_APNS_APPLICATION_ARN", default="")
AWS_SNS_APNS_CERTIFICATE = env("AWS_SNS_APNS_CERTIFICATE", default="")
AWS_SNS_APNS_PRIVATE_KEY = env("AWS_SNS_APNS_PRIVATE_KEY", default="")
AWS_SNS_APNS_SANDBOX = env.bool("AWS_SNS_APNS_SANDBOX", default=False)
# One-time codes sent by text message (verifying a phone number, signing in): how long they live.
PHONE_CODE_MAX_AGE = 60 * 10

# --- Clients behind proxies, and who may read the metrics --------------------------------------
# Addresses or networks of the proxies in front of the web processes (e.g. "10.0.0.0/8,127.0.0.1"): only
# their X-Forwarded-For is believed. Empty: the connecting address is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# /api/health/metrics: a bearer token for the scraper and/or addresses allowed; neither: loopback only.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])

# --- API ---------------------------------------------------------------------------------------
THROTTLE_ENABLED = env.bool("THROTTLE_ENABLED", default=True)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {
        # Per client (address), per (account, client), and per account: past the account-wide ceiling
        # each client's allowance for that account is slowed, never closed (accounts/throttling.py).
        "login_ip": "20/min",
        "login_account": "10/min",
        "login_account_wide": "30/hour",
        "login_account_slowed": "1/min",
        "register_ip": "10/hour",
        "password_reset_ip": "10/hour",
        "password_reset_account": "3/hour",
        "password_reset_account_wide": "10/hour",
        "password_reset_account_slowed": "1/hour",
        "mfa_ip": "20/min",
        "mfa_account": "10/min",
        "mfa_account_wide": "30/hour",
        "mfa_account_slowed": "1/min",
        "verify_resend_account": "5/hour",
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=30),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MegiLance API",
    "DESCRIPTION": "The freelance marketplace's JSON API: accounts, projects, proposals, contracts, "
    "payments, messaging and analytics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "marketplace.models.ProjectStatus",
        "ProposalStatusEnum": "marketplace.models.ProposalStatus",
        "InviteStatusEnum": "marketplace.models.InviteStatus",
        "BudgetTypeEnum": "marketplace.models.BudgetType",
        "VisibilityEnum": "marketplace.models.Visibility",
        "ContractStatusEnum": "contracts.models.ContractStatus",
        "MilestoneStatusEnum": "contracts.models.MilestoneStatus",
        "DisputeStatusEnum": "contracts.models.Dispute.Status",
        "PaymentStatusEnum": "payments.models.Payment.Status",
        "PayoutStatusEnum": "payments.models.Payment.PayoutStatus",
        "TicketStatusEnum": "support.models.TicketStatus",
        "ServiceStatusEnum": "gigs.models.ServiceStatus",
        "PackageTierEnum": "gigs.models.PackageTier",
        "CurrencyEnum": "marketplace.models.CURRENCIES",
        "PaymentKindEnum": "payments.models.Payment.Kind",
        "OrderStatusEnum": "gigs.models.OrderStatus",
        "DisputeResolutionEnum": "contracts.models.Dispute.Resolution",
        "OrderDisputeResolutionEnum": "gigs.models.OrderDispute.Resolution",
    },
}

# --- Stripe (dj-stripe) --------------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_megilanceemulator0000000000")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="pk_test_megilanceemulator0000000000")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith("sk_live_")
STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY
STRIPE_TEST_PUBLIC_KEY = STRIPE_PUBLISHABLE_KEY
STRIPE_LIVE_PUBLIC_KEY = STRIPE_PUBLISHABLE_KEY
if STRIPE_API_BASE:
    STRIPE_API_HOST = STRIPE_API_BASE
STRIPE_API_VERSION = "2026-05-27.dahlia"
# Each Stripe call gives up after this many seconds per try, and is tried again this many times on a
# network error (with the same idempotency key): a Stripe that does not answer costs seconds, not minutes.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
DJSTRIPE_USE_NATIVE_JSONFIELD = True

# --- Fraud signals (risk/) -------------------------------------------------------------------------
# Each rule adds its points to an account's or a payment's score (at most 100); at RISK_HOLD_SCORE or more
# the account's payouts are held and a case waits for staff in the admin.
RISK_WINDOW_HOURS = env.int("RISK_WINDOW_HOURS", default=24)  # how far back the velocity rules look
RISK_SIGNUPS_PER_IP = env.int("RISK_SIGNUPS_PER_IP", default=3)  # more sign-ups than this from one address
RISK_SIGNUPS_PER_DEVICE = env.int("RISK_SIGNUPS_PER_DEVICE", default=2)  # ... or from one device
RISK_CARDS_PER_SOURCE = env.int("RISK_CARDS_PER_SOURCE", default=3)  # more cards than this from one address/device
RISK_FAILED_CARDS = env.int("RISK_FAILED_CARDS", default=3)  # this many declined cards or more
RISK_CONTACT_VIOLATIONS = env.int("RISK_CONTACT_VIOLATIONS", default=2)  # off-platform contact attempts
RISK_NEW_ACCOUNT_DAYS = env.int("RISK_NEW_ACCOUNT_DAYS", default=7)  # an account younger than this ...
RISK_LARGE_AMOUNT = env.int("RISK_LARGE_AMOUNT", default=1000)  # ... moving this much or more (major units)
RISK_HOLD_SCORE = env.int("RISK_HOLD_SCORE", default=50)
RISK_POINTS = {
    "signup_ip": 30,
    "signup_device": 30,
    "card_velocity": 25,
    "failed_cards": 20,
    "card_country": 20,
    "off_platform_contact": 20,
    "new_account_large_amount": 35,
}

PLATFORM_FEE_PERCENT = env.int("PLATFORM_FEE_PERCENT", default=10)
ESCROW_AUTO_RELEASE_DAYS = env.int("ESCROW_AUTO_RELEASE_DAYS", default=14)
# A delivered order the buyer neither accepts nor sends back is accepted for them after this many days.
ORDER_AUTO_COMPLETE_DAYS = env.int("ORDER_AUTO_COMPLETE_DAYS", default=3)

# --- Logging -------------------------------------------------------------------------------------
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"},
                "redact": {"()": "core.logging.RedactQueryFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["request_id", "redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # boto3's debug lines carry whole requests: the text of a message with a one-time code, an e-mail with
        # a reset link. They stay off whatever LOG_LEVEL says.
        "botocore": {"level": "INFO"},
        "boto3": {"level": "INFO"},
        # The ASGI and WSGI servers' own lines (access log, "WebSocket /ws/...?ticket=... [accepted]") go through
        # the console handler too, so its filter keeps tickets and tokens out of them. Their levels stay as
        # the server's command line set them.
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.access": {"handlers": ["console"], "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "propagate": False},
    },
}
