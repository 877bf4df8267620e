"""A request id that follows one request through logs, Celery tasks and consumers; secrets kept out of logs."""

import contextvars
import logging
import re
from typing import Any

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def get_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def request_id_of(record: logging.LogRecord) -> str:
    """The id of the request, socket or task the record was logged in. Django logs a 4xx/5xx answer
    ("Not Found: /x") after the middleware has left, so there it comes from the request on the record."""
    current = get_request_id()
    if current == "-":
        return getattr(getattr(record, "request", None), "request_id", None) or current
    return current


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_of(record)
        return True


# `token=`, `ticket=`, `access_token=` and `refresh_token=` values in a query string (sockets' addresses).
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:access_|refresh_)?(?:token|ticket)=)[^&\s\"'#]*")


def redact_secrets(text: str) -> str:
    """The text with every token or ticket value of a query string replaced by `[redacted]`."""
    return _SECRET_QUERY.sub(r"\1[redacted]", text)


def _redacted(value: Any) -> Any:
    return redact_secrets(value) if isinstance(value, str) else value


class RedactQueryFilter(logging.Filter):
    """Removes token and ticket values from a record's message and its arguments.

    Installed on the console handler, it covers every line written there: ours, Django's, and the ASGI
    server's access and connection lines ("WebSocket /ws/chat/1/?ticket=…"), whose loggers the settings
    route to the same handler. The arguments are redacted one by one because the server's access formatter
    reads them, not the formatted message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(arg) for key, arg in record.args.items()}
        return True


try:  # python-json-logger (requirements.txt); the fallback keeps a development machine without it working
    from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter
except ImportError:  # pragma: no cover
    _BaseJsonFormatter = None  # type: ignore[misc,assignment]  # absent: the plain formatter below stands in


_JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]


if _BaseJsonFormatter is not None:

    class JsonFormatter(_BaseJsonFormatter):
        """One JSON object per line: time, level, logger, message, request id, and any `extra=` fields.

        The request id comes from the record (RequestIdFilter) or, when the handler has no filter, from the
        context of the request, consumer or task the line was logged in.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("fmt", _JSON_FIELDS)
            kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
            kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
            super().__init__(*args, **kwargs)

        def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
            if not getattr(record, "request_id", None):
                record.request_id = request_id_of(record)
            super().add_fields(log_data, record, message_dict)
            request = log_data.pop("request", None)  # Django's own records carry the whole HttpRequest
            if request is not None and hasattr(request, "path"):
                log_data.setdefault("method", getattr(request, "method", ""))
                log_data.setdefault("path", request.path)

else:  # pragma: no cover

    class JsonFormatter(logging.Formatter):  # type: ignore[no-redef]
        def format(self, record: logging.LogRecord) -> str:
            import json

            data = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                    "logger": record.name, "message": record.getMessage(),
                    "request_id": getattr(record, "request_id", None) or request_id_of(record)}
            if record.exc_info:
                data["exc_info"] = self.formatException(record.exc_info)
            return json.dumps(data, default=str)
