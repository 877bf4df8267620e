"""The embedded default's e-mail: printed to the console and kept for the dev inbox page.

While the demo data loads (`seed_demo`), e-mails go to the dev inbox only: the console shows where the
server is and how to sign in, not hundreds of demo e-mails.
"""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.utils import timezone

from core.mobile import ConsoleBackend as MobileConsoleBackend

_console = ContextVar("dev_inbox_console", default=True)


def _inbox_dir() -> Path:
    """The dev inbox folder: these backends are configured only where DEV_INBOX_DIR names one."""
    if settings.DEV_INBOX_DIR is None:
        raise ImproperlyConfigured("The dev inbox backends need DEV_INBOX_DIR.")
    return Path(settings.DEV_INBOX_DIR)


@contextmanager
def inbox_only() -> Iterator[None]:
    """E-mails sent inside this block are kept for the dev inbox but not printed."""
    token = _console.set(False)
    try:
        yield
    finally:
        _console.reset(token)


class DevInboxBackend(ConsoleBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if _console.get():
            count = super().send_messages(email_messages)
        else:
            count = len([message for message in email_messages if message.recipients()])
        inbox = _inbox_dir()
        inbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            (inbox / name).write_bytes(message.message().as_bytes())
        return count



class DevInboxMobileBackend(MobileConsoleBackend):
    """Text messages and pushes of the embedded default: printed (codes only said to be sent) and kept in the
    dev inbox as e-mails addressed to the phone number or device, where a code can be read."""

    def _keep(self, *, to: str, subject: str, text: str) -> None:
        message = EmailMessage(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[])
        message.extra_headers["To"] = to
        inbox = _inbox_dir()
        inbox.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        (inbox / name).write_bytes(message.message().as_bytes())

    def send_sms(self, *, phone_number: str, text: str, sensitive: bool = False) -> str:
        answer = super().send_sms(phone_number=phone_number, text=text, sensitive=sensitive)
        self._keep(to=f"SMS {phone_number}", subject=f"Text message to {phone_number}", text=text)
        return answer

    def push_publish(self, *, endpoint_arn: str, message: str) -> str:
        import json

        answer = super().push_publish(endpoint_arn=endpoint_arn, message=message)
        self._keep(to=f"Push {endpoint_arn}", subject="Push notification",
                   text=json.loads(message).get("default", ""))
        return answer
