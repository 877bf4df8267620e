"""The caller's saved cards: `GET|POST /api/payments/methods`, `DELETE /api/payments/methods/{id}`. Thin views
over `payments.methods`."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError

from .. import methods
from ..models import SavedCard

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 402: ErrorSerializer, 404: ErrorSerializer,
          409: ErrorSerializer, 503: ErrorSerializer}


class SavedCardSerializer(serializers.ModelSerializer):
    payment_method = serializers.CharField(source="stripe_payment_method_id", read_only=True)

    class Meta:
        model = SavedCard
        fields = ["id", "payment_method", "brand", "last4", "exp_month", "exp_year", "created_at"]


class SaveCardInput(serializers.Serializer):
    payment_method = serializers.CharField(max_length=255, required=False,
                                           help_text="A PaymentMethod made by Stripe.js (or a test id: pm_card_visa)")
    setup_intent = serializers.CharField(max_length=255, required=False,
                                         help_text="A SetupIntent the page confirmed (after 3-D Secure)")


class SaveCardOutput(serializers.Serializer):
    status = serializers.CharField()
    card = SavedCardSerializer(allow_null=True)
    setup_intent = serializers.CharField()
    client_secret = serializers.CharField(allow_null=True)


class PaymentMethodListView(APIView):
    @extend_schema(tags=["payments"], responses={200: SavedCardSerializer(many=True), **ERRORS},
                   description="The caller's saved cards, newest (the one charged) first.")
    def get(self, request: Request) -> Response:
        return Response(SavedCardSerializer(methods.saved_cards(signed_in_user(request)), many=True).data)

    @extend_schema(tags=["payments"], request=SaveCardInput, responses={201: SaveCardOutput, 200: SaveCardOutput,
                                                                        **ERRORS},
                   description="Saves a card for charges made while the caller is away (a SetupIntent on their "
                               "Stripe customer). 201 once saved; 200 with status requires_action when the bank "
                               "asks the card holder (confirm with Stripe.js, then post `setup_intent`); a "
                               "declined card answers 402.")
    def post(self, request: Request) -> Response:
        serializer = SaveCardInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = signed_in_user(request)
        if data.get("setup_intent"):
            result = methods.card_save_from_setup_intent(user=user, setup_intent_id=data["setup_intent"])
        elif data.get("payment_method"):
            result = methods.card_save(user=user, payment_method=data["payment_method"])
        else:
            raise ApplicationError("Invalid input: give the card.", code="validation_error",
                                   errors={"payment_method": ["This field is required."]})
        body = {"status": result.status, "card": SavedCardSerializer(result.card).data if result.card else None,
                "setup_intent": result.setup_intent_id, "client_secret": result.client_secret}
        return Response(body, status=201 if result.card else 200)


class PaymentMethodDetailView(APIView):
    @extend_schema(tags=["payments"], request=None, responses={204: None, **ERRORS},
                   description="Removes one of the caller's saved cards; anyone else's is 404.")
    def delete(self, request: Request, pk: int) -> Response:
        methods.card_delete(user=signed_in_user(request), card_id=pk)
        return Response(status=204)
