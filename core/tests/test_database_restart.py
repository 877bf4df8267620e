"""PostgreSQL restarted under production settings: the ASGI process (psycopg pool) and a WSGI worker
(persistent connections) answer clean JSON while it is down and are well again at once when it is back.

A private PostgreSQL cluster of the test's own is stopped and started; the shared one is never touched.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers.faults import uvicorn
from tests.helpers.servers import free_port, wait_for_port

pytestmark = pytest.mark.slow


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if os.environ.get("MEGILANCE_PGBIN"):
        return Path(os.environ["MEGILANCE_PGBIN"])
    assert candidates, "PostgreSQL's server programs are not installed"
    return candidates[-1].parent


class PrivateCluster:
    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="megilance-pgfault-"))
        self.port = free_port()
        as_root = os.geteuid() == 0
        if as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self._prefix, str(self.bin / program), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-t", "30", "start",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    server = PrivateCluster()
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(server.dir, ignore_errors=True)


def _production_env(database_url: str) -> dict[str, str]:
    return {"DJANGO_SETTINGS_MODULE": "megilance.settings.production", "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48), "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0", "REDIS_URL": "", "CELERY_BROKER_URL": "memory://",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}


def _ready(base: str, timeout: float = 15) -> requests.Response:
    return requests.get(f"{base}/api/health/ready", timeout=timeout)


def test_asgi_and_wsgi_recover_at_once_after_postgresql_restarts(cluster):
    env = _production_env(cluster.url)
    wsgi_port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(os.sys.executable).parent / "gunicorn"), "megilance.wsgi", "-b", f"127.0.0.1:{wsgi_port}",
         "-w", "1", "--log-level", "warning"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with uvicorn({**env, "DJANGO_DB_POOL": "1"}) as asgi:
            wait_for_port(wsgi_port, timeout=30)
            servers = {"asgi": asgi.url, "wsgi": f"http://127.0.0.1:{wsgi_port}"}
            for base in servers.values():
                for _ in range(3):  # connections made and kept (the pool's, the worker's)
                    first = _ready(base)
                    assert first.status_code == 200, first.text

            cluster.stop()
            for name, base in servers.items():
                started = time.monotonic()
                down = _ready(base)
                assert down.status_code == 503, (name, down.text)
                assert down.json()["failed"] == ["database"], name
                assert time.monotonic() - started < 12, name

            cluster.start()
            for name, base in servers.items():
                # The first request after the restart already works: no dead connection is handed out.
                answers = [_ready(base, timeout=10) for _ in range(6)]
                assert [a.status_code for a in answers] == [200] * 6, (name, [a.text for a in answers])
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=15)
