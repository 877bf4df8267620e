"""E-mails cross processes for real: the web process queues, a Celery worker sends through SES (moto)."""

import time

import pytest

from megilance.core.models import OutboundEmail

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
