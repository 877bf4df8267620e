"""PostgreSQL restarted under load, with production settings: while a few clients keep asking the ASGI process
(psycopg pool) and WSGI workers (persistent connections) for readiness and for pages that read real tables,
every answer is a success, or a 503 with Retry-After (JSON for the API, the "back in a moment" page for
people), and the answers are 200 again within seconds of the restart.

A private PostgreSQL cluster of the test's own is stopped and started; the shared one is never touched. Its
schema is the test database's (copied with pg_dump: running every migration would take over a minute), with
the default categories and a client's projects made through the product's own services.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.helpers.faults import database_url, uvicorn
from tests.helpers.servers import free_port, wait_for_port

# The test database is where the private cluster's schema comes from (the marker makes sure it exists).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PATHS = ("/api/health/ready", "/api/projects", "/api/categories", "/projects/")
POOL_TIMEOUT = 10.0  # production's psycopg pool: how long a request waits for a connection
# PostgreSQL stays stopped longer than that, so that the ASGI process's requests time out too.
DOWN_FOR = POOL_TIMEOUT + 2
RECOVERY = 5.0  # every request sent this long after the restart must succeed
STEADY = 2.0  # how long the clients keep asking after that
SLOWEST = POOL_TIMEOUT + 3  # no answer, success or error, takes longer
PROJECTS = 3


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

    def load_schema_of(self, source_url: str) -> None:
        """The tables, indexes, constraints and functions of `source_url`'s database, without its rows."""
        dump = subprocess.run([str(self.bin / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
                               "-d", source_url], check=True, capture_output=True, timeout=60)
        subprocess.run([str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url], input=dump.stdout,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)

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
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1"}


SEED = f"""
from accounts.tests.factories import make_user
from marketplace.tests.factories import make_project
client = make_user("client")
for n in range({PROJECTS}):
    make_project(client, title=f"Booking site for clinic number {{n + 1}}")
"""


@dataclass
class Answer:
    server: str
    path: str
    sent: float
    answered: float
    status: int | None  # None: no HTTP answer at all (refused, reset, timed out)
    clean: bool  # a success, or a JSON error in the API's shape
    note: str


def _ask(server: str, base: str, path: str) -> Answer:
    sent = time.monotonic()
    try:
        response = requests.get(f"{base}{path}", timeout=15, headers={"Connection": "close"})
    except requests.RequestException as exc:
        return Answer(server, path, sent, time.monotonic(), None, False, type(exc).__name__)
    if response.status_code == 200:
        return Answer(server, path, sent, time.monotonic(), 200, True, "")
    if not path.startswith("/api/"):  # a page: the "back in a moment" page, with a hint when to try again
        clean = (response.status_code == 503 and "Back in a moment" in response.text
                 and response.headers.get("Retry-After", "").isdigit())
        return Answer(server, path, sent, time.monotonic(), response.status_code, clean, response.text[:200])
    try:
        body = response.json()
    except ValueError:
        return Answer(server, path, sent, time.monotonic(), response.status_code, False, response.text[:200])
    if path == "/api/health/ready":  # readiness names what failed
        clean = response.status_code == 503 and body.get("failed") == ["database"]
    else:
        # The database out of reach is a passing outage: 503 with a hint when to try again, never a 500.
        clean = (response.status_code == 503 and body.get("error_type") == "service_unavailable"
                 and response.headers.get("Retry-After", "").isdigit())
    clean = clean and response.headers.get("Content-Type", "").startswith("application/json")
    return Answer(server, path, sent, time.monotonic(), response.status_code, clean, str(body)[:200])


def _keep_asking(server: str, base: str, path: str, stop: threading.Event, deadline: float,
                 answers: list[Answer], lock: threading.Lock) -> None:
    while not stop.is_set() and time.monotonic() < deadline:
        answer = _ask(server, base, path)
        with lock:
            answers.append(answer)
        time.sleep(0.02)


def _workers(master_pid: int) -> set[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return {int(pid) for pid in children.read_text().split()}


def test_asgi_and_wsgi_answer_cleanly_and_recover_when_postgresql_restarts_under_load(cluster, say):
    cluster.load_schema_of(database_url())
    env = _production_env(cluster.url)
    # The rows are made with the test settings, whose outgoing mail stays in memory.
    seeded = subprocess.run([sys.executable, "manage.py", "shell", "-c", SEED], capture_output=True, text=True,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test",
                                 "DATABASE_URL": cluster.url, "REDIS_URL": ""}, timeout=60)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    wsgi_port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "megilance.wsgi", "-b", f"127.0.0.1:{wsgi_port}",
         "-w", "2", "--log-level", "warning"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with uvicorn({**env, "DJANGO_DB_POOL": "1"}) as asgi:
            wait_for_port(wsgi_port, timeout=30)
            servers = {"asgi": asgi.url, "wsgi": f"http://127.0.0.1:{wsgi_port}"}
            for name, base in servers.items():
                for path in PATHS:  # connections made and kept (the pool's, the workers')
                    first = requests.get(f"{base}{path}", timeout=15)
                    assert first.status_code == 200, (name, path, first.text)
                projects = requests.get(f"{base}/api/projects", timeout=15).json()
                assert projects["count"] == PROJECTS, (name, projects)
                assert len(requests.get(f"{base}/api/categories", timeout=15).json()) >= 10, name
            workers = _workers(gunicorn.pid)
            assert len(workers) == 2, workers

            stop, lock, answers = threading.Event(), threading.Lock(), []
            deadline = time.monotonic() + 60
            # One client per server and path, each asking again as soon as it has its answer.
            clients = [threading.Thread(target=_keep_asking, args=(name, base, path, stop, deadline, answers, lock))
                       for name, base in servers.items() for path in PATHS]
            for client in clients:
                client.start()
            try:
                time.sleep(1.0)
                stopped = time.monotonic()
                cluster.stop()
                time.sleep(DOWN_FOR)
                cluster.start()
                restarted = time.monotonic()
                time.sleep(RECOVERY + STEADY)
            finally:
                stop.set()
                for client in clients:
                    client.join(timeout=30)
            assert not any(client.is_alive() for client in clients)

            assert gunicorn.poll() is None and asgi.process.poll() is None, "a server process died"
            assert _workers(gunicorn.pid) == workers, "a gunicorn worker died and was replaced"

            unclean = [a for a in answers if not a.clean]
            assert not unclean, [(a.server, a.path, round(a.sent - stopped, 2), a.status, a.note)
                                 for a in unclean[:10]]
            slowest = max(answers, key=lambda a: a.answered - a.sent)
            assert slowest.answered - slowest.sent < SLOWEST, slowest
            before = [a for a in answers if a.answered < stopped]
            assert before and all(a.status == 200 for a in before)
            lines = []
            for name in servers:
                mine = [a for a in answers if a.server == name]
                errors = [a for a in mine if a.status != 200]
                late = [a for a in mine if a.sent >= restarted + RECOVERY]
                for path in PATHS:
                    assert any(a.path == path for a in errors), f"{name} {path} never noticed PostgreSQL was down"
                    after = [a for a in late if a.path == path]
                    assert len(after) >= 3, (name, path, len(after))
                    assert all(a.status == 200 for a in after), (name, path, [a.note for a in after if a.status != 200])
                last_error = max(a.sent for a in errors) - restarted
                wait = max(a.answered - a.sent for a in mine)
                statuses = ", ".join(f"{n} x {s}" for s, n in sorted(Counter(a.status for a in errors).items()))
                lines.append(f"{name}: {len(mine)} requests, {len(mine) - len(errors)} answered 200, "
                             f"{len(errors)} clean errors ({statuses}), "
                             f"slowest {wait:.1f} s, last error sent {last_error:+.1f} s from the restart, "
                             f"{len(late)} of {len(late)} answered 200 from +{RECOVERY:.0f} s")
        say(f"fault: PostgreSQL stopped for {DOWN_FOR:.0f} s (pool timeout {POOL_TIMEOUT:.0f} s) and restarted while "
            f"a client per server and path kept asking for {', '.join(PATHS)}; "
            "every failure a 503 with Retry-After (JSON for the API, a page for people), no connection reset, "
            "no process died")
        for line in lines:
            say(f"fault:   {line}")
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=15)
