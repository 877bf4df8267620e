"""Request id, metrics, and JSON errors for every `/api/` path (never an HTML page or a traceback)."""

import logging
import re
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus

import psycopg
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .logging import reset_request_id, set_request_id
from .metrics import LATENCY, REQUESTS, method_label

logger = logging.getLogger("megilance.errors")

# Exceptions Django itself turns into a 4xx answer; ApiErrorMiddleware then reshapes that answer.
_HANDLED_BY_DJANGO = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, RequestDataTooBig)

Handler = Callable[[HttpRequest], HttpResponse]

# How long a client is told to wait when the database cannot be reached (a restart or a fail-over).
DATABASE_RETRY_AFTER = 5


def _database_unreachable(exception: Exception) -> bool:
    """The database could not be reached or dropped the connection: a passing outage, not a bug.

    Covers Django's wrappers of psycopg's connection errors and the connection pool giving up waiting.
    """
    return isinstance(exception, OperationalError | InterfaceError | psycopg.OperationalError
                      | psycopg.InterfaceError)


def unavailable_response(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    """A 503 with Retry-After when `exception` is the database being out of reach, else None."""
    if not _database_unreachable(exception):
        return None
    # The exception's class only: its message may name the server, never anything more is written.
    logger.error("Database unreachable on %s %s: %s", request.method, request.path, type(exception).__name__)
    if _is_api(request):
        response: HttpResponse = json_error(
            503, "The service is briefly unavailable. Please try again in a few seconds.", "service_unavailable")
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


class RequestIdMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # views and error pages read it
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class MetricsMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        method = method_label(request.method)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, detail: str | None = None, error_type: str | None = None) -> JsonResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    default_types = {404: "not_found", 405: "method_not_allowed", 403: "permission_denied",
                     400: "bad_request", 500: "server_error", 413: "request_too_large"}
    return JsonResponse(
        {"detail": detail or f"{phrase}.", "error_type": error_type or default_types.get(status, "error")},
        status=status,
    )


class ApiErrorMiddleware:
    """Turns whatever Django would answer with an HTML error page into the API's JSON error shape."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            _is_api(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
        ):
            detail = "Not found." if response.status_code == 404 else None
            return json_error(response.status_code, detail)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if (unavailable := unavailable_response(request, exception)) is not None:
            return unavailable
        if not _is_api(request) or isinstance(exception, _HANDLED_BY_DJANGO):
            return None
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return json_error(500, "Something went wrong on our side. It has been logged.", "server_error")


class AuditContextMiddleware:
    """Keeps the request's address and (session) user where `audit()` finds them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .audit import reset_context, set_context
        from .clientip import client_ip

        user = getattr(request, "user", None)
        tokens = set_context(ip=client_ip(request),
                             actor=user if user is not None and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            reset_context(tokens)


class NullCharacterMiddleware:
    """A NUL character in the address cannot be stored or searched in PostgreSQL: such requests get a clear
    400 before any view runs (request bodies are checked by the forms and serializers)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any("\x00" in key or any("\x00" in value for value in values)
                                          for key, values in request.GET.lists()):
            if _is_api(request):
                return json_error(400, "Invalid input: null characters are not allowed.", "validation_error")
            return HttpResponse("Null characters are not allowed in the address.", status=400,
                                content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# Deeper JSON than this is refused before any parser sees it: Python's parser recurses once per level and a
# body of 50,000 brackets would exhaust the stack. Nothing the product sends comes near it.
MAX_JSON_DEPTH = 64
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects more than `limit` deep (brackets inside strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # cannot be deeper than the brackets it holds: the common case costs two C-level scans
    depth = 0
    for match in _JSON_TOKEN.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


class JsonDepthMiddleware:
    """Refuses request bodies nested too deeply to parse safely, with a clear 400, for every view (the API's
    parsers and any page that reads JSON alike). Form and file uploads are not JSON and are left alone."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "").lower()
        if request.method not in ("GET", "HEAD", "OPTIONS") and not content_type.startswith(_FORM_TYPES):
            try:
                body = request.body
            except RequestDataTooBig:
                body = b""  # the view meets the same limit and answers it as it always has
            if json_depth_exceeds(body):
                detail = f"Invalid input: JSON nested more than {MAX_JSON_DEPTH} levels deep."
                if _is_api(request):
                    return json_error(400, detail, "parse_error")
                return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UserLocaleMiddleware:
    """For a signed-in person, their profile's language beats the language cookie and the browser's
    Accept-Language (which LocaleMiddleware has chosen from by now), and times are shown in their time zone."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import timezone

        from .locale import activate_for

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_for(request, user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()  # also for API callers, whose zone the token authentication activated
