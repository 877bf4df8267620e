"""What every API client can rely on: JSON errors, health checks, the schema and its docs."""

import subprocess
import sys

import pytest
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

pytestmark = pytest.mark.django_db


@api_view(["GET"])
@permission_classes([AllowAny])
def _explodes(request):
    raise RuntimeError("boom")


urlpatterns = [path("api/explodes", _explodes)]


class TestErrors:
    def test_unknown_api_path_is_json_404(self, api_client):
        response = api_client.get("/api/no-such-thing")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "Not found.", "error_type": "not_found"}

    def test_wrong_method_is_json_405(self, api_client):
        response = api_client.delete("/api/auth/login")
        assert response.status_code == 405
        assert response.json()["error_type"] == "method_not_allowed"

    def test_malformed_json_is_a_400(self, api_client):
        response = api_client.generic("POST", "/api/auth/login", "{not json", content_type="application/json")
        assert response.status_code == 400
        body = response.json()
        assert body["error_type"] == "parse_error"
        assert "JSON" in body["detail"]

    def test_an_unexpected_error_is_json_500_without_a_traceback(self, api_client, settings):
        settings.ROOT_URLCONF = __name__
        response = api_client.get("/api/explodes")
        assert response.status_code == 500
        assert response.json()["error_type"] == "server_error"
        assert "boom" not in response.content.decode()
        assert "Traceback" not in response.content.decode()

    @pytest.mark.parametrize("path", ["/api/projects", "/api/freelancers", "/api/users/1", "/projects/"])
    def test_null_characters_in_the_address_are_a_400(self, client, path):
        response = client.get(path, {"search": "a\x00b"})
        assert response.status_code == 400
        if path.startswith("/api/"):
            assert response.json()["error_type"] == "validation_error"

    def test_pages_keep_html_errors(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


class TestHealth:
    def test_live(self, api_client):
        assert api_client.get("/api/health/live").json() == {"status": "ok"}

    def test_ready_checks_database_cache_and_broker(self, api_client, settings):
        settings.CELERY_TASK_ALWAYS_EAGER = False  # check the real broker (Redis)
        response = api_client.get("/api/health/ready")
        assert response.status_code == 200, response.json()
        assert response.json()["checks"] == {"database": "ok", "redis": "ok", "cache": "ok", "broker": "ok"}

    def test_ready_names_what_failed(self, api_client, settings):
        from megilance.celery import app

        settings.CELERY_TASK_ALWAYS_EAGER = False
        original = app.conf.broker_url
        app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens there
        try:
            response = api_client.get("/api/health/ready")
        finally:
            app.conf.broker_url = original
        assert response.status_code == 503
        assert response.json()["failed"] == ["broker"]

    def test_metrics_are_prometheus_text(self, api_client):
        api_client.get("/api/health/live")
        response = api_client.get("/api/health/metrics")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        text = response.content.decode()
        assert "megilance_http_requests_total" in text
        assert 'route="api/health/live"' in text


class TestSchema:
    def test_openapi_lists_every_accounts_endpoint_with_shapes(self, api_client):
        response = api_client.get("/api/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        paths = schema["paths"]
        for expected in [
            "/api/auth/register", "/api/auth/login", "/api/auth/2fa/login", "/api/auth/refresh",
            "/api/auth/logout", "/api/auth/me", "/api/auth/verify-email", "/api/auth/verify-email/resend",
            "/api/auth/password-reset", "/api/auth/password-reset/confirm", "/api/auth/change-password",
            "/api/auth/2fa/enable", "/api/auth/2fa/verify", "/api/auth/2fa/disable", "/api/users",
            "/api/users/{id}", "/api/health/live", "/api/health/ready", "/api/health/metrics",
        ]:
            assert expected in paths, expected
        register = paths["/api/auth/register"]["post"]
        assert "requestBody" in register and "201" in register["responses"]
        assert "bearerAuth" in str(schema["components"].get("securitySchemes", {})) or "jwtAuth" in str(
            schema["components"].get("securitySchemes", {})
        )

    @pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
    def test_docs_pages_serve_without_a_cdn(self, client, page):
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
           "DJANGO_ALLOWED_HOSTS": "megilance.example"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
           "DJANGO_ALLOWED_HOSTS": "megilance.example",
           "DJANGO_SECRET_KEY": "k3J9xq2LmZp8Vt4Rw7Yb1Nc6Hd5Fg0Sa-Qe_Ui+Oo=Pl&Ak*Jm^Xn%Bv",
           "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db", "REDIS_URL": "redis://127.0.0.1:1/0",
           "USE_SES": "1", "AWS_SES_REGION_NAME": "eu-west-1"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_does_not_install_the_development_tools():
    """The Stripe emulator, `serve`, `seed_demo` and the dev inbox exist only where devtools is installed."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
           "DJANGO_ALLOWED_HOSTS": "megilance.example",
           "DJANGO_SECRET_KEY": "k3J9xq2LmZp8Vt4Rw7Yb1Nc6Hd5Fg0Sa-Qe_Ui+Oo=Pl&Ak*Jm^Xn%Bv",
           "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db", "REDIS_URL": "redis://127.0.0.1:1/0"}
    script = ("import django; django.setup()\n"
              "from django.apps import apps; from django.urls import resolve, Resolver404\n"
              "from django.core.management import get_commands\n"
              "tools = {'serve', 'seed_demo', 'stripe_emulator'} & set(get_commands())\n"
              "print(apps.is_installed('devtools'), sorted(tools))\n"
              "try:\n    resolve('/dev/inbox/'); print('inbox')\nexcept Resolver404:\n    print('no inbox')")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False []", "no inbox"]
