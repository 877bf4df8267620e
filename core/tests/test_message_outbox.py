"""Text messages and pushes go through the outbox like e-mail: written with the change that decided them, sent
once after commit through SNS (moto's server), retried when SNS fails, and a code never kept once sent."""

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from core.models import OutboundMessage
from core.outbox import message_deliver, message_flush_outbox
from core.texts import push_queue, sms_queue

pytestmark = pytest.mark.django_db

NUMBER = "+447700900123"


def endpoint(sns, token="device-token-1"):
    """A device endpoint made at SNS the way device registration makes one."""
    from core.mobile import backend

    return backend().platform_endpoint_create(platform="fcm", token=token)


def test_a_text_is_sent_after_commit_and_only_then(sns, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbound = sms_queue(to=NUMBER, template="notice", text="MegiLance: Payment received")
    assert sns.texts() == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert sns.texts(NUMBER) == ["MegiLance: Payment received"]
    outbound.refresh_from_db()
    assert outbound.sent_at is not None and outbound.attempts == 1 and outbound.provider_id


def test_nothing_is_sent_when_the_transaction_rolls_back(sns, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        sms_queue(to=NUMBER, template="notice", text="Never sent")
        raise RuntimeError("the change failed")
    assert OutboundMessage.objects.count() == 0
    assert sns.texts() == []


def test_each_text_and_push_is_sent_once(sns):
    arn = endpoint(sns)
    text = sms_queue(to=NUMBER, template="notice", text="Once")
    push = push_queue(endpoint_arn=arn, platform="fcm", template="notice", title="Once", body="Only once")
    for outbound in (text, push):
        assert message_deliver(outbound_id=outbound.pk) is True
        assert message_deliver(outbound_id=outbound.pk) is False
    assert message_flush_outbox(older_than=timedelta(0)) == 0
    assert sns.texts(NUMBER) == ["Once"]
    assert len(sns.pushes(arn)) == 1


def test_a_push_carries_the_platforms_own_message(sns):
    import json

    fcm = endpoint(sns, "android-token")
    from core.mobile import backend

    apns = backend().platform_endpoint_create(platform="apns", token="a" * 64)
    for arn, platform in ((fcm, "fcm"), (apns, "apns")):
        outbound = push_queue(endpoint_arn=arn, platform=platform, template="notice", title="Milestone funded",
                              body="500.00 USD is in escrow", data={"contract_id": 7})
        message_deliver(outbound_id=outbound.pk)
    [android] = sns.pushes(fcm)
    assert android["default"] == "Milestone funded: 500.00 USD is in escrow"
    message = json.loads(android["GCM"])["fcmV1Message"]["message"]
    assert message["notification"] == {"title": "Milestone funded", "body": "500.00 USD is in escrow"}
    assert message["data"] == {"contract_id": "7"}
    [iphone] = sns.pushes(apns)
    aps = json.loads(iphone["APNS"])
    assert aps["aps"]["alert"] == {"title": "Milestone funded", "body": "500.00 USD is in escrow"}
    assert aps["contract_id"] == "7"
    assert "GCM" not in iphone and "APNS" not in android


def test_dedupe_key_keeps_one_message(sns, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = sms_queue(to=NUMBER, template="notice", text="Hello", dedupe_key="notice:1")
    with django_capture_on_commit_callbacks(execute=True):
        second = sms_queue(to=NUMBER, template="notice", text="Hello", dedupe_key="notice:1")
    assert first.pk == second.pk and OutboundMessage.objects.count() == 1
    assert sns.texts(NUMBER) == ["Hello"]


def test_a_failed_send_is_kept_and_sent_by_the_beat_task(sns, settings, django_capture_on_commit_callbacks):
    real = settings.AWS_SNS_ENDPOINT_URL
    settings.AWS_SNS_ENDPOINT_URL = "http://127.0.0.1:9"  # SNS unreachable: nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        outbound = sms_queue(to=NUMBER, template="notice", text="After the outage")
    outbound.refresh_from_db()
    assert outbound.sent_at is None and outbound.attempts >= 1 and outbound.last_error
    assert sns.texts() == []

    settings.AWS_SNS_ENDPOINT_URL = real
    with time_machine.travel(time.time() + 120):
        assert message_flush_outbox() == 1
    assert sns.texts(NUMBER) == ["After the outage"]
    with time_machine.travel(time.time() + 240):
        assert message_flush_outbox() == 0
    assert sns.texts(NUMBER) == ["After the outage"]


def test_a_code_is_removed_from_the_outbox_once_sent_and_never_logged(sns, caplog, capsys,
                                                                    django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        outbound = sms_queue(to=NUMBER, template="phone_code_verify", text="MegiLance code: 493027.", sensitive=True)
    assert sns.texts(NUMBER) == ["MegiLance code: 493027."]
    outbound.refresh_from_db()
    assert outbound.sent_at is not None
    assert "493027" not in outbound.body and outbound.body == OutboundMessage.REDACTED
    assert all("493027" not in record.getMessage() for record in caplog.records)
    assert "493027" not in capsys.readouterr().out


def test_a_push_to_a_disabled_endpoint_is_dropped_not_retried(sns, django_capture_on_commit_callbacks):
    arn = endpoint(sns)
    sns.client().set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    with django_capture_on_commit_callbacks(execute=True):
        outbound = push_queue(endpoint_arn=arn, platform="fcm", template="notice", title="Hello", body="")
    outbound.refresh_from_db()
    assert outbound.dropped_at is not None and outbound.sent_at is None
    assert "EndpointDisabled" in outbound.last_error
    assert sns.pushes(arn) == []
    with time_machine.travel(time.time() + 120):
        assert message_flush_outbox() == 0
    outbound.refresh_from_db()
    assert outbound.attempts == 1


def test_the_platform_applications_are_created_once_and_then_found(sns):
    from io import StringIO

    from django.core.management import call_command

    from core.mobile import platform_applications_forget

    first = StringIO()
    call_command("sns_setup", stdout=first)
    platform_applications_forget()  # another process, later: it finds them by name
    second = StringIO()
    call_command("sns_setup", stdout=second)
    assert first.getvalue() == second.getvalue()
    assert sorted((app["platform"], app["name"]) for app in sns.applications()) == [
        ("APNS", "megilance-apns"), ("GCM", "megilance-fcm")]
    assert ":app/GCM/megilance-fcm" in first.getvalue() and ":app/APNS/megilance-apns" in first.getvalue()


def test_without_credentials_a_platform_is_left_alone(sns, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.AWS_SNS_APNS_PRIVATE_KEY = ""
    out = StringIO()
    call_command("sns_setup", stdout=out)
    assert "apns: No SNS platform application" in out.getvalue()
    assert [app["platform"] for app in sns.applications()] == ["GCM"]
