"""Texts and pushes cross processes for real: queued while the broker is down, then sent through SNS (moto's
server) by Celery workers, one killed just after a send and one just before, and a third that finishes. Each
text and each push arrives exactly once."""

import os
import subprocess
import sys
import time

import pytest

from accounts import phone
from accounts.tests.factories import make_user
from core.models import OutboundMessage
from core.tests.test_email_worker import private_broker, wait_until  # noqa: F401 - the broker fixture
from messaging import devices
from messaging.models import NotificationKind
from messaging.notifications import notify

pytestmark = [pytest.mark.slow]

NUMBER = "+447700900999"


def start_worker(broker_url: str, moto: str, crash_point: str = "") -> subprocess.Popen:
    from django.db import connection

    from megilance.celery import app

    db = connection.settings_dict
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "megilance", "worker", "--pool=solo", "-c", "1", "-l", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", app.conf.task_default_queue],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", "CELERY_TASK_ALWAYS_EAGER": "0",
             "CELERY_BROKER_URL": broker_url, "USE_SNS": "1", "AWS_SNS_REGION_NAME": "us-east-1",
             "AWS_SNS_ENDPOINT_URL": moto, "OUTBOX_CRASH_POINT": crash_point,
             "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"})


@pytest.mark.django_db(transaction=True)
def test_texts_and_pushes_are_sent_once_by_workers_killed_and_run_again(private_broker, moto_server,  # noqa: F811
                                                                         sns, say):
    from core.tasks import flush_message_outbox
    from megilance.celery import app

    # A member with a verified phone and two devices (made while tasks still run in this process).
    member = make_user("freelancer")
    phone.phone_verification_start(user=member, phone_number=NUMBER)
    phone.phone_verification_confirm(user=member, code=sns.last_code(NUMBER))
    android, _ = devices.device_register(user=member, platform="fcm", token="android-token-of-the-member")
    iphone, _ = devices.device_register(user=member, platform="apns", token="c3" * 32)
    texts_before = len(sns.texts(NUMBER))

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    workers: list[subprocess.Popen] = []
    try:
        # The broker is down while three payments are announced: a text and two pushes each wait in the outbox.
        for n in (1, 2, 3):
            notify(user=member, kind=NotificationKind.PAYMENT_RECEIVED, title=f"Payment {n} received")
        pending = OutboundMessage.objects.filter(sent_at__isnull=True)
        assert pending.count() == 9
        sent = OutboundMessage.objects.filter(sent_at__isnull=False)
        sent_before = sent.count()  # the code and the notice about the verified number

        private_broker.start()
        # A worker dies right after its first send is committed; another dies holding the next row, before sending.
        for crash_point, sent_after in (("after_commit", 1), ("before_send", 1)):
            worker = start_worker(private_broker.url, moto_server, crash_point)
            workers.append(worker)
            flush_message_outbox.delay(0)
            assert worker.wait(timeout=90) == -9, f"the worker was to die at {crash_point}"
            assert sent.count() == sent_before + sent_after
            assert len(sns.texts(NUMBER)) - texts_before + sum(
                len(sns.pushes(d.endpoint_arn)) for d in (android, iphone)) == sent_after
        # A third worker finishes the job; running the beat task again sends nothing twice.
        workers.append(start_worker(private_broker.url, moto_server))
        flush_message_outbox.delay(0)
        assert wait_until(lambda: not pending.exists(), timeout=90), list(pending.values("to", "last_error"))
        flush_message_outbox.delay(0)
        time.sleep(2)

        texts = sns.texts(NUMBER)[texts_before:]
        assert sorted(texts) == [f"MegiLance: Payment {n} received" for n in (1, 2, 3)]
        for device in (android, iphone):
            titles = sorted(push["default"] for push in sns.pushes(device.endpoint_arn))
            assert titles == [f"Payment {n} received" for n in (1, 2, 3)], device.platform
        say("fault: outbox workers killed after a send and before one: 3 texts and 6 pushes, each sent once")
    finally:
        app.conf.task_always_eager = eager
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)
