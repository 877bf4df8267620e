from decimal import Decimal

from rest_framework import serializers

from core.fields import MoneyField

from ..models import Contract, Dispute, Milestone, Submission, SubmissionFile


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
                  "total_amount", "currency", "status", "created_at", "updated_at", "completed_at"]


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
    contract_id = serializers.IntegerField(read_only=True)
    submissions = SubmissionSerializer(many=True, read_only=True)
    platform_fee = serializers.SerializerMethodField()
    freelancer_receives = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "contract_id", "title", "description", "amount", "currency", "platform_fee",
                  "freelancer_receives", "due_date", "position", "status", "funded_at", "submitted_at",
                  "auto_release_at", "released_at", "refunded_at", "refund_requested_at", "created_at",
                  "submissions"]

    def _fee(self, obj: Milestone) -> int:
        from django.conf import settings

        from core.money import fee_minor, to_minor

        return fee_minor(to_minor(obj.amount), settings.PLATFORM_FEE_PERCENT)

    def get_platform_fee(self, obj: Milestone) -> str:
        from core.money import from_minor

        return f"{from_minor(self._fee(obj)):.2f}"

    def get_freelancer_receives(self, obj: Milestone) -> str:
        from core.money import from_minor, to_minor

        return f"{from_minor(to_minor(obj.amount) - self._fee(obj)):.2f}"


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

    class Meta:
        model = Dispute
        fields = ["id", "contract_id", "milestone_id", "opened_by_id", "reason", "status", "resolution",
                  "freelancer_amount", "resolution_note", "created_at", "resolved_at"]


class ResolveInput(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Dispute.Resolution.choices)
    freelancer_amount = MoneyField(required=False, allow_null=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ContractInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    terms = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class ContractCreateInput(serializers.Serializer):
    proposal_id = serializers.IntegerField(min_value=1)


class ReviewInput(serializers.Serializer):
    contract_id = serializers.IntegerField(min_value=1)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
