from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import MoneyField
from core.money import from_minor

from ..models import Contract, Dispute, DisputeMessage, Milestone, Settlement, Submission, SubmissionFile


class ContractPartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    company = serializers.CharField()


class ContractSerializer(serializers.ModelSerializer):
    project_id = serializers.IntegerField(read_only=True)
    proposal_id = serializers.IntegerField(read_only=True)
    client = ContractPartySerializer(read_only=True)
    freelancer = ContractPartySerializer(read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "project_id", "proposal_id", "title", "terms", "contract_type", "client", "freelancer",
                  "total_amount", "currency", "hourly_rate", "weekly_limit_hours", "status", "created_at",
                  "updated_at", "completed_at"]


class MilestoneInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    amount = MoneyField(min_value=Decimal("1.00"), max_value=Decimal("1000000"))
    currency = serializers.ChoiceField(choices=["usd", "eur", "gbp"], required=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class SubmissionFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubmissionFile
        fields = ["id", "original_name", "content_type", "size"]


class SubmissionSerializer(serializers.ModelSerializer):
    files = SubmissionFileSerializer(many=True, read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "note", "created_at", "files"]


class MilestoneSerializer(serializers.ModelSerializer):
    """A milestone and its money. `fee_percent` is fixed when it is funded (today's fee before). Once settled,
    `released_amount` went to the freelancer (who receives it less `platform_fee`) and `refunded_amount` back
    to the client: a staff split has both. Before, `freelancer_receives` is what approval would pay."""

    contract_id = serializers.IntegerField(read_only=True)
    submissions = SubmissionSerializer(many=True, read_only=True)
    fee_percent = serializers.SerializerMethodField()
    platform_fee = serializers.SerializerMethodField()
    freelancer_receives = serializers.SerializerMethodField()
    released_amount = serializers.SerializerMethodField()
    refunded_amount = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "contract_id", "title", "description", "amount", "currency", "fee_percent", "platform_fee",
                  "freelancer_receives", "released_amount", "refunded_amount", "due_date", "position", "status",
                  "funded_at", "submitted_at", "auto_release_at", "released_at", "refunded_at",
                  "refund_requested_at", "created_at", "submissions"]

    def _settlement(self, obj: Milestone) -> Settlement:
        cached = getattr(obj, "_settlement_cache", None)
        if cached is None:
            cached = obj._settlement_cache = obj.settlement()  # type: ignore[attr-defined]
        return cached

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2))
    def get_fee_percent(self, obj: Milestone) -> str:
        return f"{self._settlement(obj).fee_percent:.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_platform_fee(self, obj: Milestone) -> str:
        return f"{from_minor(self._settlement(obj).fee):.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_freelancer_receives(self, obj: Milestone) -> str:
        return f"{from_minor(self._settlement(obj).freelancer_receives):.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_released_amount(self, obj: Milestone) -> str:
        return f"{from_minor(self._settlement(obj).released):.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_refunded_amount(self, obj: Milestone) -> str:
        return f"{from_minor(self._settlement(obj).refunded):.2f}"


class FundInput(serializers.Serializer):
    payment_method = serializers.CharField(max_length=255, required=False, allow_blank=True)


class FundOutput(serializers.Serializer):
    milestone = MilestoneSerializer()
    status = serializers.CharField(help_text="succeeded, requires_action, requires_payment_method, ...")
    client_secret = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class DisputeInput(serializers.Serializer):
    milestone_id = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=5000)
    evidence = serializers.FileField(required=False)


class DisputeSerializer(serializers.ModelSerializer):
    contract_id = serializers.IntegerField(read_only=True)
    milestone_id = serializers.IntegerField(read_only=True)
    opened_by_id = serializers.IntegerField(read_only=True)
    # Staff's note, or the decision in the caller's language when they left it empty.
    resolution_note = serializers.CharField(source="shown_note", read_only=True)

    class Meta:
        model = Dispute
        fields = ["id", "contract_id", "milestone_id", "opened_by_id", "reason", "status", "resolution",
                  "freelancer_amount", "resolution_note", "created_at", "resolved_at"]


class DisputeMessageSerializer(serializers.ModelSerializer):
    author_id = serializers.IntegerField(read_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = DisputeMessage
        fields = ["id", "author_id", "author_role", "body", "original_name", "content_type", "size", "file_url",
                  "created_at"]

    def get_file_url(self, message: DisputeMessage) -> str | None:
        return f"/disputes/{message.dispute_id}/files/{message.pk}/" if message.file else None


class DisputeThreadSerializer(DisputeSerializer):
    """A dispute with its thread: the answers of both parties and staff's notes, oldest first."""

    messages = DisputeMessageSerializer(many=True, read_only=True)

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "messages"]


class DisputeMessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    evidence = serializers.FileField(required=False)


class ResolveInput(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Dispute.Resolution.choices)
    freelancer_amount = MoneyField(required=False, allow_null=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ContractInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    terms = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    weekly_limit_hours = serializers.IntegerField(min_value=1, max_value=168, required=False, allow_null=True,
                                                  help_text="Hourly contracts: the most hours a week the client pays "
                                                            "for, from the week in progress on (null: no limit)")


class ContractCreateInput(serializers.Serializer):
    proposal_id = serializers.IntegerField(min_value=1)


class ReviewInput(serializers.Serializer):
    """A review of a completed contract (`contract_id`) or of a completed order of a service (`order_id`)."""

    contract_id = serializers.IntegerField(min_value=1, required=False)
    order_id = serializers.IntegerField(min_value=1, required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate(self, data: dict) -> dict:
        if ("contract_id" in data) == ("order_id" in data):
            raise serializers.ValidationError({"contract_id": ["Name the contract or the order you review."]})
        return data
