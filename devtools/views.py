"""The dev inbox of the embedded default: every e-mail `make run` has sent, read in the browser."""

import email
import email.policy
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


def _inbox() -> Path:
    if not settings.DEV_INBOX_DIR:
        raise Http404
    path = Path(settings.DEV_INBOX_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _parse(path: Path) -> dict:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return {
        "id": path.stem,
        "subject": message["Subject"],
        "to": message["To"],
        "date": message["Date"],
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
    }


def dev_inbox(request: HttpRequest) -> HttpResponse:
    """Every e-mail the embedded default has sent, newest first."""
    emails = [_parse(path) for path in sorted(_inbox().glob("*.eml"), reverse=True)[:200]]
    return render(request, "devtools/dev_inbox.html", {"emails": emails})


def dev_inbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    path = _inbox() / f"{message_id}.eml"
    if "/" in message_id or not path.is_file():
        raise Http404
    return render(request, "devtools/dev_inbox_message.html", {"message": _parse(path)})
