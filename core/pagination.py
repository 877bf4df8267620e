from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator as DjangoPaginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination as _PageNumberPagination
from rest_framework.request import Request


class Paginator(DjangoPaginator):
    """Django's paginator, with the count taken from `count_of(object_list)` when one is given."""

    def __init__(self, object_list: Any, per_page: int, count_of: Callable[[Any], int] | None = None) -> None:
        super().__init__(object_list, per_page)
        self.count_of = count_of

    @cached_property
    def count(self) -> int:
        if self.count_of is not None:
            return self.count_of(self.object_list)
        return super().count


class PageNumberPagination(_PageNumberPagination):
    """`{"count", "next", "previous", "results"}` with `?page=` and `?page_size=` (at most 100).

    A view may define `page_count(queryset) -> int` to give the count a cheaper way than `COUNT(*)`.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list | None:
        self._count_of = getattr(view, "page_count", None)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list: Any, per_page: int) -> Paginator:  # type: ignore[override]
        return Paginator(object_list, per_page, getattr(self, "_count_of", None))
