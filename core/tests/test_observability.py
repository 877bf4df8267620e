"""Logs and metrics: JSON log lines that carry the request id of the request, socket or task they come from,
and Prometheus series for tasks, open sockets and the money the ledger holds, read at /api/health/metrics."""

import io
import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from asgiref.sync import async_to_sync
from celery.signals import before_task_publish, task_prerun
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from contracts.tests.factories import make_contract
from core.logging import JsonFormatter, RequestIdFilter, get_request_id, reset_request_id, set_request_id
from megilance.celery import app
from payments import services as payments
from payments.models import LedgerAccount, LedgerTransaction

seen_request_ids: list[str] = []
attempts: dict[str, int] = {}


@app.task(name="tests.observability.works")
def works() -> str:
    seen_request_ids.append(get_request_id())
    return "done"


@app.task(name="tests.observability.breaks")
def breaks() -> None:
    raise RuntimeError("this task always fails")


@app.task(name="tests.observability.flaky", bind=True, max_retries=3)
def flaky(self) -> str:
    attempts["flaky"] = attempts.get("flaky", 0) + 1
    if attempts["flaky"] == 1:
        raise self.retry(countdown=0)
    return "second time lucky"


def metrics(client) -> dict[tuple[str, tuple], float]:
    """The samples of GET /api/health/metrics: {(name, sorted labels): value}."""
    response = client.get("/api/health/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@contextmanager
def json_log_lines():
    """What the console handler (the one the settings configure) writes, as JSON objects, while inside."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    assert any(isinstance(f, RequestIdFilter) for f in handler.filters)
    buffer = io.StringIO()
    old_stream, old_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(JsonFormatter())
    lines: list[dict] = []
    try:
        yield lines
    finally:
        handler.setStream(old_stream)
        handler.setFormatter(old_formatter)
        lines.extend(json.loads(line) for line in buffer.getvalue().splitlines() if line.strip())


# --- JSON logs --------------------------------------------------------------------------------------


def test_the_json_formatter_writes_one_json_object_per_record() -> None:
    formatter = JsonFormatter()
    token = set_request_id("rid-format")
    try:
        record = logging.LogRecord("megilance.payments", logging.WARNING, __file__, 1, "Payout %s failed", (7,), None)
        record.user_id = 42
        line = formatter.format(record)
        try:
            raise ValueError("bad")
        except ValueError:
            failed = logging.LogRecord("x", logging.ERROR, __file__, 2, "boom", (), sys.exc_info())
        error_line = formatter.format(failed)
    finally:
        reset_request_id(token)

    data = json.loads(line)
    assert data["message"] == "Payout 7 failed" and data["level"] == "WARNING"
    assert data["logger"] == "megilance.payments" and data["request_id"] == "rid-format"
    assert data["user_id"] == 42 and data["time"]
    assert "\n" not in line
    error = json.loads(error_line)
    assert "ValueError: bad" in error["exc_info"]


def test_production_settings_log_json() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.production", "DJANGO_SECRET_KEY": "x" * 64,
           "DJANGO_ALLOWED_HOSTS": "megilance.example", "DJANGO_DEBUG": "0", "USE_SES": "1"}
    code = ("import django, logging; django.setup(); "
            "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter']); "
            "logging.getLogger('megilance.check').warning('hello from production')")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "json"
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello from production" and line["request_id"] == "-"


@pytest.mark.django_db
def test_a_log_line_inside_a_request_carries_its_request_id(client, monkeypatch) -> None:
    from core import health

    def check_and_log() -> None:
        logging.getLogger("megilance.health").warning("checking the cache")

    monkeypatch.setitem(health.CHECKS, "cache", check_and_log)
    with json_log_lines() as lines:
        ready = client.get("/api/health/ready", HTTP_X_REQUEST_ID="obs-request-0")
        response = client.get("/api/no-such-endpoint", HTTP_X_REQUEST_ID="obs-request-1")
    assert ready["X-Request-ID"] == "obs-request-0"
    assert response.status_code == 404 and response["X-Request-ID"] == "obs-request-1"

    inside = [line for line in lines if line["message"] == "checking the cache"]
    assert [line["request_id"] for line in inside] == ["obs-request-0"]

    ours = [line for line in lines if line["request_id"] == "obs-request-1"]
    assert ours, lines
    assert any(line["message"] == "Not Found: /api/no-such-endpoint" and line["path"] == "/api/no-such-endpoint"
               and line["status_code"] == 404 for line in ours)
    assert get_request_id() == "-"  # nothing leaks into what runs after the request


@pytest.mark.django_db(transaction=True)
def test_a_socket_connection_has_a_request_id_in_its_log_lines(client_user, monkeypatch) -> None:
    from channels.testing import WebsocketCommunicator

    from accounts.tokens import login_issue
    from megilance.asgi import application
    from messaging import presence

    token = login_issue(user=client_user)["access_token"]
    original = presence.connect

    def connect_and_log(user_id: int, connection_id: str) -> bool:
        logging.getLogger("megilance.sockets").warning("socket of user %s connected", user_id)
        return original(user_id, connection_id)

    monkeypatch.setattr(presence, "connect", connect_and_log)

    async def scenario(headers: list) -> None:
        socket = WebsocketCommunicator(application, f"/ws/notifications/?token={token}",
                                       headers=[(b"origin", b"http://testserver"), *headers])
        connected, _ = await socket.connect()
        assert connected
        await socket.disconnect()

    with json_log_lines() as lines:
        async_to_sync(scenario)([(b"x-request-id", b"obs-socket-1")])
        async_to_sync(scenario)([])
    connected = [line for line in lines if line["message"].startswith("socket of user")]
    assert len(connected) == 2, lines
    assert connected[0]["request_id"] == "obs-socket-1"
    assert len(connected[1]["request_id"]) == 32 and connected[1]["request_id"] != "obs-socket-1"  # a new one


def test_celery_tasks_carry_the_request_id() -> None:
    """Published tasks carry it in their headers and the worker restores it; in-process tasks keep it."""
    token = set_request_id("obs-task-1")
    try:
        headers: dict = {}
        before_task_publish.send(sender="tests.observability.works", headers=headers, body=(), exchange="",
                                 routing_key="celery")
        assert headers["request_id"] == "obs-task-1"

        seen_request_ids.clear()
        works.delay()  # eager here: runs in this thread, inside the "request"
        assert seen_request_ids == ["obs-task-1"]
        assert get_request_id() == "obs-task-1"  # the task did not replace the caller's id
    finally:
        reset_request_id(token)

    # In a worker, the id comes from the message's headers.
    works.push_request(request_id="obs-task-2", is_eager=False)
    try:
        task_prerun.send(sender=works, task_id="t-1", task=works, args=(), kwargs={})
        assert get_request_id() == "obs-task-2"
    finally:
        works.pop_request()
        set_request_id("-")


# --- metrics ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_task_outcomes_are_counted(client) -> None:
    before = metrics(client)
    works.delay()
    assert breaks.apply(throw=False).failed()  # (a raising eager call would skip Celery's failure handling)
    attempts.clear()
    assert flaky.delay().get() == "second time lucky"
    after = metrics(client)

    def grew(task: str, outcome: str) -> float:
        name = "megilance_celery_tasks_total"
        return value(after, name, task=task, outcome=outcome) - value(before, name, task=task, outcome=outcome)

    assert grew("tests.observability.works", "success") == 1
    assert grew("tests.observability.breaks", "failure") == 1
    assert grew("tests.observability.flaky", "retry") == 1
    assert grew("tests.observability.flaky", "success") == 1


@pytest.mark.django_db(transaction=True)
def test_open_sockets_are_a_gauge(client, client_user, freelancer_user) -> None:
    from channels.testing import WebsocketCommunicator

    from accounts.tokens import login_issue
    from megilance.asgi import application
    from messaging.services import chat_open

    chat = chat_open(user=client_user, participant=freelancer_user)[0]
    token = login_issue(user=client_user)["access_token"]
    name = "megilance_websocket_connections"
    start = metrics(client)
    during: dict = {}

    async def scenario() -> None:
        sockets = [WebsocketCommunicator(application, f"{path}?token={token}", headers=[(b"origin", b"http://testserver")])
                   for path in ("/ws/notifications/", f"/ws/chat/{chat.pk}/", "/ws/chat/999999/")]
        results = [await socket.connect() for socket in sockets]
        assert results[0][0] and results[1][0]
        during.update(await _metrics_async(client))
        for socket in sockets:
            await socket.disconnect()

    async_to_sync(scenario)()
    end = metrics(client)
    assert value(during, name, consumer="notifications") - value(start, name, consumer="notifications") == 1
    # The refused chat socket (not a party) is not counted.
    assert value(during, name, consumer="chat") - value(start, name, consumer="chat") == 1
    assert value(end, name, consumer="notifications") == value(start, name, consumer="notifications")
    assert value(end, name, consumer="chat") == value(start, name, consumer="chat")


async def _metrics_async(client) -> dict:
    from asgiref.sync import sync_to_async

    return await sync_to_async(metrics)(client)


@pytest.mark.django_db
def test_money_totals_come_from_the_ledger_at_scrape_time(client, client_user, freelancer_user,
                                                          django_assert_max_num_queries) -> None:
    contract = make_contract(client_user, freelancer_user)
    payments.funding_record(payer=client_user, payment_intent_id="pi_metrics", amount_minor=100000, currency="usd",
                            contract_id=contract.pk, milestone_id=1, description="funded")
    payments.release_record(payee=freelancer_user, gross_minor=40000, currency="usd", contract_id=contract.pk,
                            milestone_id=1, reference="release:metrics", description="released")

    samples = metrics(client)
    assert value(samples, "megilance_money_escrow_held", currency="usd") == 600.0
    assert value(samples, "megilance_money_platform_fees", currency="usd") == 40.0
    assert value(samples, "megilance_money_owed_to_freelancers", currency="usd") == 360.0
    assert value(samples, "megilance_money_paid_out", currency="usd") == 0.0

    payments.ledger_record(kind=LedgerTransaction.Kind.PAYOUT, reference="payout:metrics", currency="usd",
                           entries=[(LedgerAccount.FREELANCER_PAYABLE, 36000, freelancer_user),
                                    (LedgerAccount.PLATFORM_CASH, -36000, None)])
    samples = metrics(client)
    assert value(samples, "megilance_money_owed_to_freelancers", currency="usd") == 0.0
    assert value(samples, "megilance_money_paid_out", currency="usd") == 360.0

    from payments.metrics import MONEY

    with django_assert_max_num_queries(1):
        list(MONEY.collect())  # one aggregate query, whatever the ledger's size


def test_the_money_collector_is_registered_once() -> None:
    from prometheus_client import REGISTRY

    from payments.metrics import MONEY

    collectors = [c for c in REGISTRY._collector_to_names if type(c).__name__ == "MoneyCollector"]
    assert collectors == [MONEY]
