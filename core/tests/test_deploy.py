"""The deployment as an operator checks it: the compose file resolves, nginx accepts its configuration, and
Debian's nginx with that configuration routes to a real gunicorn (pages, API) and a real uvicorn (sockets),
serves static files, answers over-long API URLs with JSON and writes no secret to its log."""

import asyncio
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets
import yaml

from tests.helpers.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "asgi", "worker", "beat")


def _compose_config(**env: str) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is missing (scripts/test.sh installs it)"
    clean = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_PASSWORD", "MEGILANCE_ENV_FILE")}
    return subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=60)


def test_compose_file_resolves_with_every_role_in_order():
    result = _compose_config(POSTGRES_PASSWORD="only-for-this-check", MEGILANCE_ENV_FILE="deploy/env.example")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) >= {"proxy", "web", "asgi", "worker", "beat", "migrate", "db", "redis"}

    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "megilance.settings.production"
        assert environment["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]
    assert "migrate" in " ".join(services["migrate"]["command"])
    assert services["migrate"]["restart"] == "no"

    web = " ".join(services["web"]["command"])
    assert web.startswith("gunicorn megilance.wsgi:application") and "--workers=4" in web
    assert "--limit-request-line=8190" in web  # as long as the proxy's limit
    asgi = " ".join(services["asgi"]["command"])
    assert asgi.startswith("uvicorn megilance.asgi:application") and "--no-access-log" in asgi
    assert services["asgi"]["environment"]["DJANGO_DB_POOL"] == "1"
    assert "worker" in services["worker"]["command"] and "beat" in services["beat"]["command"]
    proxy_mounts = " ".join(str(v) for v in services["proxy"]["volumes"])
    assert "deploy/nginx.conf:/etc/nginx/nginx.conf" in proxy_mounts
    # Only the proxy faces the outside.
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]


def test_compose_file_refuses_to_resolve_without_the_database_password():
    result = _compose_config(MEGILANCE_ENV_FILE="deploy/env.example")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_no_secret_is_committed_or_baked_into_the_image():
    compose = (ROOT / "docker-compose.yml").read_text()
    for name in ("DJANGO_SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "AWS_SECRET_ACCESS_KEY"):
        assert name not in compose  # they come from the env file only
    example = (ROOT / "deploy/env.example").read_text().splitlines()
    assert "DJANGO_SECRET_KEY=" in example and "STRIPE_SECRET_KEY=" in example  # listed, with no value
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in dockerignore and "deploy/certs/" in dockerignore
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 2 and "USER megilance" in dockerfile
    assert "postgresql-client" in dockerfile  # pg_dump and pg_restore for the backups


# --- nginx -----------------------------------------------------------------------------------------

def _nginx() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).exists(), "nginx is missing (scripts/test.sh installs it)"
    return binary


def _render_nginx_conf(tmp: Path, *, wsgi: int, asgi: int, http: int, https: int) -> Path:
    """deploy/nginx.conf as the container uses it, with loopback upstreams and ports and files under `tmp`."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=megilance.test", "-keyout", str(tmp / "privkey.pem"),
                    "-out", str(tmp / "fullchain.pem")], check=True, capture_output=True)
    (tmp / "static/css").mkdir(parents=True)
    (tmp / "static/css/site.css").write_text("body { color: #123; }\n")
    temp_paths = "".join(f"    {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
    replacements = {
        "server web:8000;": f"server 127.0.0.1:{wsgi};",
        "server asgi:8001;": f"server 127.0.0.1:{asgi};",
        "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https} ssl default_server;",
        "/etc/nginx/certs/": f"{tmp}/",
        "alias /srv/static/;": f"alias {tmp}/static/;",
        "pid /tmp/nginx.pid;": f"pid {tmp}/nginx.pid;",
        "access_log /dev/stdout megilance;": f"access_log {tmp}/access.log megilance;",
        "error_log stderr crit;": f"error_log {tmp}/error.log crit;",
        "http {\n": "http {\n" + temp_paths,
    }
    conf = (ROOT / "deploy/nginx.conf").read_text()
    for old, new in replacements.items():
        assert old in conf, f"deploy/nginx.conf no longer has {old!r}"
        conf = conf.replace(old, new)
    path = tmp / "nginx.conf"
    path.write_text(conf)
    return path


def _nginx_args(conf: Path, *, foreground: bool = False) -> list[str]:
    directives = "daemon off;" if foreground else ""
    if os.geteuid() == 0:
        directives += " user root;"  # workers must read the test's private directory
    args = [_nginx(), "-c", str(conf), "-e", str(conf.parent / "error.log")]
    return [*args, "-g", directives.strip()] if directives.strip() else args


def test_nginx_accepts_the_configuration(tmp_path):
    conf = _render_nginx_conf(tmp_path, wsgi=free_port(), asgi=free_port(), http=free_port(), https=free_port())
    result = subprocess.run([*_nginx_args(conf), "-t"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def production_stack(transactional_db, tmp_path):
    """nginx with the real configuration in front of gunicorn and uvicorn, both on production settings,
    the committed test database and the test Redis."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    ports = {"wsgi": free_port(), "asgi": free_port(), "http": free_port(), "https": free_port()}
    conf = _render_nginx_conf(tmp_path, **ports)
    # gunicorn and uvicorn with the options of docker-compose.yml, on loopback ports.
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    bin_dir = Path(sys.executable).parent
    web = [arg for arg in services["web"]["command"] if not arg.startswith(("--bind=", "--workers="))]
    web += [f"--bind=127.0.0.1:{ports['wsgi']}", "--workers=2"]
    asgi = [arg for arg in services["asgi"]["command"] if not arg.startswith(("--host=", "--port="))]
    asgi += ["--host=127.0.0.1", f"--port={ports['asgi']}"]
    processes = [
        subprocess.Popen([str(bin_dir / web[0]), *web[1:]], cwd=ROOT, env=env),
        subprocess.Popen([str(bin_dir / asgi[0]), *asgi[1:]], cwd=ROOT,
                         env={**env, "DJANGO_DB_POOL": services["asgi"]["environment"]["DJANGO_DB_POOL"]}),
        subprocess.Popen(_nginx_args(conf, foreground=True)),
    ]
    try:
        for port in ports.values():
            wait_for_port(port, timeout=40)
        yield {**ports, "log": tmp_path / "access.log"}
    finally:
        for process in processes:
            _stop(process)


_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


def _get(url: str) -> tuple[int, dict, bytes]:
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_TLS),
                                         _NoRedirect())
    try:
        with opener.open(url, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _log_lines(path: Path, *, until: str) -> list[str]:
    """The access log once it holds a line with `until` (nginx writes a line after the answer is sent)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if until in text:
            break
        time.sleep(0.1)
    return text.splitlines()


@pytest.mark.slow
def test_nginx_routes_pages_and_api_to_wsgi_sockets_to_asgi(production_stack):
    stack = production_stack
    base = f"https://127.0.0.1:{stack['https']}"

    status, headers, body = _get(f"{base}/api/health/live")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert headers["Server"] == "nginx"  # no version
    status, _, body = _get(f"{base}/projects/")
    assert status == 200 and b"<h1" in body

    async def open_socket(path: str) -> int:
        async with websockets.connect(f"wss://127.0.0.1:{stack['https']}{path}", ssl=_TLS,
                                      additional_headers={"Origin": base}) as socket:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), timeout=15)
            return socket.close_code

    # Reached the ASGI process and its consumer, which refuses a caller without credentials.
    assert asyncio.run(open_socket("/ws/notifications/")) == 4401
    leaked = "not-a-real-token-" + secrets.token_hex(8)
    assert asyncio.run(open_socket(f"/ws/notifications/?token={leaked}")) == 4401

    status, headers, body = _get(f"{base}/static/css/site.css")
    assert status == 200 and body == b"body { color: #123; }\n"
    assert "max-age=2592000" in headers["Cache-Control"]

    # Plain HTTP redirects to HTTPS.
    status, headers, _ = _get(f"http://127.0.0.1:{stack['http']}/projects/?page=2")
    assert status == 301 and headers["Location"] == "https://127.0.0.1/projects/?page=2"

    reset_token = "reset-" + secrets.token_hex(8)
    _get(f"{base}/password-reset/confirm/{reset_token}/")

    lines = _log_lines(stack["log"], until="/password-reset/confirm/")
    by_path: dict[str, str] = {}
    for line in lines:
        by_path.setdefault(line.split('"')[1], line)  # the first request to each path
    # The upstream each request went to is in the log line: gunicorn's port, uvicorn's, or none (static).
    assert f"upstream=127.0.0.1:{stack['wsgi']}/200" in by_path["GET /api/health/live"]
    assert f"upstream=127.0.0.1:{stack['wsgi']}/200" in by_path["GET /projects/"]
    assert f"upstream=127.0.0.1:{stack['asgi']}/101" in by_path["GET /ws/notifications/"]
    # Neither a socket's token nor an e-mailed link's token is written down.
    text = "\n".join(lines)
    assert leaked not in text and reset_token not in text
    assert "GET /password-reset/confirm/[token]/" in by_path
    print(f"nginx routed {len(lines)} requests: API and pages to gunicorn, sockets to uvicorn, static from disk")


@pytest.mark.slow
def test_over_long_urls_get_414_json_for_the_api_and_html_for_pages(production_stack):
    base = f"https://127.0.0.1:{production_stack['https']}"
    long_query = "q=" + "a" * 9000

    status, headers, body = _get(f"{base}/api/projects?{long_query}")
    assert status == 414
    assert headers["Content-Type"].startswith("application/json")
    answer = json.loads(body)
    assert answer["error_type"] == "uri_too_long" and "8 KB" in answer["detail"]

    status, headers, body = _get(f"{base}/projects/?{long_query}")
    assert status == 414 and headers["Content-Type"].startswith("text/html") and b"<h1>" in body

    # Just under the limit still reaches the application.
    status, _, body = _get(f"{base}/api/health/live?{'q=' + 'a' * 7000}")
    assert status == 200 and json.loads(body) == {"status": "ok"}


# --- CI --------------------------------------------------------------------------------------------

def test_ci_workflow_runs_the_suite_ruff_and_a_dependency_audit_that_never_fails_the_build():
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers and "pull_request" in triggers
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = {step.get("run", "").strip(): step for step in steps}

    def step_running(command: str) -> dict:
        matches = [step for run, step in runs.items() if command in run]
        assert matches, f"no step runs {command!r}"
        return matches[0]

    assert not step_running("make test").get("continue-on-error")
    assert not step_running("ruff check").get("continue-on-error")
    audit = step_running("pip-audit")
    assert audit.get("continue-on-error") is True  # a report, never a failed build
