"""One error shape for the whole API: `{"detail", "error_type"}`, plus `"errors"` for validation."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApplicationError(exceptions.APIException):
    """A domain rule was broken. Services raise it; the API answers with its status and message."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail = "The request could not be completed."
    default_code = "invalid_request"

    def __init__(self, detail: str | None = None, *, code: str | None = None, status_code: int | None = None,
                 errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail=detail, code=code)
        if status_code is not None:
            self.status_code = status_code
        self.error_type = code or self.default_code
        self.errors = errors


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def _messages(detail: Any, where: str = "") -> list[str]:
    """Every message under one field, as plain strings. A message about an item of a list or a key of an
    object names it: `"Item 2: Ensure this field has no more than 50 characters."`, `"name: This field is
    required."`; items without an error are left out."""
    if isinstance(detail, dict):
        found: list[str] = []
        for key, value in detail.items():
            label = f"Item {int(key) + 1}" if isinstance(key, int) or str(key).isdigit() else str(key)
            found += _messages(value, f"{where}, {label}" if where else label)
        return found
    if isinstance(detail, list):
        if any(isinstance(item, (dict, list)) for item in detail):
            return _messages({index: item for index, item in enumerate(detail) if item}, where)
        return [f"{where}: {item}" if where else str(item) for item in detail]
    return [f"{where}: {detail}" if where else str(detail)]


def _flatten(detail: dict) -> dict[str, list[str]]:
    """`{field: [message, ...]}` whatever the depth of the serializer's errors (lists, nested objects)."""
    return {str(key): _messages(value) for key, value in detail.items()}


def _error_type(exc: exceptions.APIException) -> str:
    if isinstance(exc, ApplicationError):
        return exc.error_type
    if isinstance(exc, exceptions.ValidationError):
        return "validation_error"
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    code = codes.get("code") if isinstance(codes, dict) else None
    if isinstance(code, str):
        return code
    if isinstance(exc.detail, dict) and isinstance(exc.detail.get("code"), str):
        return str(exc.detail["code"])
    return exc.default_code


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, reshaped; anything it does not know is left to the middleware (a JSON 500)."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    body: dict[str, Any] = {"error_type": _error_type(exc)}
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = "Invalid input."
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body["errors"] = _flatten(errors)
        first = next(iter(body["errors"].values()), None)
        if isinstance(first, list) and first and isinstance(first[0], str):
            body["detail"] = f"Invalid input: {first[0]}"
    else:
        detail = exc.detail
        if isinstance(detail, dict) and "detail" in detail:
            detail = detail["detail"]
        body["detail"] = str(detail) if not isinstance(detail, (dict, list)) else "The request could not be completed."
        if isinstance(exc, ApplicationError) and exc.errors:
            body["errors"] = exc.errors
    response.data = body
    return response
