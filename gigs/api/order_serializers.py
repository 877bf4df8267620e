from rest_framework import serializers

from ..models import Order, OrderDelivery, OrderDeliveryFile, OrderDispute, OrderDisputeMessage, OrderEvent


class OrderPlaceInput(serializers.Serializer):
    service_id = serializers.IntegerField(min_value=1)
    tier = serializers.ChoiceField(choices=["basic", "standard", "premium"])
    extras = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list,
                                   max_length=20)
    requirements = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    payment_method = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class OrderPayInput(serializers.Serializer):
    payment_method = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class OrderDeliverInput(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class OrderReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class OrderMessageInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class OrderResolveInput(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=["release", "refund", "split"])
    freelancer_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                                 default=None)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class OrderDeliveryFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = OrderDeliveryFile
        fields = ["id", "original_name", "content_type", "size", "url"]

    def get_url(self, obj: OrderDeliveryFile) -> str:
        return f"/orders/{obj.delivery.order_id}/files/{obj.pk}/"


class OrderDeliverySerializer(serializers.ModelSerializer):
    files = OrderDeliveryFileSerializer(many=True, read_only=True)

    class Meta:
        model = OrderDelivery
        fields = ["id", "note", "files", "created_at"]


class OrderEventSerializer(serializers.ModelSerializer):
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "actor_id", "text", "created_at"]


class OrderDisputeMessageSerializer(serializers.ModelSerializer):
    author_id = serializers.IntegerField(read_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = OrderDisputeMessage
        fields = ["id", "author_id", "author_role", "body", "original_name", "content_type", "size", "file_url",
                  "created_at"]

    def get_file_url(self, message: OrderDisputeMessage) -> str | None:
        return f"/orders/{message.dispute.order_id}/dispute-files/{message.pk}/" if message.file else None


class OrderDisputeListSerializer(serializers.ModelSerializer):
    """An order dispute in a list: its order, and where staff resolve it (the page and the API)."""

    order_id = serializers.IntegerField(read_only=True)
    order_title = serializers.CharField(source="order.title", read_only=True)
    page_url = serializers.SerializerMethodField()
    resolve_url = serializers.SerializerMethodField()

    class Meta:
        model = OrderDispute
        fields = ["id", "order_id", "order_title", "status", "reason", "opened_by", "resolution",
                  "freelancer_amount", "created_at", "resolved_at", "page_url", "resolve_url"]

    def get_page_url(self, dispute: OrderDispute) -> str:
        return f"/orders/{dispute.order_id}/#dispute-thread"

    def get_resolve_url(self, dispute: OrderDispute) -> str:
        return f"/api/orders/{dispute.order_id}/resolve"


class OrderDisputeMessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    evidence = serializers.FileField(required=False)


class OrderDisputeSerializer(serializers.ModelSerializer):
    # Staff's note, or the decision in the caller's language when they left it empty.
    resolution_note = serializers.CharField(source="shown_note", read_only=True)

    class Meta:
        model = OrderDispute
        fields = ["id", "status", "reason", "opened_by", "resolution", "freelancer_amount", "resolution_note",
                  "created_at", "resolved_at"]


class OrderSerializer(serializers.ModelSerializer):
    service_id = serializers.IntegerField(read_only=True)
    buyer_id = serializers.IntegerField(read_only=True)
    seller_id = serializers.IntegerField(read_only=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    package_price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    package = serializers.SerializerMethodField()
    revisions_left = serializers.IntegerField(read_only=True)
    cancel_requested_by = serializers.IntegerField(source="cancel_requested_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Order
        fields = ["id", "status", "total", "currency", "due_at", "service_id", "service_title", "buyer_id",
                  "seller_id", "tier", "package", "package_price", "extras", "delivery_days", "requirements",
                  "revisions_allowed", "revisions_used", "revisions_left", "cancel_requested_by", "created_at",
                  "paid_at", "delivered_at", "auto_complete_at", "completed_at", "cancelled_at"]

    def get_package(self, obj: Order) -> dict:
        return {"tier": obj.tier, "title": obj.package_title, "description": obj.package_description,
                "price": f"{obj.package_price:.2f}", "delivery_days": obj.package_delivery_days,
                "revisions": obj.revisions_allowed}


class OrderDetailSerializer(OrderSerializer):
    deliveries = OrderDeliverySerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)
    disputes = OrderDisputeSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "requirements_questions", "deliveries", "events", "disputes"]
