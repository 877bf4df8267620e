"""Contracts, milestones, disputes, accepting a proposal and reviews: thin views over this app's services."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError
from marketplace import selectors as marketplace_selectors
from marketplace.api import serializers as marketplace_serializers

from .. import disputes, escrow, selectors, services
from ..models import Contract, ContractStatus, Dispute, Milestone, Submission
from ..reviews import review_create, review_writer
from . import serializers as s

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 402: ErrorSerializer, 403: ErrorSerializer,
          404: ErrorSerializer, 409: ErrorSerializer}


def _valid(serializer_class: type, request: Request, **kwargs: object) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _contract(request: Request, pk: int) -> Contract:
    contract = selectors.contracts_for(signed_in_user(request)).filter(pk=pk).first()
    if contract is None:
        raise NotFound()
    return contract


def milestones_visible_to(user: object):
    milestones = Milestone.objects.select_related("contract", "contract__client", "contract__freelancer")
    milestones = milestones.prefetch_related(Prefetch("submissions", Submission.objects.prefetch_related("files")),
                                             "disputes")
    if getattr(user, "is_staff", False):
        return milestones
    return milestones.filter(Q(contract__client=user) | Q(contract__freelancer=user))


def _milestone(request: Request, pk: int) -> Milestone:
    milestone = milestones_visible_to(signed_in_user(request)).filter(pk=pk).first()
    if milestone is None:
        raise NotFound()
    return milestone


def _milestone_answer(request: Request, pk: int) -> Response:
    return Response(s.MilestoneSerializer(_milestone(request, pk)).data)


class ContractListView(generics.ListCreateAPIView):
    """The caller's contracts, as client or freelancer. POST with a proposal_id accepts that proposal."""

    serializer_class = s.ContractSerializer

    def get_queryset(self):
        contracts = selectors.contracts_for(signed_in_user(self.request))
        status = self.request.query_params.get("status")
        if status in ContractStatus.values:
            contracts = contracts.filter(status=status)
        return contracts.order_by("-created_at", "-id")

    @extend_schema(tags=["contracts"], parameters=[OpenApiParameter("status", str, enum=ContractStatus.values)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["contracts"], request=s.ContractCreateInput, responses={201: s.ContractSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        from marketplace.selectors import proposals_visible_to

        data = _valid(s.ContractCreateInput, request)
        proposal = proposals_visible_to(signed_in_user(request)).filter(pk=data["proposal_id"]).first()
        if proposal is None:
            raise ApplicationError(gettext("Invalid input: there is no such proposal."), code="validation_error",
                                   errors={"proposal_id": [gettext("There is no such proposal.")]})
        contract = services.proposal_accept(proposal=proposal, by=signed_in_user(request))
        return Response(self.get_serializer(selectors.contracts_for(signed_in_user(request)).get(pk=contract.pk)).data,
                        status=201)


class ContractDetailView(APIView):
    @extend_schema(tags=["contracts"], responses={200: s.ContractSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ContractSerializer(_contract(request, pk)).data)

    @extend_schema(tags=["contracts"], request=s.ContractInput, responses={200: s.ContractSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        services.contract_update(contract=_contract(request, pk), by=signed_in_user(request),
                                 data=_valid(s.ContractInput, request, partial=True))
        return Response(s.ContractSerializer(_contract(request, pk)).data)

    @extend_schema(tags=["contracts"], request=s.ContractInput, responses={200: s.ContractSerializer, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        return self.patch(request, pk)


@extend_schema(tags=["contracts"], request=None, responses={200: s.ContractSerializer, **ERRORS})
class ContractCompleteView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        services.contract_complete(contract=_contract(request, pk), by=signed_in_user(request))
        return Response(s.ContractSerializer(_contract(request, pk)).data)


class MilestoneListView(generics.ListCreateAPIView):
    serializer_class = s.MilestoneSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        contract = _contract(self.request, self.kwargs["pk"])
        return milestones_visible_to(signed_in_user(self.request)).filter(contract=contract).order_by("position", "id")

    @extend_schema(tags=["milestones"])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["milestones"], request=s.MilestoneInput, responses={201: s.MilestoneSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        contract = _contract(request, self.kwargs["pk"])
        milestone = escrow.milestone_create(contract=contract, by=signed_in_user(request),
                                            data=_valid(s.MilestoneInput, request))
        return Response(s.MilestoneSerializer(_milestone(request, milestone.pk)).data, status=201)


@extend_schema(tags=["milestones"], responses={200: s.MilestoneSerializer, **ERRORS})
class MilestoneDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return _milestone_answer(request, pk)


FUND_MESSAGES = {
    "succeeded": gettext_lazy("Paid into escrow. The freelancer can start."),
    "requires_action": gettext_lazy("Your bank asks you to confirm this payment. Complete the check to fund the "
                                    "milestone."),
    "requires_payment_method": gettext_lazy("Enter card details to fund the milestone."),
    "requires_confirmation": gettext_lazy("Confirm the payment to fund the milestone."),
    "processing": gettext_lazy("The payment is processing; the milestone is funded when it completes."),
}


@extend_schema(tags=["milestones"], request=s.FundInput, responses={200: s.FundOutput, **ERRORS},
               description="The client pays the milestone into escrow. With `payment_method` (e.g. pm_card_visa) "
                           "the card is charged now; without it the answer carries the PaymentIntent's "
                           "client_secret for Stripe Elements. A declined card answers 402 and leaves the "
                           "milestone unfunded; 3-D Secure answers status requires_action.")
class MilestoneFundView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(s.FundInput, request)
        result = escrow.milestone_fund(milestone=_milestone(request, pk), by=signed_in_user(request),
                                       payment_method=data.get("payment_method") or None)
        return Response({
            "milestone": s.MilestoneSerializer(_milestone(request, pk)).data,
            "status": result.status,
            "client_secret": result.client_secret,
            "detail": str(FUND_MESSAGES.get(result.status) or gettext("The payment is not complete yet.")),
        })


@extend_schema(tags=["milestones"], request={"multipart/form-data": {"type": "object", "properties": {
    "note": {"type": "string"}, "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}},
    "application/json": s.NoteInput}, responses={200: s.MilestoneSerializer, **ERRORS})
class MilestoneSubmitView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        note = _valid(s.NoteInput, request)["note"]
        files = request.FILES.getlist("files") if hasattr(request, "FILES") else []
        escrow.milestone_submit(milestone=_milestone(request, pk), by=signed_in_user(request), note=note, files=files)
        return _milestone_answer(request, pk)


def _note_action(name: str, call: object, doc: str) -> type[APIView]:
    @extend_schema(tags=["milestones"], request=s.NoteInput, responses={200: s.MilestoneSerializer, **ERRORS},
                   description=doc)
    class NoteActionView(APIView):
        def post(self, request: Request, pk: int) -> Response:
            note = _valid(s.NoteInput, request)["note"]
            call(milestone=_milestone(request, pk), by=signed_in_user(request), note=note)  # type: ignore[operator]
            return _milestone_answer(request, pk)

    NoteActionView.__name__ = name
    return NoteActionView


MilestoneRequestChangesView = _note_action("MilestoneRequestChangesView", escrow.milestone_request_changes,
                                           "The client sends submitted work back; the milestone stays funded.")
MilestoneRefundView = _note_action("MilestoneRefundView", escrow.milestone_refund,
                                   "The freelancer returns a funded milestone to the client's card.")


@extend_schema(tags=["milestones"], request=None, responses={200: s.MilestoneSerializer, **ERRORS},
               description="The client approves: escrow is released to the freelancer less the platform fee.")
class MilestoneApproveView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        escrow.milestone_approve(milestone=_milestone(request, pk), by=signed_in_user(request))
        return _milestone_answer(request, pk)


@extend_schema(tags=["disputes"], request={"application/json": s.DisputeInput, "multipart/form-data": s.DisputeInput},
               responses={201: s.DisputeSerializer, **ERRORS})
class ContractDisputeView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        contract = _contract(request, pk)
        data = _valid(s.DisputeInput, request)
        milestone = contract.milestones.filter(pk=data["milestone_id"]).first()
        if milestone is None:
            raise ApplicationError(gettext("Invalid input: there is no such milestone on this contract."),
                                   code="validation_error",
                                   errors={"milestone_id": [gettext("No such milestone here.")]})
        dispute = escrow.dispute_open(contract=contract, milestone=milestone, by=signed_in_user(request),
                                      reason=data["reason"], evidence=data.get("evidence"))
        return Response(s.DisputeSerializer(dispute).data, status=201)


def disputes_visible_to(user: object):
    disputes = Dispute.objects.select_related("contract", "milestone")
    if getattr(user, "is_staff", False):
        return disputes
    return disputes.filter(Q(contract__client=user) | Q(contract__freelancer=user))


class DisputeListView(generics.ListAPIView):
    """The caller's disputes (staff: all). `?status=open` for the ones waiting."""

    serializer_class = s.DisputeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dispute.objects.none()
        disputes = disputes_visible_to(signed_in_user(self.request))
        if self.request.query_params.get("status") in Dispute.Status.values:
            disputes = disputes.filter(status=self.request.query_params["status"])
        return disputes.order_by("-created_at", "-id")

    @extend_schema(tags=["disputes"], parameters=[OpenApiParameter("status", str, enum=Dispute.Status.values)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["disputes"], responses={200: s.DisputeThreadSerializer, **ERRORS},
               description="The dispute with its thread: both parties' answers and staff's notes, with their files.")
class DisputeDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        dispute = disputes_visible_to(signed_in_user(request)).prefetch_related("messages").filter(pk=pk).first()
        if dispute is None:
            raise NotFound()
        return Response(s.DisputeThreadSerializer(dispute).data)


@extend_schema(tags=["disputes"],
               request={"application/json": s.DisputeMessageInput, "multipart/form-data": s.DisputeMessageInput},
               responses={201: s.DisputeMessageSerializer, **ERRORS},
               description="Either party answers an open dispute (with an optional evidence file), or staff add a "
                           "note. 409 once the dispute is resolved or withdrawn.")
class DisputeMessagesView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        dispute = disputes_visible_to(signed_in_user(request)).filter(pk=pk).first()
        if dispute is None:
            raise NotFound()
        data = _valid(s.DisputeMessageInput, request)
        message = disputes.dispute_message_add(dispute=dispute, by=signed_in_user(request), body=data["body"],
                                               evidence=data.get("evidence"))
        return Response(s.DisputeMessageSerializer(message).data, status=201)


@extend_schema(tags=["disputes"], request=s.ResolveInput, responses={200: s.DisputeSerializer, **ERRORS},
               description="Staff only: release to the freelancer, refund to the client, or split.")
class DisputeResolveView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        dispute = disputes_visible_to(signed_in_user(request)).filter(pk=pk).first()
        if dispute is None or not signed_in_user(request).is_staff:
            raise NotFound()
        data = _valid(s.ResolveInput, request)
        dispute = escrow.dispute_resolve(dispute=dispute, by=signed_in_user(request), resolution=data["resolution"],
                                         freelancer_amount=data.get("freelancer_amount"), note=data["note"])
        return Response(s.DisputeSerializer(dispute).data)


@extend_schema(tags=["disputes"], request=None, responses={200: s.DisputeSerializer, **ERRORS},
               description="The party who opened the dispute takes it back: the milestone returns to the status it "
                           "had before (submitted work gets a new review window) and its money stays in escrow. "
                           "403 for the other party, 409 once the dispute is resolved or withdrawn.")
class DisputeWithdrawView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        dispute = disputes_visible_to(signed_in_user(request)).filter(pk=pk).first()
        if dispute is None:
            raise NotFound()
        dispute = escrow.dispute_withdraw(dispute=dispute, by=signed_in_user(request))
        return Response(s.DisputeSerializer(dispute).data)


# --- accepting a proposal and reviewing: the acts of contracting --------------------------------

# The answers these two routes have always documented (they were first served with the marketplace's routes).
CONTRACTING_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
                      409: ErrorSerializer}


@extend_schema(tags=["proposals"], request=None, responses={201: s.ContractSerializer, **CONTRACTING_ERRORS},
               description="The project's owner accepts: the proposal is accepted, the others rejected, the project "
                           "in progress and a contract created, in one transaction. 409 if the project already has "
                           "a contract.")
class ProposalAcceptView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        proposal = marketplace_selectors.proposals_visible_to(signed_in_user(request)).filter(pk=pk).first()
        if proposal is None:
            raise NotFound()
        contract = services.proposal_accept(proposal=proposal, by=signed_in_user(request))
        return Response(s.ContractSerializer(selectors.contracts_for(signed_in_user(request)).get(pk=contract.pk)).data,
                        status=201)


class ReviewListView(generics.ListCreateAPIView):
    """Reviews anyone may read (`?user=<id>` for one person's); parties of a completed contract write one each."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = marketplace_serializers.ReviewSerializer

    def get_queryset(self):
        params = self.request.query_params
        user_id = params.get("user")
        user = self.request.user  # anyone may read: the anonymous user sees what is public
        reviews = marketplace_selectors.reviews_for(
            reviewee_id=int(user_id) if user_id and user_id.isdigit() else None,
            viewer=user if user.is_authenticated else None,
        )
        if user_id and not user_id.isdigit():
            return reviews.none()
        if contract := params.get("contract"):
            reviews = reviews.filter(contract_id=contract) if contract.isdigit() else reviews.none()
        return reviews

    @extend_schema(tags=["reviews"], parameters=[OpenApiParameter("user", int), OpenApiParameter("contract", int)],
                   auth=[])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["reviews"], request=s.ReviewInput,
                   responses={201: marketplace_serializers.ReviewSerializer, **CONTRACTING_ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = _valid(s.ReviewInput, request)
        writer = review_writer("order_id") if "order_id" in data else None
        if writer is not None:
            review = writer(order_id=data["order_id"], reviewer=signed_in_user(request), rating=data["rating"],
                            comment=data["comment"])
            review = marketplace_selectors.reviews_for(viewer=signed_in_user(request)).get(pk=review.pk)
            return Response(self.get_serializer(review).data, status=201)
        if "contract_id" not in data:
            return Response({"detail": "Invalid input: there is no such order.", "error_type": "validation_error",
                             "errors": {"order_id": ["There is no such order."]}}, status=400)
        contract = selectors.contracts_for(signed_in_user(request)).filter(pk=data["contract_id"]).first()
        if contract is None:
            return Response({"detail": "Invalid input: there is no such contract.", "error_type": "validation_error",
                             "errors": {"contract_id": ["There is no such contract."]}}, status=400)
        review = review_create(contract=contract, reviewer=signed_in_user(request), rating=data["rating"],
                               comment=data["comment"])
        review = marketplace_selectors.reviews_for(viewer=signed_in_user(request)).get(pk=review.pk)
        return Response(self.get_serializer(review).data, status=201)
