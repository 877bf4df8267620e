from rest_framework import serializers

from ..models import Contract


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
