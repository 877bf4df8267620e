"""Fixtures shared by every app's tests: accounts of each kind and API clients signed in as them."""

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests import factories
from tests.helpers.servers import free_port, wait_for_port

# Fixtures of the Stripe emulator (tests/helpers/stripe_emulator.py).
pytest_plugins = ["tests.helpers.stripe_emulator"]



@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """Connections opened by socket consumers' worker threads outlive their tests; close them all before
    the test database is dropped, or PostgreSQL refuses to drop it."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters and one-time markers live in Redis: each test starts with none. Each test also gets
    a fresh channel layer: the layer binds its locks to the event loop that first used it, and every test's
    sockets run in an event loop of their own."""
    from channels.layers import channel_layers

    from marketplace.selectors import public_count_forget

    cache.clear()
    public_count_forget()
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """A request made as a member who chose a language activates it for the thread, and it stays active after
    the request: each test ends back in the site's default, so the next one does not inherit it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def say(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Writes one line into the run's output, past the capture: fault, attack and fuzzing tests say what they
    tried, so a green run shows what it covered."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)

    return write


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db: None) -> Callable[..., object]:
    return factories.make_user


@pytest.fixture
def client_user(make_user: Callable[..., object]) -> object:
    return make_user("client", company="Acme Ltd")


@pytest.fixture
def freelancer_user(make_user: Callable[..., object]) -> object:
    return make_user("freelancer", hourly_rate="55.00", headline="Django developer")


@pytest.fixture
def staff_user(make_user: Callable[..., object]) -> object:
    return make_user("", is_staff=True, is_superuser=True)


@pytest.fixture
def client_for() -> Callable[[object], APIClient]:
    """An API client signed in as the given user, with real tokens from a real session."""
    from accounts.tokens import login_issue

    def make(user: object) -> APIClient:
        api = APIClient()
        tokens = login_issue(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        api.tokens = tokens  # type: ignore[attr-defined]
        return api

    return make


# --- real servers started for the tests that cross processes ---------------------------------------

@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server standing in for S3, SES and SNS, reached through the real boto3, django-storages and
    django-ses."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    port = free_port()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)],  # noqa: S603
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def ses_outbox(moto_server: str) -> Callable[[], list[dict]]:
    """Reads back what moto's SES received; the sender identity is verified first, as SES requires."""
    import json
    import urllib.request

    import boto3
    from django.conf import settings

    from accounts.models import normalize_email

    sender = normalize_email(settings.DEFAULT_FROM_EMAIL.split("<")[-1].rstrip(">"))
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))  # noqa: S310
    boto3.client("ses", endpoint_url=moto_server, region_name="us-east-1").verify_email_identity(EmailAddress=sender)

    def read() -> list[dict]:
        with urllib.request.urlopen(f"{moto_server}/moto-api/data.json") as response:  # noqa: S310
            data = json.load(response)
        return list(data.get("ses", {}).get("RawMessage", []))

    return read


@pytest.fixture
def sns(moto_server: str, settings: object) -> Iterator[object]:
    """Texts and pushes sent through SNS for real (boto3 to moto's server, emptied first); the answer reads back
    what each number and each device endpoint received (tests/helpers/sns.py)."""
    import urllib.request

    from core.mobile import platform_applications_forget
    from tests.helpers.sns import SnsInbox

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))  # noqa: S310
    settings.MOBILE_BACKEND = "core.mobile.SnsBackend"  # type: ignore[attr-defined]
    settings.AWS_SNS_ENDPOINT_URL = moto_server  # type: ignore[attr-defined]
    settings.AWS_SNS_REGION_NAME = "us-east-1"  # type: ignore[attr-defined]
    settings.AWS_SNS_FCM_CREDENTIAL = "fcm-server-key-for-tests"  # type: ignore[attr-defined]
    settings.AWS_SNS_APNS_CERTIFICATE = "apns-certificate-for-tests"  # type: ignore[attr-defined]
    settings.AWS_SNS_APNS_PRIVATE_KEY = "apns-private-key-for-tests"  # type: ignore[attr-defined]
    platform_applications_forget()
    yield SnsInbox(moto_server)
    platform_applications_forget()


@pytest.fixture
def celery_worker_process(transactional_db: None, moto_server: str) -> Iterator[None]:
    """A real Celery worker in its own process, on the test database and the Redis broker, sending through SES
    and SNS (moto)."""
    import os
    import subprocess
    import sys
    import time

    from django.db import connection

    from megilance.celery import app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "megilance.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "USE_SES": "1",
        "AWS_SES_REGION_NAME": "us-east-1",
        "AWS_SES_REGION_ENDPOINT_URL": moto_server,
        "USE_SNS": "1",
        "AWS_SNS_REGION_NAME": "us-east-1",
        "AWS_SNS_ENDPOINT_URL": moto_server,
    }
    app.control.purge()
    worker = subprocess.Popen(  # noqa: S603 - our own worker command
        [sys.executable, "-m", "celery", "-A", "megilance", "worker", "--pool=solo", "-c", "1", "-l", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", app.conf.task_default_queue],
        env=env,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5):
                break
        else:
            raise TimeoutError("the Celery worker did not start")
        yield
    finally:
        app.conf.task_always_eager = eager
        worker.terminate()
        worker.wait(timeout=20)


@pytest.fixture
def asgi_servers(transactional_db: None) -> Iterator[Callable[[int], list[str]]]:
    """Starts N real uvicorn processes of the whole product on the committed test database and the
    shared Redis (channel layer); returns their base URLs. All are stopped after the test."""
    import os
    import subprocess
    import sys

    from django.db import connection

    started: list[subprocess.Popen] = []

    def start(count: int = 1) -> list[str]:
        db = connection.settings_dict
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test",
               "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        urls = []
        for _ in range(count):
            port = free_port()
            started.append(subprocess.Popen(  # noqa: S603 - our own server command
                [sys.executable, "-m", "uvicorn", "megilance.asgi:application", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning", "--lifespan", "off"],
                env=env,
            ))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_for_port(int(url.rsplit(":", 1)[1]), timeout=30)
        return urls

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
