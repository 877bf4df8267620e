from decimal import Decimal
from typing import Any

from django.urls import reverse
from rest_framework import serializers
from rest_framework.request import Request

from accounts.api.serializers import SkillNamesField
from accounts.models import User
from core.fields import MoneyField
from core.rows import date_text, datetime_text, decimal_text

from ..models import (
    CURRENCIES,
    Attachment,
    BudgetType,
    Category,
    Invite,
    PortfolioImage,
    PortfolioItem,
    Project,
    ProjectStatus,
    Proposal,
    Review,
    Visibility,
)

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.00"), "max_value": Decimal("10000000")}


class PersonSerializer(serializers.ModelSerializer):
    """A short public view of someone, for lists."""

    avatar = serializers.ImageField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "first_name", "last_name", "user_type", "headline", "avatar", "company", "country"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "created_at", "url"]

    def get_url(self, obj: Attachment) -> str:
        return reverse("api-attachment-download", args=[obj.pk])


class ProjectInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000)
    category = serializers.CharField(max_length=80, required=False, allow_blank=True, allow_null=True)
    skills = serializers.ListField(child=serializers.CharField(max_length=50), max_length=30, required=False)
    budget_type = serializers.ChoiceField(choices=BudgetType.choices, required=False)
    budget_min = MoneyField(**MONEY)
    budget_max = MoneyField(**MONEY)
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)
    deadline = serializers.DateField(required=False, allow_null=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)


class ProjectSerializer(serializers.ModelSerializer):
    client = PersonSerializer(read_only=True)
    category: "serializers.SlugRelatedField[Category]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True,
        help_text="The category's slug; null for a project without one")
    category_name = serializers.CharField(source="category.name", read_only=True, default=None, allow_null=True)
    skills = SkillNamesField(read_only=True)
    proposal_count = serializers.IntegerField(read_only=True)
    has_contract = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "title", "description", "category", "category_name", "skills", "budget_type", "budget_min",
                  "budget_max", "currency", "deadline", "visibility", "status", "is_featured", "client",
                  "proposal_count", "has_contract", "created_at", "updated_at", "published_at"]

    def get_has_contract(self, obj: Project) -> bool:
        return obj.status in (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)


def _avatar_url(name: str, request: Request | None) -> str | None:
    """As DRF's `ImageField` writes a user's avatar: an absolute URL when there is a request, else None."""
    if not name:
        return None
    url = User._meta.get_field("avatar").storage.url(name)
    return request.build_absolute_uri(url) if request is not None else url


def project_rows(rows: list[dict[str, Any]], request: Request | None) -> list[dict[str, Any]]:
    """`ProjectSerializer`'s output, written from `selectors.project_rows_by_ids` rows."""
    return [{
        "id": row["id"], "title": row["title"], "description": row["description"],
        "category": row["category__slug"], "category_name": row["category__name"], "skills": row["skills"],
        "budget_type": row["budget_type"], "budget_min": decimal_text(row["budget_min"]),
        "budget_max": decimal_text(row["budget_max"]), "currency": row["currency"],
        "deadline": date_text(row["deadline"]), "visibility": row["visibility"], "status": row["status"],
        "is_featured": row["is_featured"],
        "client": {"id": row["client__id"], "first_name": row["client__first_name"],
                   "last_name": row["client__last_name"], "user_type": row["client__user_type"],
                   "headline": row["client__headline"], "avatar": _avatar_url(row["client__avatar"], request),
                   "company": row["client__company"], "country": row["client__country"]},
        "proposal_count": row["proposal_count"],
        "has_contract": row["status"] in (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED),
        "created_at": datetime_text(row["created_at"]), "updated_at": datetime_text(row["updated_at"]),
        "published_at": datetime_text(row["published_at"]),
    } for row in rows]


class ProjectDetailSerializer(ProjectSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "attachments"]


class ProposalInput(serializers.Serializer):
    project_id = serializers.IntegerField(min_value=1)
    cover_letter = serializers.CharField(max_length=10000, min_length=20)
    bid_amount = MoneyField(min_value=Decimal("1.00"), max_value=Decimal("10000000"))
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)
    estimated_duration_days = serializers.IntegerField(min_value=1, max_value=3650)


class ProposalSerializer(serializers.ModelSerializer):
    project_id = serializers.IntegerField(read_only=True)
    project_title = serializers.CharField(source="project.title", read_only=True)
    freelancer = PersonSerializer(read_only=True)
    freelancer_rating = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True, allow_null=True)
    freelancer_review_count = serializers.IntegerField(read_only=True)
    freelancer_hourly_rate = serializers.DecimalField(source="freelancer.hourly_rate", max_digits=10,
                                                      decimal_places=2, read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Proposal
        fields = ["id", "project_id", "project_title", "freelancer", "cover_letter", "bid_amount", "currency",
                  "estimated_duration_days", "status", "freelancer_rating", "freelancer_review_count",
                  "freelancer_hourly_rate", "attachments", "created_at", "updated_at"]


class InviteInput(serializers.Serializer):
    project_id = serializers.IntegerField(min_value=1)
    freelancer_id = serializers.IntegerField(min_value=1)
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InviteSerializer(serializers.ModelSerializer):
    project_id = serializers.IntegerField(read_only=True)
    project_title = serializers.CharField(source="project.title", read_only=True)
    client = PersonSerializer(source="project.client", read_only=True)
    freelancer = PersonSerializer(read_only=True)

    class Meta:
        model = Invite
        fields = ["id", "project_id", "project_title", "client", "freelancer", "message", "status", "created_at"]


class PortfolioImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = PortfolioImage
        fields = ["id", "image", "thumbnail", "position"]


class PortfolioInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    project_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    images = serializers.ListField(child=serializers.FileField(), required=False, max_length=10)


class PortfolioItemSerializer(serializers.ModelSerializer):
    freelancer_id = serializers.IntegerField(read_only=True)
    images = PortfolioImageSerializer(many=True, read_only=True)

    class Meta:
        model = PortfolioItem
        fields = ["id", "freelancer_id", "title", "description", "project_url", "images", "created_at", "updated_at"]


class ReviewSerializer(serializers.ModelSerializer):
    contract_id = serializers.IntegerField(read_only=True, allow_null=True)
    order_id = serializers.IntegerField(read_only=True, allow_null=True)
    reviewer = PersonSerializer(read_only=True)
    reviewee = PersonSerializer(read_only=True)
    revealed = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "contract_id", "order_id", "reviewer", "reviewee", "rating", "comment", "created_at",
                  "revealed"]

    def get_revealed(self, obj: Review) -> bool:
        return obj.is_visible


class FreelancerSerializer(serializers.ModelSerializer):
    skills = SkillNamesField(read_only=True)
    avatar = serializers.ImageField(read_only=True)
    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True, allow_null=True)
    review_count = serializers.IntegerField(read_only=True)
    completed_contracts = serializers.IntegerField(read_only=True)
    currency = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "first_name", "last_name", "headline", "bio", "avatar", "country", "timezone", "hourly_rate",
                  "currency", "skills", "available", "rating_avg", "review_count", "completed_contracts",
                  "date_joined"]

    def get_currency(self, obj: User) -> str:
        return "usd"


def freelancer_rows(rows: list[dict[str, Any]], skills: dict[int, list[str]],
                    request: Request | None) -> list[dict[str, Any]]:
    """`FreelancerSerializer`'s output, written from `values()` rows of `selectors.freelancer_search` and the
    skill names of each (`selectors.skill_names_of`)."""
    return [{
        "id": row["id"], "first_name": row["first_name"], "last_name": row["last_name"],
        "headline": row["headline"], "bio": row["bio"], "avatar": _avatar_url(row["avatar"], request),
        "country": row["country"], "timezone": row["timezone"], "hourly_rate": decimal_text(row["hourly_rate"]),
        "currency": "usd", "skills": skills.get(row["id"], []), "available": row["available"],
        "rating_avg": decimal_text(row["rating_avg"]), "review_count": row["review_count"],
        "completed_contracts": row["completed_contracts"], "date_joined": datetime_text(row["date_joined"]),
    } for row in rows]


class FreelancerDetailSerializer(FreelancerSerializer):
    portfolio = PortfolioItemSerializer(many=True, read_only=True)

    class Meta(FreelancerSerializer.Meta):
        fields = [*FreelancerSerializer.Meta.fields, "portfolio"]
