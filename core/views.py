"""Error pages for people (JSON for `/api/`)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .middleware import json_error


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(404, "Not found.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(500, "Something went wrong on our side. It has been logged.", "server_error")
    return render(request, "500.html", status=500)
