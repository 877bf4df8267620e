"""Production refuses to start with an e-mail backend that would not deliver (reset links on stdout)."""

import subprocess
import sys

import pytest
from django.conf import settings

BASE = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
        "DJANGO_ALLOWED_HOSTS": "megilance.example",
        "DJANGO_SECRET_KEY": "p" * 20 + "-Xq7Lm2Vt9Rw4Yb8Nc1Hd6Fg3Sa0Qe5Ui",
        "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db", "REDIS_URL": "redis://127.0.0.1:1/0"}
CODE = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"


def start(**extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE], env={**BASE, **extra}, cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("backend", [None, "django.core.mail.backends.console.EmailBackend",
                                     "django.core.mail.backends.locmem.EmailBackend",
                                     "django.core.mail.backends.dummy.EmailBackend",
                                     "django.core.mail.backends.filebased.EmailBackend",
                                     "devtools.mail_backends.DevInboxBackend"])
def test_production_refuses_a_backend_that_does_not_deliver(backend):
    result = start(**({"EMAIL_BACKEND": backend} if backend else {}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "e-mail backend that delivers" in result.stderr


def test_smtp_needs_its_host():
    result = start(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
    assert result.returncode != 0 and "EMAIL_HOST" in result.stderr
    result = start(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="smtp.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_ses_starts():
    result = start(USE_SES="1", AWS_SES_REGION_NAME="eu-west-1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django_ses.SESBackend"
