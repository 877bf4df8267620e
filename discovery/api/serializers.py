from decimal import Decimal

from rest_framework import serializers

from accounts.models import Skill
from marketplace.api.serializers import FreelancerSerializer, ProjectSerializer

from ..models import Alert, SavedSearch


class RecommendedProjectSerializer(ProjectSerializer):
    match_score = serializers.IntegerField(source="match.score", read_only=True, help_text="0-100")
    match_reasons = serializers.ListField(child=serializers.CharField(), read_only=True,
                                          help_text='e.g. "3 of 4 skills", "within your rate"')

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "match_score", "match_reasons"]


class RecommendedFreelancerSerializer(FreelancerSerializer):
    match_score = serializers.IntegerField(source="match.score", read_only=True, help_text="0-100")
    match_reasons = serializers.ListField(child=serializers.CharField(), read_only=True,
                                          help_text='e.g. "3 of 4 skills", "rate within your budget"')

    class Meta(FreelancerSerializer.Meta):
        fields = [*FreelancerSerializer.Meta.fields, "match_score", "match_reasons"]


class PriceGuidanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    low = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                   help_text="25th percentile; null when sample_size is 0")
    median = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                      help_text="50th percentile; null when sample_size is 0")
    high = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                    help_text="75th percentile; null when sample_size is 0")
    sample_size = serializers.IntegerField(help_text="Hires of similar work the figures come from")


class SearchParamsSerializer(serializers.Serializer):
    """The shape of a saved search's parameters (checked by discovery.services.params_clean)."""

    search = serializers.CharField(required=False, max_length=200)
    category = serializers.CharField(required=False, help_text="A category's slug or name")
    skills = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    budget_min = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=Decimal(0))
    budget_max = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=Decimal(0))
    budget_type = serializers.ChoiceField(choices=["fixed", "hourly"], required=False)


class SavedSearchInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    params = serializers.JSONField(required=False, default=dict, help_text="See SearchParams")
    alert = serializers.ChoiceField(choices=Alert.choices, required=False, default=Alert.DAILY)


class SavedSearchSerializer(serializers.ModelSerializer):
    params = SearchParamsSerializer(read_only=True)

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "params", "alert", "created_at", "updated_at"]


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "slug"]
