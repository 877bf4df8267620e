"""Where a request comes from, for the fraud signals: its address and its device id.

Browsers carry the device id in the `ml_device` cookie (set on their first visit), apps send theirs in the
`X-Device-Id` header. Services recording a signal read both from here, set by `DeviceMiddleware` for the
request being handled (empty in tasks and commands).
"""

import contextvars
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.clientip import client_ip

COOKIE = "ml_device"
HEADER = "HTTP_X_DEVICE_ID"
_VALID = re.compile(r"[A-Za-z0-9_-]{8,64}")

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("risk_ip", default=None)
_device: contextvars.ContextVar[str] = contextvars.ContextVar("risk_device", default="")


def current_ip() -> str | None:
    return _ip.get()


def current_device() -> str:
    return _device.get()


def device_of(request: HttpRequest) -> tuple[str, bool]:
    """The request's device id, and whether it is new (to be set as a cookie)."""
    for value in (request.META.get(HEADER, ""), request.COOKIES.get(COOKIE, "")):
        if _VALID.fullmatch(value or ""):
            return value, False
    return uuid.uuid4().hex, True


class DeviceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        device, new = device_of(request)
        tokens = _ip.set(client_ip(request)), _device.set(device)
        try:
            response = self.get_response(request)
        finally:
            _ip.reset(tokens[0])
            _device.reset(tokens[1])
        if new and not request.path.startswith(("/api/", "/static/", "/media/")):
            response.set_cookie(COOKIE, device, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                                secure=not settings.DEBUG and request.is_secure())
        return response
