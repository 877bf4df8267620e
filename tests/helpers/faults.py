"""Servers a fault test can stop and start at will: a private Redis, and the product under uvicorn on it.

Each test stops only what it started, by its process, never the shared PostgreSQL or Redis.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from .servers import free_port, wait_for_port


class PrivateRedis:
    """A Redis server of the test's own on a free port; `stop()` and `start()` may be repeated."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="megilance-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise TimeoutError("the private Redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


class Uvicorn:
    """One uvicorn process of the whole product; what it logs is kept in `log_path`."""

    def __init__(self, env: dict[str, str], *, log_level: str = "warning") -> None:
        self.port = free_port()
        self.log_path = Path(tempfile.mkstemp(prefix="megilance-uvicorn-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", **env}
        full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "megilance.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", log_level, "--lifespan", "off"],
            env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._log.close()
        self.log_path.unlink(missing_ok=True)


@contextmanager
def uvicorn(env: dict[str, str], *, log_level: str = "warning") -> Iterator[Uvicorn]:
    server = Uvicorn(env, log_level=log_level)
    try:
        yield server
    finally:
        server.stop()


def database_url() -> str:
    """The committed test database, for processes the test starts."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
