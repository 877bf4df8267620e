from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import from_minor

from .. import billing
from ..models import ConnectedAccount, Payment


@extend_schema_field({"type": "string", "format": "decimal", "example": "1500.00"})
class MinorUnitsField(serializers.Field):
    """Integer minor units shown as a decimal string with two places."""

    def to_representation(self, value: int) -> str:
        return f"{from_minor(value):.2f}"


class PaymentSerializer(serializers.ModelSerializer):
    amount = MinorUnitsField()
    contract = serializers.IntegerField(source="contract_id", read_only=True)
    milestone = serializers.IntegerField(source="milestone_id", read_only=True)
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    payout_status = serializers.SerializerMethodField()
    # A declared field: DRF's serializer metaclass takes it off the class, so `Field.label` is not touched.
    label = serializers.CharField(  # type: ignore[assignment]
        source="kind_label", read_only=True, help_text="What the payment was, for people, e.g. “Weekly hours charged”")

    class Meta:
        model = Payment
        fields = ["id", "kind", "label", "amount", "currency", "status", "payout_status", "description", "contract",
                  "milestone", "order", "created_at"]

    def get_payout_status(self, obj: Payment) -> str | None:
        return obj.payout_status or None


class ReceiptSerializer(PaymentSerializer):
    receipt_number = serializers.SerializerMethodField()
    payer_or_payee = serializers.SerializerMethodField()
    stripe_reference = serializers.SerializerMethodField()

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "receipt_number", "payer_or_payee", "stripe_reference"]

    def get_receipt_number(self, obj: Payment) -> str:
        return obj.receipt_number

    def get_payer_or_payee(self, obj: Payment) -> str:
        return f"{obj.user.get_full_name()} <{obj.user.email}>"

    def get_stripe_reference(self, obj: Payment) -> str:
        return obj.stripe_reference or ""


class SummarySerializer(serializers.Serializer):
    currency = serializers.CharField()
    spent = serializers.CharField(help_text="Client: funded minus refunded")
    in_escrow = serializers.CharField(help_text="Client: held in escrow on their contracts")
    earnings_total = serializers.CharField(help_text="Freelancer: released to them, net of fees")
    earnings_pending = serializers.CharField(help_text="Freelancer: owed, waiting for the payout")
    earnings_paid = serializers.CharField(help_text="Freelancer: transferred to their payout account")


class OnboardInput(serializers.Serializer):
    return_url = serializers.URLField(required=False)
    refresh_url = serializers.URLField(required=False)


class OnboardOutput(serializers.Serializer):
    url = serializers.URLField()


class ConnectStatusSerializer(serializers.ModelSerializer):
    onboarded = serializers.BooleanField(source="can_receive", read_only=True)

    class Meta:
        model = ConnectedAccount
        fields = ["stripe_account_id", "details_submitted", "charges_enabled", "payouts_enabled", "onboarded"]


# --- the Client Pro plan (payments/billing.py) ---------------------------------------------------


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
