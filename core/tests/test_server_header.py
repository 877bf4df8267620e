"""No answer names the server software: Django adds no `Server` header, and gunicorn run with
`megilance/gunicorn.conf.py` (the web workers' configuration) sends none either."""

import os
import subprocess
import sys
import urllib.request

import pytest
from django.conf import settings

from tests.helpers.servers import free_port, wait_for_port


@pytest.mark.django_db
def test_django_adds_no_server_header(client):
    for path in ("/", "/login/", "/api/health/live", "/api/no-such-endpoint"):
        assert "Server" not in client.get(path), path


@pytest.mark.slow
def test_gunicorn_with_the_project_configuration_sends_no_server_header():
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "1"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "megilance/gunicorn.conf.py",
                               "megilance.wsgi:application"], cwd=settings.BASE_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/live", timeout=10) as response:
            assert response.status == 200
            headers = {name.lower(): value for name, value in response.getheaders()}
        assert "server" not in headers, headers.get("server")
        assert "content-security-policy" in headers and headers["x-content-type-options"] == "nosniff"
    finally:
        server.terminate()
        server.wait(timeout=15)
