"""The payments API: the caller's payments and receipts, their balances, the freelancer's payout account
and the client's Client Pro plan. Thin views over payments' selectors, services and billing."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.models import UserType
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError
from core.money import from_minor

from .. import billing, selectors, services
from ..models import Payment
from . import serializers as s


def _money(minor: int) -> str:
    return f"{from_minor(minor):.2f}"


class PaymentListView(generics.ListAPIView):
    """The caller's own payments: fundings and refunds of a client, releases and fees of a freelancer."""

    serializer_class = s.PaymentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        payments = selectors.payment_list(user=signed_in_user(self.request))
        kind = self.request.query_params.get("kind")
        if kind in Payment.Kind.values:
            payments = payments.filter(kind=kind)
        contract = self.request.query_params.get("contract")
        if contract:
            payments = payments.filter(contract_id=contract) if contract.isdigit() else payments.none()
        return payments

    @extend_schema(tags=["payments"], parameters=[OpenApiParameter("kind", str, enum=Payment.Kind.values),
                                                  OpenApiParameter("contract", int)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


def _own_payment(request: Request, pk: int) -> Payment:
    payment = selectors.payment_get_own(user=signed_in_user(request), pk=pk)
    if payment is None:
        raise NotFound()
    return payment


@extend_schema(tags=["payments"], responses={200: s.PaymentSerializer, 404: ErrorSerializer})
class PaymentDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PaymentSerializer(_own_payment(request, pk)).data)


@extend_schema(tags=["payments"], responses={200: s.ReceiptSerializer, 404: ErrorSerializer})
class PaymentReceiptView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ReceiptSerializer(_own_payment(request, pk)).data)


@extend_schema(tags=["payments"], responses={200: s.SummarySerializer},
               parameters=[OpenApiParameter("currency", str, enum=["usd", "eur", "gbp"], description="Default usd")])
class PaymentSummaryView(APIView):
    """What a client has spent and holds in escrow; what a freelancer has earned, pending and paid out."""

    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        currency = request.query_params.get("currency", "usd").lower()
        if currency not in ("usd", "eur", "gbp"):
            raise ValidationError({"currency": ["Choose usd, eur or gbp."]})
        [spending] = selectors.client_balances(user=user, currency=currency)
        [earnings] = selectors.freelancer_balances(user=user, currency=currency)
        return Response({
            "currency": currency,
            "spent": _money(spending.spent),
            "in_escrow": _money(spending.in_escrow),
            "earnings_total": _money(earnings.earned),
            "earnings_pending": _money(earnings.pending),
            "earnings_paid": _money(earnings.paid),
        })


@extend_schema(tags=["payments"], request=s.OnboardInput, responses={200: s.OnboardOutput, 403: ErrorSerializer})
class ConnectOnboardView(APIView):
    """A Stripe Connect onboarding link for the freelancer's payout account."""

    def post(self, request: Request) -> Response:
        serializer = s.OnboardInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        base = f"{settings.FRONTEND_URL}/payments/payouts/"
        url = services.connect_onboarding_link(
            user=signed_in_user(request),
            return_url=serializer.validated_data.get("return_url") or f"{base}?onboarding=done",
            refresh_url=serializer.validated_data.get("refresh_url") or f"{base}?onboarding=again",
        )
        return Response({"url": url})


@extend_schema(tags=["payments"], responses={200: s.ConnectStatusSerializer, 404: ErrorSerializer})
class ConnectStatusView(APIView):
    def get(self, request: Request) -> Response:
        account = services.connect_refresh(signed_in_user(request))
        if account is None:
            raise NotFound("No payout account yet: start onboarding first.")
        return Response(s.ConnectStatusSerializer(account).data)


# --- the Client Pro plan (payments/billing.py) ---------------------------------------------------


def _clients_only(request: Request) -> None:
    if signed_in_user(request).user_type != UserType.CLIENT:
        raise ApplicationError("The Client Pro plan is for clients.", code="permission_denied", status_code=403)


SUBSCRIPTION_ERRORS = {400: ErrorSerializer, 402: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer,
                       503: ErrorSerializer}


class SubscriptionView(APIView):
    """The Client Pro plan: $50.00 a month, for invite-only projects and up to 50 invites per project."""

    @extend_schema(tags=["payments"], responses={200: s.SubscriptionSerializer, 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        _clients_only(request)
        return Response(s.SubscriptionSerializer(billing.summary(signed_in_user(request))).data)

    @extend_schema(tags=["payments"], request=s.SubscribeInput,
                   responses={201: s.SubscriptionSerializer, **SUBSCRIPTION_ERRORS})
    def post(self, request: Request) -> Response:
        _clients_only(request)
        serializer = s.SubscribeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        billing.subscribe(signed_in_user(request), serializer.validated_data.get("payment_method") or None)
        return Response(s.SubscriptionSerializer(billing.summary(signed_in_user(request))).data, status=201)

    @extend_schema(tags=["payments"], parameters=[OpenApiParameter(
        "immediately", bool, description="End the plan now instead of at the end of the paid month.")],
        request=None, responses={200: s.SubscriptionSerializer, **SUBSCRIPTION_ERRORS})
    def delete(self, request: Request) -> Response:
        _clients_only(request)
        immediately = request.query_params.get("immediately", "").lower() in ("1", "true", "yes")
        billing.cancel(signed_in_user(request), immediately=immediately)
        return Response(s.SubscriptionSerializer(billing.summary(signed_in_user(request))).data)
