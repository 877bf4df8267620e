"""The services API: thin views over gigs.services and gigs.selectors."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.requests import signed_in_user
from core.pagination import PageNumberPagination

from .. import selectors, services
from ..models import Service
from . import serializers as s

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
          409: ErrorSerializer}

SERVICE_FILTERS = [
    OpenApiParameter("search", str, description="Full-text search of title, skills and description"),
    OpenApiParameter("category", str, description="Category slug or name"),
    OpenApiParameter("skills", str, description="Comma-separated skill names; services with any of them"),
    OpenApiParameter("min_price", str, description="The cheapest package costs at least this"),
    OpenApiParameter("max_price", str, description="The cheapest package costs at most this"),
    OpenApiParameter("delivery_days", int, description="A package is delivered within this many days"),
    OpenApiParameter("seller", str, description="A seller's id, or `me` for the caller's own services in every "
                                                "status"),
    OpenApiParameter("ordering", str, enum=list(selectors.ORDERINGS),
                     description="Best match first when searching, else newest first"),
]


def _valid(serializer_class: type, request: Request, **kwargs: Any) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class FacetedPagination(PageNumberPagination):
    """The usual page, `{"count", "next", "previous", "results"}`, with the list's facet counts beside it."""

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        count = {"type": "integer"}
        paginated["properties"]["facets"] = {"type": "object", "properties": {
            "categories": {"type": "array", "items": {"type": "object", "properties": {
                "slug": {"type": "string"}, "name": {"type": "string"}, "count": count}}},
            "delivery_days": {"type": "array", "items": {"type": "object", "properties": {
                "delivery_days": {"type": "integer"}, "count": count}}},
            "price": {"type": "array", "items": {"type": "object", "properties": {
                "min_price": {"type": "string", "nullable": True}, "max_price": {"type": "string", "nullable": True},
                "count": count}}},
        }}
        return paginated


class ServiceListView(generics.ListCreateAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.ServiceSerializer
    pagination_class = FacetedPagination

    def get_queryset(self) -> QuerySet[Service]:
        if getattr(self, "swagger_fake_view", False):
            return Service.objects.none()
        return selectors.service_filtered(user=self.request.user, params=self.request.query_params)

    def page_count(self, queryset: QuerySet[Service]) -> int:
        return selectors.service_count(user=self.request.user, params=self.request.query_params, services=queryset)

    @extend_schema(tags=["services"], operation_id="services_list", parameters=SERVICE_FILTERS, description=(
        "Active services (with `seller=me`, the caller's own in every status). `facets` counts the services per "
        "category, per delivery time and per price range; each facet among what the other filters select. "
        f"A search by relevance ranks the newest {selectors.SEARCH_CANDIDATES} matches (its `count` is at most "
        "that). Browsing with no filter reads the `count` and facet counts kept for up to a minute (or until a "
        "service changes)."))
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        # The page's ids, then its rows as `values()` dictionaries with their skills (compiled once), written
        # without a serializer per row (`s.service_rows`, exactly what `ServiceSerializer` writes).
        page = self.paginate_queryset(self.get_queryset().values_list("id", flat=True))
        rows = selectors.service_rows_by_ids(list(page or []))
        response = self.get_paginated_response(s.service_rows(rows, request))
        response.data["facets"] = selectors.service_facets(user=request.user, params=request.query_params)
        return response

    @extend_schema(tags=["services"], request=s.ServiceInput, responses={201: s.ServiceDetailSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        service = services.service_create(seller=signed_in_user(request), data=_valid(s.ServiceInput, request))
        return Response(s.ServiceDetailSerializer(selectors.service_get(user=request.user, pk=service.pk)).data,
                        status=201)


class ServiceDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    def _get(self, request: Request, pk: int) -> Service:
        service = selectors.service_get(user=request.user, pk=pk)
        if service is None:
            raise NotFound()
        return service

    def _answer(self, request: Request, pk: int) -> Response:
        return Response(s.ServiceDetailSerializer(self._get(request, pk)).data)

    @extend_schema(tags=["services"], responses={200: s.ServiceDetailSerializer, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return self._answer(request, pk)

    @extend_schema(tags=["services"], request=s.ServiceInput, responses={200: s.ServiceDetailSerializer, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        data = _valid(s.ServiceInput, request)
        data.setdefault("packages", [])
        data.setdefault("extras", [])
        services.service_update(service=self._get(request, pk), by=signed_in_user(request), data=data)
        return self._answer(request, pk)

    @extend_schema(tags=["services"], request=s.ServiceInput, responses={200: s.ServiceDetailSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(s.ServiceInput, request, partial=True)
        services.service_update(service=self._get(request, pk), by=signed_in_user(request), data=data)
        return self._answer(request, pk)

    @extend_schema(tags=["services"], responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        services.service_delete(service=self._get(request, pk), by=signed_in_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["services"], request={"multipart/form-data": {"type": "object", "properties": {
    "images": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    responses={201: s.ImageSerializer(many=True), **ERRORS},
    description=f"Adds pictures to the gallery (JPEG, PNG, WebP or GIF; at most {services.MAX_IMAGES} a service). "
                "Each is checked by its content and re-encoded; one bad picture rejects the whole upload.")
class ServiceImagesView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        service = selectors.service_get(user=request.user, pk=pk)
        if service is None or service.seller_id != request.user.pk:
            raise NotFound()
        uploads = [upload for name in ("images", "image") for upload in request.FILES.getlist(name)]
        created = services.service_images_add(service=service, by=request.user, uploads=uploads)
        return Response(s.ImageSerializer(created, many=True).data, status=201)
