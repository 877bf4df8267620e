"""The embedded default's e-mail: printed to the console and kept for the dev inbox page."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.utils import timezone


class DevInboxBackend(ConsoleBackend):
    def send_messages(self, email_messages: list) -> int:
        count = super().send_messages(email_messages)
        inbox = Path(settings.DEV_INBOX_DIR)
        inbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            (inbox / name).write_bytes(message.message().as_bytes())
        return count
