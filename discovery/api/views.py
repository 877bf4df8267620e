"""Discovery's API: thin views over discovery.selectors and discovery.services."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.authentication import JWTAuthentication
from accounts.requests import signed_in_user
from marketplace.api.serializers import project_rows

from .. import reasons, selectors, services
from ..models import SavedSearch
from . import serializers as s

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


def _valid(serializer_class: type, request: Request, **kwargs: object) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema(tags=["discovery"], responses={200: s.RecommendedProjectSerializer(many=True), **ERRORS}, description=(
    "Open projects ranked for the signed-in freelancer, best first: `match_score` (0-100) adds up skill overlap "
    "weighted by each skill's rarity, how close the profile's words are to the project's, whether the budget "
    "pays the freelancer's rate, and the client's hires; `match_reasons` says why. Projects already proposed "
    "on are left out."))
class RecommendedProjectsView(generics.ListAPIView):
    serializer_class = s.RecommendedProjectSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.Match.objects.none()
        user = signed_in_user(self.request)
        if not user.is_freelancer:
            raise PermissionDenied("Recommended projects are for freelancers.")
        return selectors.recommended_for_freelancer(user)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        """The page written from `values()` rows as the project list writes them (`project_rows`), with no
        model instance or serializer field per row; `RecommendedProjectSerializer` stays as the schema."""
        matches = self.paginate_queryset(self.get_queryset())
        rows = selectors.project_rows_for_matches(list(matches or []))
        shown = project_rows([row for row, _ in rows], request)
        return self.get_paginated_response([
            {**project, "match_score": match.score, "match_reasons": reasons.for_freelancer(match.facts)}
            for project, (_, match) in zip(shown, rows, strict=True)])


@extend_schema(tags=["discovery"], responses={200: s.RecommendedFreelancerSerializer(many=True), **ERRORS},
               description="The freelancers who fit the project, best first (its owner only; others get 404).")
class RecommendedFreelancersView(generics.ListAPIView):
    serializer_class = s.RecommendedFreelancerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.Match.objects.none()
        project = selectors.project_owned_by(signed_in_user(self.request), self.kwargs["pk"])
        if project is None:
            raise NotFound()
        return selectors.recommended_for_project(project)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        matches = self.paginate_queryset(self.get_queryset())
        freelancers = selectors.freelancers_for_matches(list(matches or []))
        for freelancer in freelancers:
            freelancer.match_reasons = reasons.for_client(freelancer.match.facts)
        return self.get_paginated_response(self.get_serializer(freelancers, many=True).data)


class PriceGuidanceView(APIView):
    # Pages ask for it as the project form is filled in, with the session's cookie (a GET changes nothing).
    authentication_classes = [JWTAuthentication, SessionAuthentication]

    @extend_schema(tags=["discovery"], responses={200: s.PriceGuidanceSerializer, **ERRORS}, parameters=[
        OpenApiParameter("category", str, description="Category slug or name"),
        OpenApiParameter("skills", str, description="Comma-separated skill names; work needing any of them"),
        OpenApiParameter("budget_type", str, enum=["fixed", "hourly"]),
        OpenApiParameter("currency", str, description="Default usd")],
        description=("What similar work was paid: accepted bids, or the final amount of fixed-price contracts "
                     "that completed. `low`, `median` and `high` are the 25th, 50th and 75th percentiles "
                     "(continuous: interpolated between the nearest prices); all null when `sample_size` is 0."))
    def get(self, request: Request) -> Response:
        params = request.query_params
        skills = [name.strip() for name in (params.get("skills") or "").split(",") if name.strip()][:30]
        currency = (params.get("currency") or "usd").lower()[:3]
        guidance = selectors.price_guidance(category=(params.get("category") or "").strip()[:80], skills=skills,
                                            budget_type=params.get("budget_type") or "", currency=currency)
        return Response(s.PriceGuidanceSerializer(guidance).data)


@extend_schema(tags=["discovery"])
class SavedSearchListView(generics.ListCreateAPIView):
    serializer_class = s.SavedSearchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedSearch.objects.none()
        return selectors.saved_searches_of(signed_in_user(self.request))

    @extend_schema(request=s.SavedSearchInput, responses={201: s.SavedSearchSerializer, **ERRORS}, description=(
        "`alert`: `instant` (a notification, and an e-mail by your preferences, as soon as a matching project is "
        "posted), `daily` (one digest e-mail a day) or `off`."))
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = _valid(s.SavedSearchInput, request)
        search = services.saved_search_create(user=signed_in_user(request), name=data["name"], params=data["params"],
                                              alert=data["alert"])
        return Response(self.get_serializer(search).data, status=201)


@extend_schema(tags=["discovery"])
class SavedSearchDetailView(APIView):
    def _get(self, request: Request, pk: int) -> SavedSearch:
        search = selectors.saved_search_get(user=signed_in_user(request), pk=pk)
        if search is None:
            raise NotFound()
        return search

    @extend_schema(responses={200: s.SavedSearchSerializer, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.SavedSearchSerializer(self._get(request, pk)).data)

    @extend_schema(request=s.SavedSearchInput, responses={200: s.SavedSearchSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        search = self._get(request, pk)
        data = _valid(s.SavedSearchInput, request, partial=True)
        data = {key: value for key, value in data.items() if key in request.data}
        return Response(s.SavedSearchSerializer(services.saved_search_update(search=search, by=signed_in_user(request),
                                                                             data=data)).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        services.saved_search_delete(search=self._get(request, pk), by=signed_in_user(request))
        return Response(status=204)


@extend_schema(tags=["discovery"], auth=[], parameters=[OpenApiParameter("search", str, description=(
    "Skill names starting with, containing, or (from three letters) spelled nearly like this"))],
    description="Skill names for autocomplete: at most 10.")
class SkillListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.SkillSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.skills_matching(self.request.query_params.get("search") or "")

