"""`make run` runs with DEBUG on, where Django answers a missing page with its technical page (made for
developers, unreadable on a phone). People trying the product get the product's own "Page not found" page
instead, as in production; the technical reason is kept in a note for developers."""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, get_resolver


class ProductNotFoundPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def _is_page(request: HttpRequest) -> bool:
        return not request.path_info.startswith("/api/")

    def _not_found(self, request: HttpRequest, reason: str) -> HttpResponse:
        return render(request, "404.html", {"developer_note": reason}, status=404)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._is_page(request):
            try:
                get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
            except Resolver404:
                # CommonMiddleware, outside this one, still adds a missing slash when that finds the page.
                return self._not_found(request, f"No address matches {request.path_info}.")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404) and self._is_page(request):
            return self._not_found(request, str(exception) or "The view raised Http404.")
        return None
