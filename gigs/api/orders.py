"""The orders API: place and pay, read, and each step of the work. Views validate and call one service."""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.requests import signed_in_user
from core.exceptions import Conflict

from .. import order_selectors as selectors
from .. import orders
from ..models import Order, OrderDispute, Service
from ..order_disputes import order_dispute_message_add
from . import order_serializers as s

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 402: ErrorSerializer, 403: ErrorSerializer,
          404: ErrorSerializer, 409: ErrorSerializer}
PAY_MESSAGES = {
    "succeeded": gettext_lazy("Paid: the money is held in escrow until you accept the delivery."),
    "requires_action": gettext_lazy("Your bank asks you to confirm the payment."),
    "processing": gettext_lazy("The payment is being processed."),
}
"""What the payment's status means, in the language of each request that reads it."""


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _order(request: Request, pk: int) -> Order:
    order = selectors.orders_visible_to(signed_in_user(request)).filter(pk=pk).first()
    if order is None:
        raise NotFound()
    return order


def _answer(request: Request, pk: int, status: int = 200, **extra: Any) -> Response:
    order = selectors.order_detail(signed_in_user(request), pk)
    return Response({**s.OrderDetailSerializer(order).data, **extra}, status=status)


def _payment(result: orders.PayResult) -> dict[str, Any]:
    return {"payment": {"status": result.status, "client_secret": result.client_secret,
                        "detail": str(PAY_MESSAGES.get(result.status) or gettext("The payment is not complete yet."))}}


class OrderListView(generics.ListAPIView):
    """The caller's orders, as buyer and as seller (`?role=buyer|seller`); clients place orders."""

    serializer_class = s.OrderSerializer

    def get_queryset(self):
        user = signed_in_user(self.request)
        orders_ = selectors.orders_for(user)
        role = self.request.query_params.get("role")
        if role == "buyer":
            orders_ = orders_.filter(buyer=user)
        elif role == "seller":
            orders_ = orders_.filter(seller=user)
        if status := self.request.query_params.get("status"):
            orders_ = orders_.filter(status=status)
        return orders_

    @extend_schema(tags=["orders"], request=s.OrderPlaceInput, responses={201: s.OrderDetailSerializer, **ERRORS},
                   description="Orders a package (and extras) of an active service and pays into escrow.")
    def post(self, request: Request) -> Response:
        data = _valid(s.OrderPlaceInput, request)
        service = Service.objects.filter(pk=data["service_id"]).first()
        if service is None:
            raise NotFound()
        result = orders.order_place(buyer=signed_in_user(request), service=service, tier=data["tier"],
                                    extra_ids=data["extras"], requirements=data["requirements"],
                                    payment_method=data["payment_method"] or None)
        return _answer(request, result.order.pk, status=201, **_payment(result))


@extend_schema(tags=["orders"], responses={200: s.OrderDetailSerializer, **ERRORS})
class OrderDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        _order(request, pk)
        return _answer(request, pk)


@extend_schema(tags=["orders"], request=s.OrderPayInput, responses={200: s.OrderDetailSerializer, **ERRORS},
               description="Pays an order still waiting for payment (another card, or after 3-D Secure).")
class OrderPayView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(s.OrderPayInput, request)
        result = orders.order_pay(order=_order(request, pk), by=signed_in_user(request),
                                  payment_method=data["payment_method"] or None)
        return _answer(request, pk, **_payment(result))


@extend_schema(tags=["orders"], request={"multipart/form-data": {"type": "object", "properties": {
    "note": {"type": "string"}, "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}},
    "application/json": s.OrderDeliverInput}, responses={200: s.OrderDetailSerializer, **ERRORS})
class OrderDeliverView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        note = _valid(s.OrderDeliverInput, request)["note"]
        files = request.FILES.getlist("files") if hasattr(request, "FILES") else []
        orders.order_deliver(order=_order(request, pk), by=signed_in_user(request), note=note, files=files)
        return _answer(request, pk)


@extend_schema(tags=["orders"], request=s.OrderReasonInput, responses={200: s.OrderDetailSerializer, **ERRORS})
class OrderRequestRevisionView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        reason = _valid(s.OrderReasonInput, request)["reason"]
        orders.order_request_revision(order=_order(request, pk), by=signed_in_user(request), reason=reason)
        return _answer(request, pk)


@extend_schema(tags=["orders"], request=None, responses={200: s.OrderDetailSerializer, **ERRORS},
               description="The buyer accepts the delivery: escrow is released to the seller less the fee.")
class OrderAcceptView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        orders.order_accept(order=_order(request, pk), by=signed_in_user(request))
        return _answer(request, pk)


@extend_schema(tags=["orders"], request=s.OrderReasonInput, responses={200: s.OrderDetailSerializer, **ERRORS},
               description="Before delivery both parties agree (the first asks, the second confirms), or the buyer "
                           "cancels a late order alone; the buyer is refunded in full.")
class OrderCancelView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        reason = _valid(s.OrderReasonInput, request)["reason"]
        orders.order_cancel(order=_order(request, pk), by=signed_in_user(request), reason=reason)
        return _answer(request, pk)


@extend_schema(tags=["orders"], request=s.OrderReasonInput, responses={201: s.OrderDetailSerializer, **ERRORS})
class OrderDisputeView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        reason = _valid(s.OrderReasonInput, request)["reason"]
        orders.order_dispute_open(order=_order(request, pk), by=signed_in_user(request), reason=reason)
        return _answer(request, pk, status=201)


def _open_dispute(request: Request, pk: int) -> OrderDispute:
    """The order's open dispute; 409 when there is none (404 for an order the caller may not see)."""
    dispute = OrderDispute.objects.filter(order=_order(request, pk), status=OrderDispute.Status.OPEN).first()
    if dispute is None:
        raise Conflict(gettext("This order has no open dispute."), code="no_open_dispute")
    return dispute


@extend_schema(tags=["orders"], request=s.OrderResolveInput, responses={200: s.OrderDetailSerializer, **ERRORS},
               description="Staff resolve the order's open dispute: release, refund or split.")
class OrderResolveView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        if not signed_in_user(request).is_staff:
            raise NotFound()
        data = _valid(s.OrderResolveInput, request)
        orders.order_dispute_resolve(dispute=_open_dispute(request, pk), by=signed_in_user(request),
                                     resolution=data["resolution"], freelancer_amount=data["freelancer_amount"],
                                     note=data["note"])
        return _answer(request, pk)


@extend_schema(tags=["orders"], request=None, responses={200: s.OrderDetailSerializer, **ERRORS},
               description="The party who opened the dispute takes it back.")
class OrderWithdrawDisputeView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        if not _order(request, pk).is_party(signed_in_user(request)):
            raise NotFound()
        orders.order_dispute_withdraw(dispute=_open_dispute(request, pk), by=signed_in_user(request))
        return _answer(request, pk)


@extend_schema(tags=["orders"], request=s.OrderMessageInput, responses={201: s.OrderDetailSerializer, **ERRORS})
class OrderMessageView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        text = _valid(s.OrderMessageInput, request)["text"]
        order = _order(request, pk)
        orders.order_message_add(order=order, by=signed_in_user(request), text=text)
        return _answer(request, pk, status=201)


@extend_schema(tags=["orders"], parameters=[OpenApiParameter("status", str, enum=OrderDispute.Status.values)],
               responses={200: s.OrderDisputeListSerializer(many=True), **ERRORS},
               description="Order disputes: the caller's (staff: all), newest first; `?status=open` for the ones "
                           "waiting. Each links to the order page where it is read and resolved, and to the API "
                           "that resolves it. Milestone disputes are at /api/disputes.")
class OrderDisputeListView(generics.ListAPIView):
    serializer_class = s.OrderDisputeListSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrderDispute.objects.none()
        disputes = OrderDispute.objects.select_related("order")
        user = signed_in_user(self.request)
        if not getattr(user, "is_staff", False):
            disputes = disputes.filter(Q(order__buyer=user) | Q(order__seller=user))
        if self.request.query_params.get("status") in OrderDispute.Status.values:
            disputes = disputes.filter(status=self.request.query_params["status"])
        return disputes.order_by("-created_at", "-id")


@extend_schema(tags=["orders"],
               request={"application/json": s.OrderDisputeMessageInput,
                        "multipart/form-data": s.OrderDisputeMessageInput},
               responses={201: s.OrderDisputeMessageSerializer, **ERRORS},
               description="The buyer or the seller answers the order's open dispute (with an optional evidence "
                           "file), or staff add a note; the other party is told. 409 once it is resolved or withdrawn.")
class OrderDisputeMessagesView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request: Request, pk: int) -> Response:
        dispute = _open_dispute(request, pk)
        data = _valid(s.OrderDisputeMessageInput, request)
        message = order_dispute_message_add(dispute=dispute, by=signed_in_user(request), body=data["body"],
                                            evidence=data.get("evidence"))
        return Response(s.OrderDisputeMessageSerializer(message).data, status=201)
