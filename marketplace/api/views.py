"""The marketplace API: thin views over marketplace.services and marketplace.selectors."""

from typing import Protocol

from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.models import User, UserType
from accounts.requests import signed_in_user

from .. import search as project_search
from .. import selectors, services
from ..models import Attachment, Category, Invite, PortfolioItem, Project, Proposal
from . import serializers as s

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
          409: ErrorSerializer}


def _valid(serializer_class: type, request: Request, **kwargs: object) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _files(request: Request, *names: str) -> list:
    return [upload for name in names for upload in request.FILES.getlist(name)]


# --- projects -----------------------------------------------------------------------------------

PROJECT_FILTERS = [
    OpenApiParameter("status", str, enum=["draft", "open", "in_progress", "completed", "cancelled"]),
    OpenApiParameter("category", str, description="Category slug or name"),
    OpenApiParameter("skills", str, description="Comma-separated skill names; projects needing any of them"),
    OpenApiParameter("budget_min", str, description="Projects whose budget reaches at least this"),
    OpenApiParameter("budget_max", str, description="Projects whose budget starts at most at this"),
    OpenApiParameter("budget_type", str, enum=["fixed", "hourly"]),
    OpenApiParameter("search", str, description="Full-text search of title, skills and description"),
    OpenApiParameter("ordering", str, enum=["relevance", "newest", "oldest", "budget", "-budget", "deadline",
                                            "proposals", "-proposals"]),
    OpenApiParameter("mine", bool, description="Only the caller's own projects"),
    OpenApiParameter("client", int, description="Only this client's projects"),
    OpenApiParameter("featured", bool),
]


class ProjectListView(generics.ListCreateAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.ProjectSerializer

    def get_queryset(self):
        return selectors.project_filtered(user=self.request.user, params=self.request.query_params)

    def page_count(self, queryset: QuerySet | selectors.MergedIds) -> int:
        params = getattr(self, "search_params", None) or self.request.query_params
        return selectors.project_filtered_count(user=self.request.user, params=params, projects=queryset)

    @extend_schema(tags=["projects"], parameters=PROJECT_FILTERS, description=(
        "Newest first by default. `count` is exact, except that browsing with no filter counts the public "
        "projects as of up to a minute ago (plus the caller's own private ones), and a search by relevance ranks "
        "the newest "
        f"{selectors.SEARCH_CANDIDATES} matches (its `count` is at most that). A search that finds nothing is "
        "tried again with each misspelled word corrected (one typo: a letter changed, missing, added or two "
        "swapped); the answer then carries `did_you_mean`, the corrected search its results are for."))
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        # The page's ids first (an index scan of narrow rows), then those rows as dictionaries, written without
        # a serializer per row (`s.project_rows`).
        params: QueryDict = request.query_params
        # The paginator needs only count() and slices, which MergedIds has; the stubs ask for a Sequence.
        ids = self.paginate_queryset(selectors.project_ids(user=request.user, params=params))  # type: ignore[arg-type]
        did_you_mean = None
        if not ids and (search := (params.get("search") or "").strip()) and (
                did_you_mean := project_search.did_you_mean(search[:200])):
            # Nothing matched the words as typed: the nearest spelling's matches, and the spelling said.
            params = params.copy()
            params["search"] = did_you_mean
            self.search_params = params
            ids = self.paginate_queryset(selectors.project_ids(user=request.user, params=params))  # type: ignore[arg-type]
        rows = selectors.project_rows_by_ids(list(ids or []))
        response = self.get_paginated_response(s.project_rows(rows, request))
        if did_you_mean:
            response.data["did_you_mean"] = did_you_mean
        return response

    @extend_schema(tags=["projects"], request=s.ProjectInput, responses={201: s.ProjectDetailSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        created = services.project_create(client=signed_in_user(request), data=_valid(s.ProjectInput, request))
        project = selectors.project_get(user=signed_in_user(request), pk=created.pk)
        return Response(s.ProjectDetailSerializer(project, context={"request": request}).data, status=201)


class ProjectDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    def _get(self, request: Request, pk: int) -> Project:
        project = selectors.project_get(user=request.user, pk=pk)
        if project is None:
            raise NotFound()
        return project

    def _answer(self, request: Request, pk: int) -> Response:
        return Response(s.ProjectDetailSerializer(self._get(request, pk), context={"request": request}).data)

    @extend_schema(tags=["projects"], responses={200: s.ProjectDetailSerializer, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return self._answer(request, pk)

    @extend_schema(tags=["projects"], request=s.ProjectInput, responses={200: s.ProjectDetailSerializer, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        services.project_update(project=self._get(request, pk), by=signed_in_user(request),
                                data=_valid(s.ProjectInput, request))
        return self._answer(request, pk)

    @extend_schema(tags=["projects"], request=s.ProjectInput, responses={200: s.ProjectDetailSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(s.ProjectInput, request, partial=True)
        services.project_update(project=self._get(request, pk), by=signed_in_user(request), data=data)
        return self._answer(request, pk)

    @extend_schema(tags=["projects"], responses={204: None, 200: s.ProjectDetailSerializer, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        deleted = services.project_delete(project=self._get(request, pk), by=signed_in_user(request))
        if deleted:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._answer(request, pk)  # an open project is cancelled, not deleted


@extend_schema(tags=["projects"], request={"multipart/form-data": {"type": "object", "properties": {
    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    responses={201: s.AttachmentSerializer(many=True), **ERRORS})
class ProjectAttachmentsView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        project = selectors.project_get(user=user, pk=pk)
        if project is None or project.client_id != user.pk:
            raise NotFound()
        created = services.attachments_add(uploaded_by=user, uploads=_files(request, "files", "file"),
                                           project=project)
        return Response(s.AttachmentSerializer(created, many=True).data, status=201)


@extend_schema(tags=["proposals"], request={"multipart/form-data": {"type": "object", "properties": {
    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    responses={201: s.AttachmentSerializer(many=True), **ERRORS})
class ProposalAttachmentsView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        proposal = selectors.proposals_visible_to(user).filter(pk=pk).first()
        if proposal is None or proposal.freelancer_id != user.pk:
            raise NotFound()
        created = services.attachments_add(uploaded_by=user, uploads=_files(request, "files", "file"),
                                           proposal=proposal)
        return Response(s.AttachmentSerializer(created, many=True).data, status=201)


def attachment_visible(attachment: Attachment, user: User) -> bool:
    if attachment.project_id:
        return selectors.projects_visible_to(user).filter(pk=attachment.project_id).exists()
    return (attachment.proposal_id is not None
            and selectors.proposals_visible_to(user).filter(pk=attachment.proposal_id).exists())


class AttachmentView(APIView):
    """A private file: served only to those who may see its project or proposal (a short-lived link on S3)."""

    @extend_schema(tags=["files"], responses={(200, "application/octet-stream"): OpenApiResponse(
        description="The file, or a redirect to a short-lived signed link"), 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        attachment = Attachment.objects.filter(pk=pk).first()
        if attachment is None or not attachment_visible(attachment, signed_in_user(request)):
            raise NotFound()
        return attachment_response(attachment)

    @extend_schema(tags=["files"], responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        attachment = Attachment.objects.filter(pk=pk, uploaded_by=signed_in_user(request)).first()
        if attachment is None:
            raise NotFound()
        services.attachment_delete(attachment=attachment, by=signed_in_user(request))
        return Response(status=204)


class StoredFile(Protocol):
    """What a download needs of a stored file: a project's attachment, a delivered file, dispute evidence."""

    @property
    def file(self) -> FieldFile: ...

    @property
    def original_name(self) -> str: ...

    @property
    def content_type(self) -> str: ...


def attachment_response(attachment: StoredFile) -> HttpResponseBase:
    storage = attachment.file.storage
    if hasattr(storage, "bucket_name"):  # S3: hand out a signed link that expires in minutes
        # S3's storage takes the response headers and the link's lifetime; the stubs know only `url(name)`.
        url = storage.url(attachment.file.name, parameters={  # type: ignore[call-arg]
            "ResponseContentDisposition": f'attachment; filename="{attachment.original_name}"'}, expire=300)
        return HttpResponseRedirect(url)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- proposals ----------------------------------------------------------------------------------


class ProposalListView(generics.ListCreateAPIView):
    serializer_class = s.ProposalSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Proposal.objects.none()
        return selectors.proposal_list(user=signed_in_user(self.request), params=self.request.query_params)

    @extend_schema(tags=["proposals"], parameters=[
        OpenApiParameter("project", int), OpenApiParameter("status", str),
        OpenApiParameter("ordering", str, enum=["newest", "bid", "-bid", "duration"])])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["proposals"], request=s.ProposalInput, responses={201: s.ProposalSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = _valid(s.ProposalInput, request)
        project = selectors.projects_visible_to(signed_in_user(request)).filter(pk=data.pop("project_id")).first()
        if project is None:
            return Response({"detail": "Invalid input: there is no such project.", "error_type": "validation_error",
                             "errors": {"project_id": ["There is no such project."]}}, status=400)
        proposal = services.proposal_submit(freelancer=signed_in_user(request), project=project, data=data)
        return Response(self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data, status=201)


class ProposalDetailView(APIView):
    def _get(self, request: Request, pk: int) -> Proposal:
        proposal = selectors.proposals_visible_to(signed_in_user(request)).filter(pk=pk).first()
        if proposal is None:
            raise NotFound()
        return proposal

    def _answer(self, request: Request, pk: int) -> Response:
        return Response(s.ProposalSerializer(self._get(request, pk)).data)

    @extend_schema(tags=["proposals"], responses={200: s.ProposalSerializer, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return self._answer(request, pk)

    @extend_schema(tags=["proposals"], request=s.ProposalInput, responses={200: s.ProposalSerializer, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        services.proposal_update(proposal=self._get(request, pk), by=signed_in_user(request),
                                 data=_valid(s.ProposalInput, request))
        return self._answer(request, pk)

    @extend_schema(tags=["proposals"], request=s.ProposalInput, responses={200: s.ProposalSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(s.ProposalInput, request, partial=True)
        services.proposal_update(proposal=self._get(request, pk), by=signed_in_user(request), data=data)
        return self._answer(request, pk)

    @extend_schema(tags=["proposals"], responses={200: s.ProposalSerializer, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        services.proposal_delete(proposal=self._get(request, pk), by=signed_in_user(request))
        return self._answer(request, pk)


def _proposal_action(action_name: str, service: object, doc: str) -> type[APIView]:
    @extend_schema(tags=["proposals"], request=None, responses={200: s.ProposalSerializer, **ERRORS},
                   description=doc)
    class ActionView(APIView):
        def post(self, request: Request, pk: int) -> Response:
            user = signed_in_user(request)
            proposal = selectors.proposals_visible_to(user).filter(pk=pk).first()
            if proposal is None:
                raise NotFound()
            service(proposal=proposal, by=user)  # type: ignore[operator]
            return Response(s.ProposalSerializer(selectors.proposals_visible_to(user).get(pk=pk)).data)

    ActionView.__name__ = f"Proposal{action_name.capitalize()}View"
    return ActionView


ProposalRejectView = _proposal_action("reject", services.proposal_reject, "The client turns the proposal down.")
ProposalWithdrawView = _proposal_action("withdraw", services.proposal_withdraw, "The freelancer takes it back.")
ProposalShortlistView = _proposal_action("shortlist", services.proposal_shortlist, "The client shortlists it.")


# --- invites ------------------------------------------------------------------------------------


class InviteListView(generics.ListCreateAPIView):
    """Freelancers see invites they received; clients those they sent."""

    serializer_class = s.InviteSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invite.objects.none()
        user = signed_in_user(self.request)
        invites = Invite.objects.select_related("project", "project__client", "freelancer")
        mine = invites.filter(freelancer=user) if user.user_type == UserType.FREELANCER else invites.filter(
            project__client=user)
        if project := self.request.query_params.get("project"):
            mine = mine.filter(project_id=project) if project.isdigit() else mine.none()
        return mine.order_by("-created_at", "-id")

    @extend_schema(tags=["invites"], parameters=[OpenApiParameter("project", int)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["invites"], request=s.InviteInput, responses={201: s.InviteSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = _valid(s.InviteInput, request)
        project = Project.objects.filter(pk=data["project_id"], client=signed_in_user(request)).first()
        freelancer = User.objects.filter(pk=data["freelancer_id"]).first()
        if project is None:
            return Response({"detail": "Invalid input: there is no such project.", "error_type": "validation_error",
                             "errors": {"project_id": ["There is no such project."]}}, status=400)
        if freelancer is None:
            return Response({"detail": "Invalid input: there is no such freelancer.",
                             "error_type": "validation_error",
                             "errors": {"freelancer_id": ["There is no such freelancer."]}}, status=400)
        invite = services.invite_create(client=signed_in_user(request), project=project, freelancer=freelancer,
                                        message=data["message"])
        return Response(self.get_serializer(invite).data, status=201)


@extend_schema(tags=["invites"], request=None, responses={200: s.InviteSerializer, **ERRORS})
class InviteDeclineView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        invite = get_object_or_404(Invite.objects.select_related("project", "project__client", "freelancer"),
                                   pk=pk, freelancer=signed_in_user(request))
        return Response(s.InviteSerializer(services.invite_decline(invite=invite, by=signed_in_user(request))).data)


# --- portfolio ----------------------------------------------------------------------------------


class PortfolioListView(generics.ListCreateAPIView):
    """`?freelancer=<id>`: anyone may see a freelancer's portfolio; without it, the caller's own."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.PortfolioItemSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        items = PortfolioItem.objects.prefetch_related("images").filter(freelancer__is_active=True)
        freelancer = self.request.query_params.get("freelancer")
        if freelancer:
            return items.filter(freelancer_id=int(freelancer)) if freelancer.isdigit() else items.none()
        if not self.request.user.is_authenticated:
            return items.none()
        return items.filter(freelancer=self.request.user)

    @extend_schema(tags=["portfolio"], parameters=[OpenApiParameter("freelancer", int)], auth=[])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["portfolio"], request={"multipart/form-data": s.PortfolioInput,
                                                "application/json": s.PortfolioInput},
                   responses={201: s.PortfolioItemSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = _valid(s.PortfolioInput, request)
        data.pop("images", None)
        item = services.portfolio_item_create(freelancer=signed_in_user(request), data=data,
                                              images=_files(request, "images"))
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data, status=201)


class PortfolioDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def _item(self, pk: int) -> PortfolioItem:
        return get_object_or_404(PortfolioItem.objects.prefetch_related("images"), pk=pk, freelancer__is_active=True)

    def _mine(self, request: Request, pk: int) -> PortfolioItem:
        return get_object_or_404(PortfolioItem, pk=pk, freelancer=signed_in_user(request))

    @extend_schema(tags=["portfolio"], responses={200: s.PortfolioItemSerializer, 404: ErrorSerializer}, auth=[])
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PortfolioItemSerializer(self._item(pk), context={"request": request}).data)

    @extend_schema(tags=["portfolio"], request={"multipart/form-data": s.PortfolioInput,
                                                "application/json": s.PortfolioInput},
                   responses={200: s.PortfolioItemSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(s.PortfolioInput, request, partial=True)
        data.pop("images", None)
        services.portfolio_item_update(item=self._mine(request, pk), by=signed_in_user(request), data=data,
                                       images=_files(request, "images"))
        return self.get(request, pk)

    @extend_schema(tags=["portfolio"], request={"multipart/form-data": s.PortfolioInput,
                                                "application/json": s.PortfolioInput},
                   responses={200: s.PortfolioItemSerializer, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        data = _valid(s.PortfolioInput, request)
        data.pop("images", None)
        services.portfolio_item_update(item=self._mine(request, pk), by=signed_in_user(request), data=data,
                                       images=_files(request, "images"))
        return self.get(request, pk)

    @extend_schema(tags=["portfolio"], responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        services.portfolio_item_delete(item=self._mine(request, pk), by=signed_in_user(request))
        return Response(status=204)


# --- people and categories ----------------------------------------------------------------------


class FreelancerListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.FreelancerSerializer

    def get_queryset(self):
        return selectors.freelancer_search(self.request.query_params).only(*selectors.FREELANCER_LIST_FIELDS)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        # The page's ids (the filters vary, so built each time), then its rows as dictionaries with their figures
        # and their skills, both compiled once per process, written without a serializer per row
        # (`s.freelancer_rows`).
        ids = self.paginate_queryset(self.get_queryset().prefetch_related(None).values_list("pk", flat=True))
        page = selectors.freelancer_rows_by_ids(list(ids or []))
        skills = selectors.skill_names_of([row["id"] for row in page])
        return self.get_paginated_response(s.freelancer_rows(page, skills, request))

    @extend_schema(tags=["freelancers"], auth=[], parameters=[
        OpenApiParameter("search", str, description="Name, headline, bio and skills"),
        OpenApiParameter("skills", str, description="Comma-separated; freelancers with all of them"),
        OpenApiParameter("min_rate", str), OpenApiParameter("max_rate", str), OpenApiParameter("min_rating", str),
        OpenApiParameter("country", str, description="Two-letter code"), OpenApiParameter("available", bool),
        OpenApiParameter("ordering", str, enum=["relevance", "rating", "-rating", "rate", "-rate", "newest"])])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["freelancers"], auth=[], responses={200: s.FreelancerDetailSerializer, 404: ErrorSerializer})
class FreelancerDetailView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, pk: int) -> Response:
        freelancer = selectors.freelancer_get(pk)
        if freelancer is None:
            raise NotFound()
        return Response(s.FreelancerDetailSerializer(freelancer, context={"request": request}).data)


@extend_schema(tags=["projects"], auth=[])
class CategoryListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.CategorySerializer
    queryset = Category.objects.order_by("name")
    pagination_class = None

