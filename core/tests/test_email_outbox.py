"""E-mails are written to the outbox with the change that decided them and sent once after commit."""

import pytest
from django.core import mail

from core.mail import email_queue
from core.models import OutboundEmail
from core.outbox import email_deliver, email_flush_outbox

pytestmark = pytest.mark.django_db


def queue(**kwargs):
    defaults = {"to": "ada@example.com", "template": "welcome",
                "context": {"user": {"first_name": "Ada", "email": "ada@example.com", "user_type": "client"}}}
    return email_queue(**{**defaults, **kwargs})


def test_sent_after_commit_with_text_and_html(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbound = queue()
    assert len(mail.outbox) == 0  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Ada" in message.body
    assert message.alternatives[0][1] == "text/html"
    outbound.refresh_from_db()
    assert outbound.sent_at is not None and outbound.attempts == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")
    assert OutboundEmail.objects.count() == 0
    assert len(mail.outbox) == 0


def test_each_email_is_sent_once():
    outbound = queue()
    assert email_deliver(outbound_id=outbound.pk) is True
    assert email_deliver(outbound_id=outbound.pk) is False
    assert len(mail.outbox) == 1


def test_dedupe_key_keeps_one_email():
    first = queue(dedupe_key="welcome:1")
    second = queue(dedupe_key="welcome:1")
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1


def test_a_failed_send_is_retried_from_the_outbox(settings, django_capture_on_commit_callbacks):
    import time

    import time_machine

    # A mail server that is down: nothing listens on this port.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        outbound = queue()
    outbound.refresh_from_db()
    assert outbound.sent_at is None and outbound.attempts >= 1 and "Connection" in outbound.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(time.time() + 120):
        assert email_flush_outbox() == 1
    outbound.refresh_from_db()
    assert outbound.sent_at is not None
    assert len(mail.outbox) == 1
    assert email_flush_outbox() == 0
