"""Error pages for people (JSON for `/api/`)."""

import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .middleware import json_error, unavailable_response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(404, "Not found.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is still at hand: an error raised outside the
    # view (a middleware reading the session while the database restarts) gets the same 503 as one inside.
    exception = sys.exc_info()[1]
    if isinstance(exception, Exception) and (unavailable := unavailable_response(request, exception)) is not None:
        return unavailable
    if request.path.startswith("/api/"):
        return json_error(500, "Something went wrong on our side. It has been logged.", "server_error")
    return render(request, "500.html", status=500)
