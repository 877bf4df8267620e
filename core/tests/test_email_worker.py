"""E-mails cross processes for real: the web process queues, a Celery worker sends through SES (moto)."""

import time

import pytest

from core.models import OutboundEmail

pytestmark = [pytest.mark.slow]


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return predicate()


def test_signup_emails_are_sent_by_the_worker_through_ses(celery_worker_process, ses_outbox, api_client):
    response = api_client.post(
        "/api/auth/register",
        {"email": "grace@example.com", "password": "correct-horse-battery-staple", "first_name": "Grace",
         "last_name": "Hopper", "user_type": "client"},
        format="json",
    )
    assert response.status_code == 201
    sent = wait_until(lambda: OutboundEmail.objects.filter(sent_at__isnull=False).count() == 2)
    assert sent, list(OutboundEmail.objects.values("template", "attempts", "last_error"))
    messages = wait_until(lambda: len(ses_outbox()) >= 2 and ses_outbox())
    assert len(messages) == 2  # each once
    assert all("grace@example.com" in str(message["destinations"]) for message in messages), messages[0]["destinations"]
    subjects = sorted(line for message in messages for line in message["raw_data"].splitlines()
                      if line.startswith("Subject:"))
    assert any("Welcome" in subject for subject in subjects), subjects


class PrivateRedis:
    """A Redis server of the test's own, so it can be stopped and started again on the same port."""

    def __init__(self, tmp_path):
        from tests.helpers.servers import free_port

        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import subprocess

        from tests.helpers.servers import wait_for_port

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_broker(tmp_path):
    from megilance.celery import app

    broker = PrivateRedis(tmp_path)
    original = app.conf.broker_url
    app.conf.broker_url = broker.url
    app._pool = None
    app.amqp._producer_pool = None
    yield broker
    broker.stop()
    app.conf.broker_url = original
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_every_email_is_sent_once_after_it_returns(private_broker, moto_server, ses_outbox,
                                                                         api_client, settings, say):
    import os
    import subprocess
    import sys

    from django.db import connection

    from core.tasks import flush_email_outbox
    from megilance.celery import app

    settings.THROTTLE_ENABLED = False
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    worker = None
    try:
        # The broker is down while three people sign up: nothing is lost, the e-mails wait in the outbox.
        for n in range(3):
            response = api_client.post("/api/auth/register", {
                "email": f"person{n}@example.com", "password": "correct-horse-battery-staple",
                "first_name": "Person", "last_name": str(n), "user_type": "client"}, format="json")
            assert response.status_code == 201
        assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 6

        # The broker comes back; a worker starts; the beat task sends what the outbox holds.
        private_broker.start()
        db = connection.settings_dict
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "megilance", "worker", "--pool=solo", "-c", "1", "-l", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", app.conf.task_default_queue],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", "CELERY_TASK_ALWAYS_EAGER": "0",
                 "CELERY_BROKER_URL": private_broker.url, "USE_SES": "1", "AWS_SES_REGION_NAME": "us-east-1",
                 "AWS_SES_REGION_ENDPOINT_URL": moto_server,
                 "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"})
        flush_email_outbox.delay(0)
        assert wait_until(lambda: not OutboundEmail.objects.filter(sent_at__isnull=True).exists(), timeout=60)
        flush_email_outbox.delay(0)  # running again sends nothing twice
        time.sleep(2)
        messages = ses_outbox()
        recipients = sorted(str(m["destinations"]) for m in messages)
        assert len(messages) == 6
        for n in range(3):
            assert sum(f"person{n}@example.com" in r for r in recipients) == 2
        say(f"fault: broker stopped with e-mails queued: {len(messages)} sent, each once, after it returned")
    finally:
        app.conf.task_always_eager = eager
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
