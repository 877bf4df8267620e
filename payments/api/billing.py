"""`/api/payments/subscription`: the client's Client Pro plan (see payments/billing.py)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.models import UserType
from core.exceptions import ApplicationError

from .. import billing


class FeaturesSerializer(serializers.Serializer):
    invite_only_projects = serializers.BooleanField()
    invites_per_project = serializers.IntegerField()


class SubscriptionSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=["free", billing.PLAN_KEY])
    plan_name = serializers.CharField()
    status = serializers.CharField(help_text="Stripe's status of the subscription, or `none`.")
    cancel_at_period_end = serializers.BooleanField()
    renews_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    price = serializers.CharField(help_text="A month of Client Pro, e.g. `50.00`.")
    currency = serializers.CharField()
    interval = serializers.CharField()
    features = FeaturesSerializer(help_text="What the caller's plan allows now.")
    plan_features = FeaturesSerializer(help_text="What Client Pro allows.")
    free_features = FeaturesSerializer(help_text="What the free plan allows.")


class SubscribeInput(serializers.Serializer):
    payment_method = serializers.CharField(
        max_length=255, required=False,
        help_text="A card PaymentMethod id (Stripe.js). Optional when taking back a plan that is set to end.")


def _clients_only(request: Request) -> None:
    if request.user.user_type != UserType.CLIENT:
        raise ApplicationError("The Client Pro plan is for clients.", code="permission_denied", status_code=403)


ERRORS = {400: ErrorSerializer, 402: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer,
          503: ErrorSerializer}


class SubscriptionView(APIView):
    """The Client Pro plan: $50.00 a month, for invite-only projects and up to 50 invites per project."""

    @extend_schema(tags=["payments"], responses={200: SubscriptionSerializer, 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        _clients_only(request)
        return Response(SubscriptionSerializer(billing.summary(request.user)).data)

    @extend_schema(tags=["payments"], request=SubscribeInput, responses={201: SubscriptionSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        _clients_only(request)
        serializer = SubscribeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        billing.subscribe(request.user, serializer.validated_data.get("payment_method") or None)
        return Response(SubscriptionSerializer(billing.summary(request.user)).data, status=201)

    @extend_schema(tags=["payments"], parameters=[OpenApiParameter(
        "immediately", bool, description="End the plan now instead of at the end of the paid month.")],
        request=None, responses={200: SubscriptionSerializer, **ERRORS})
    def delete(self, request: Request) -> Response:
        _clients_only(request)
        immediately = request.query_params.get("immediately", "").lower() in ("1", "true", "yes")
        billing.cancel(request.user, immediately=immediately)
        return Response(SubscriptionSerializer(billing.summary(request.user)).data)
