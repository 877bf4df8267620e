"""The staff analytics read the read replica when one is configured (`DATABASE_REPLICA_URL`, docs/deploy.md).

Signing the person in and checking they are staff read the primary, so a suspension or a sign-out takes
effect at once; the figures are read from the replica, which may be a few seconds behind.
"""

from collections.abc import Callable
from contextlib import ExitStack
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from core.db_routers import analytics_reads


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For page views, placed under the check that the person is staff: the view reads the replica."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with analytics_reads():
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaReadsMixin:
    """For API views: once authentication, permissions and throttles have passed (on the primary), the
    handler reads the replica until the view returns or fails."""

    _replica_reads: ExitStack | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        with ExitStack() as stack:
            self._replica_reads = stack
            try:
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            finally:
                self._replica_reads = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if self._replica_reads is not None:
            self._replica_reads.enter_context(analytics_reads())
