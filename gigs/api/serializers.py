"""The shapes of `/api/services`: input checked here, the rules in gigs.services."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from accounts.api.serializers import SkillNamesField
from core.fields import MoneyField
from core.rows import datetime_text, decimal_text
from marketplace.api.serializers import PersonSerializer, _avatar_url
from marketplace.models import Category

from .. import selectors
from ..models import CURRENCIES, PackageTier, Service, ServiceExtra, ServiceImage, ServicePackage, ServiceStatus

PRICE = {"min_value": Decimal("5.00"), "max_value": Decimal("100000")}


class PackageInput(serializers.Serializer):
    tier = serializers.ChoiceField(choices=PackageTier.choices)
    title = serializers.CharField(max_length=80)
    description = serializers.CharField(max_length=2000, help_text="What is included")
    price = MoneyField(**PRICE)
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)
    delivery_days = serializers.IntegerField(min_value=1, max_value=90)
    revisions = serializers.IntegerField(min_value=0, max_value=20, required=False, default=1)


class ExtraInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, required=False, help_text="An existing extra to change")
    title = serializers.CharField(max_length=80)
    price = MoneyField(min_value=Decimal("1.00"), max_value=Decimal("100000"))
    delivery_days = serializers.IntegerField(min_value=0, max_value=90, required=False, default=0,
                                             help_text="Days the extra adds to the delivery")


class ServiceInput(serializers.Serializer):
    title = serializers.CharField(max_length=120, min_length=10)
    description = serializers.CharField(max_length=10000, min_length=20)
    category = serializers.CharField(max_length=80, required=False, allow_blank=True, allow_null=True)
    skills = serializers.ListField(child=serializers.CharField(max_length=50), max_length=15, required=False)
    requirements = serializers.ListField(child=serializers.CharField(max_length=300), max_length=10, required=False,
                                         help_text="Questions the buyer answers when ordering")
    # With many=True the ListSerializer takes max_length; the stubs type the call as the child's.
    packages = PackageInput(many=True, required=False, max_length=3)  # type: ignore[call-arg]
    extras = ExtraInput(many=True, required=False, max_length=10)  # type: ignore[call-arg]
    status = serializers.ChoiceField(choices=ServiceStatus.choices, required=False)


class PackageSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField(source="service.currency", read_only=True)

    class Meta:
        model = ServicePackage
        fields = ["id", "tier", "title", "description", "price", "currency", "delivery_days", "revisions"]


class ExtraSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField(source="service.currency", read_only=True)

    class Meta:
        model = ServiceExtra
        fields = ["id", "title", "price", "currency", "delivery_days"]


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ServiceImage
        fields = ["id", "url", "position"]

    def get_url(self, obj: ServiceImage) -> str:
        return obj.image.url


class ServiceSerializer(serializers.ModelSerializer):
    """A service as lists show it: the figures of its card, without the description."""

    seller = PersonSerializer(read_only=True)
    seller_level = serializers.SerializerMethodField(help_text="new, level_1, level_2 or top_rated")
    category: "serializers.SlugRelatedField[Category]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True)
    category_name = serializers.CharField(source="category.name", read_only=True, default=None, allow_null=True)
    skills = SkillNamesField(read_only=True)
    price_from = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True, allow_null=True,
                                          help_text="The cheapest package's price")
    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2, coerce_to_string=True, allow_null=True)
    cover = serializers.SerializerMethodField(help_text="The first picture of the gallery")

    class Meta:
        model = Service
        fields = ["id", "title", "category", "category_name", "skills", "status", "price_from", "currency",
                  "fastest_delivery_days", "rating_avg", "rating_count", "orders_completed", "seller",
                  "seller_level", "cover", "created_at", "updated_at", "published_at"]

    def get_seller_level(self, obj: Service) -> str:
        return selectors.seller_level(getattr(obj, "seller_orders", 0), obj.rating_avg).key

    def get_cover(self, obj: Service) -> str | None:
        if hasattr(obj, "cover"):  # lists read the first picture's name in their one query
            return ServiceImage(image=obj.cover).image.url if obj.cover else None
        first = next(iter(obj.images.all()), None)
        return first.image.url if first else None


def service_rows(rows: list[dict[str, Any]], request: Request | None) -> list[dict[str, Any]]:
    """`ServiceSerializer`'s output, written from `selectors.with_list_rows` rows with their `skills` (a test
    compares the two on the same services)."""
    image_storage = ServiceImage._meta.get_field("image").storage
    return [{
        "id": row["id"], "title": row["title"], "category": row["category__slug"],
        "category_name": row["category__name"], "skills": row["skills"], "status": row["status"],
        "price_from": decimal_text(row["price_from"]), "currency": row["currency"],
        "fastest_delivery_days": row["fastest_delivery_days"], "rating_avg": decimal_text(row["rating_avg"]),
        "rating_count": row["rating_count"], "orders_completed": row["orders_completed"],
        "seller": {"id": row["seller__id"], "first_name": row["seller__first_name"],
                   "last_name": row["seller__last_name"], "user_type": row["seller__user_type"],
                   "headline": row["seller__headline"], "avatar": _avatar_url(row["seller__avatar"], request),
                   "company": row["seller__company"], "country": row["seller__country"]},
        "seller_level": selectors.seller_level(row["seller_orders"], row["rating_avg"]).key,
        "cover": image_storage.url(row["cover"]) if row["cover"] else None,
        "created_at": datetime_text(row["created_at"]), "updated_at": datetime_text(row["updated_at"]),
        "published_at": datetime_text(row["published_at"]),
    } for row in rows]


class ServiceDetailSerializer(ServiceSerializer):
    requirements = serializers.SerializerMethodField()
    packages = PackageSerializer(many=True, read_only=True)
    extras = ExtraSerializer(many=True, read_only=True)
    images = ImageSerializer(many=True, read_only=True)

    class Meta(ServiceSerializer.Meta):
        fields = [*ServiceSerializer.Meta.fields, "description", "requirements", "packages", "extras", "images"]

    def get_requirements(self, obj: Service) -> list[str]:
        return [line for line in obj.requirements.splitlines() if line.strip()]
