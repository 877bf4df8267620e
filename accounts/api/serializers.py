import re
import zoneinfo

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import MoneyField
from core.money import CURRENCIES

from ..models import User, UserType

COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
TIMEZONES = zoneinfo.available_timezones()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    error_type = serializers.CharField()
    # A declared field: DRF's serializer metaclass takes it off the class, so `Serializer.errors` stays as it is.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    user_type = serializers.ChoiceField(choices=UserType.choices)
    company = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "user_type", "email_verified"]


class LoginInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(trim_whitespace=False, max_length=128)


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")


class LoginOutput(serializers.Serializer):
    access_token = serializers.CharField(required=False)
    refresh_token = serializers.CharField(required=False)
    token_type = serializers.CharField(required=False)
    requires_2fa = serializers.BooleanField()
    mfa_token = serializers.CharField(required=False)


class MfaLoginInput(serializers.Serializer):
    mfa_token = serializers.CharField(max_length=1000)
    code = serializers.CharField(max_length=32)


class MfaSmsInput(serializers.Serializer):
    mfa_token = serializers.CharField(max_length=1000)


class MfaSmsOutput(serializers.Serializer):
    detail = serializers.CharField()
    phone_number = serializers.CharField(help_text="The verified number the code went to, masked")
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid")


class RefreshInput(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000)


class TokenInput(serializers.Serializer):
    token = serializers.CharField(max_length=1000)


class EmailInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer):
    token = serializers.CharField(max_length=1000)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class PasswordChangeInput(serializers.Serializer):
    current_password = serializers.CharField(trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class CodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class PhoneNumberInput(serializers.Serializer):
    phone_number = serializers.CharField(max_length=32, help_text="International (E.164), e.g. +447700900123",
                                         error_messages={"blank": _("Enter your mobile number."),
                                                         "required": _("Enter your mobile number.")})


class PhoneNumberOutput(serializers.Serializer):
    phone_number = serializers.CharField(allow_null=True, help_text="The verified number, or null")
    verified_at = serializers.DateTimeField(allow_null=True)
    pending_number = serializers.CharField(allow_null=True, help_text="A number a code was sent to, not yet verified")
    code_expires_at = serializers.DateTimeField(allow_null=True)
    sms_available = serializers.BooleanField()


class TwoFactorSetupOutput(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_url = serializers.CharField()
    qr_code = serializers.CharField(help_text="A PNG as a data URI")
    backup_codes = serializers.ListField(child=serializers.CharField())


class SkillNamesField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def to_representation(self, value: object) -> list[str]:
        return [skill.name for skill in value.all()]  # type: ignore[attr-defined]


class ClientFiguresSerializer(serializers.Serializer):
    projects_posted = serializers.IntegerField()
    hire_rate = serializers.IntegerField(allow_null=True, help_text="Percent of posted projects that hired")
    total_spent = serializers.CharField(help_text="Paid into escrow, less refunds")
    currency = serializers.CharField()


class PublicProfileSerializer(serializers.ModelSerializer):
    """What anyone may see of an account."""

    skills = SkillNamesField(read_only=True)
    avatar = serializers.ImageField(read_only=True)
    currency = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "first_name", "last_name", "user_type", "headline", "bio", "avatar", "country",
                  "timezone", "hourly_rate", "currency", "skills", "available", "company", "date_joined"]

    def get_currency(self, obj: User) -> str:
        return "usd"


class PublicDetailSerializer(PublicProfileSerializer):
    """A public profile page: for clients also what freelancers weigh before working with them."""

    client = serializers.SerializerMethodField()

    class Meta(PublicProfileSerializer.Meta):
        fields = [*PublicProfileSerializer.Meta.fields, "client"]

    @extend_schema_field(ClientFiguresSerializer(allow_null=True))
    def get_client(self, obj: User) -> dict | None:
        if obj.user_type != UserType.CLIENT:
            return None
        from django.db.models import Sum

        # Reverse relations by name: accounts imports nothing from the apps above it.
        posted = obj.projects.exclude(status="draft")
        total = posted.count()
        hired = posted.filter(contract__isnull=False).count()
        sums = {kind: obj.payments.filter(kind=kind, status="succeeded", currency="usd")
                .aggregate(total=Sum("amount"))["total"] or 0 for kind in ("funding", "refund")}
        spent = sums["funding"] - sums["refund"]
        return {"projects_posted": total, "hire_rate": round(hired * 100 / total) if total else None,
                "total_spent": f"{spent / 100:.2f}", "currency": "usd"}


class MeSerializer(PublicProfileSerializer):
    two_factor_enabled = serializers.SerializerMethodField()

    class Meta(PublicProfileSerializer.Meta):
        fields = ["id", "email", "email_verified", *PublicProfileSerializer.Meta.fields[1:], "is_staff",
                  "two_factor_enabled", "language", "display_currency"]

    def get_two_factor_enabled(self, obj: User) -> bool:
        from ..two_factor import is_enabled

        return is_enabled(obj)


class MeInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    headline = serializers.CharField(max_length=120, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)
    language = serializers.ChoiceField(choices=[("", "Follow the browser"), *settings.LANGUAGES], required=False,
                                       allow_blank=True)
    display_currency = serializers.ChoiceField(choices=[("", "None"), *CURRENCIES], required=False, allow_blank=True)
    company = serializers.CharField(max_length=120, required=False, allow_blank=True)
    hourly_rate = MoneyField(max_digits=10, min_value=0, max_value=100000, required=False, allow_null=True)
    available = serializers.BooleanField(required=False)
    skills = serializers.ListField(child=serializers.CharField(max_length=50), max_length=30, required=False)
    avatar = serializers.FileField(required=False, allow_null=True)
    current_password = serializers.CharField(required=False, trim_whitespace=False, max_length=128,
                                             write_only=True, help_text="Needed to change the e-mail address")

    def validate_country(self, value: str) -> str:
        if value and not COUNTRY_RE.match(value):
            raise serializers.ValidationError("Use a two-letter country code, like DE or US.")
        return value.upper()

    def validate_timezone(self, value: str) -> str:
        if value not in TIMEZONES:
            raise serializers.ValidationError(gettext("Choose a time zone such as Europe/Berlin or UTC."))
        return value


class StaffUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "user_type", "email_verified", "is_active",
                  "is_staff", "date_joined", "last_login", "country"]
