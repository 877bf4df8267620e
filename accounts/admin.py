from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_actions import ReadOnlyAdminMixin

from . import services
from .models import AuthSession, BackupCode, BillingProfile, PhoneCode, PhoneNumber, Skill, User
from .requests import signed_in_user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "first_name", "last_name", "user_type", "email_verified", "is_active", "is_staff",
                    "date_joined", "last_login"]
    list_filter = ["user_type", "is_active", "is_staff", "email_verified", "available", "country"]
    search_fields = ["email", "first_name", "last_name", "company", "headline"]
    date_hierarchy = "date_joined"
    readonly_fields = ["date_joined", "last_login", "token_version"]
    filter_horizontal = ["skills", "groups", "user_permissions"]
    actions = ["suspend", "reactivate"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "user_type", "headline", "bio", "avatar", "country",
                               "timezone", "email_verified"]}),
        (_("Freelancer"), {"fields": ["hourly_rate", "skills", "available"]}),
        (_("Client"), {"fields": ["company"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions",
                               "token_version"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "user_type", "password1",
                                                 "password2"]}),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # accounts are suspended, never deleted: their money and history stay on record

    @admin.action(description=_("Suspend the selected accounts (ends their sessions)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.exclude(pk=signed_in_user(request).pk):
            services.user_set_active(user=user, active=False)
        self.message_user(request, gettext("Suspended; their sessions and tokens no longer work."), messages.SUCCESS)

    @admin.action(description=_("Reactivate the selected accounts"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_set_active(user=user, active=True)
        self.message_user(request, gettext("Reactivated."), messages.SUCCESS)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(BillingProfile)
class BillingProfileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What members asked to have on their receipts; they change it themselves on their settings page."""

    list_display = ["user", "name", "city", "country", "tax_id", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "name", "tax_id"]
    ordering = ["-updated_at", "-id"]
    readonly_fields = ["user", *BillingProfile.FIELDS, "updated_at"]


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "ip_address", "user_agent", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "ip_address"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "user", "created_at", "ip_address", "user_agent", "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(BackupCode)
class BackupCodeAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "used_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "code_hash", "created_at", "used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    """Verified numbers, shown; staff remove one (the member adds a number only by its code)."""

    list_display = ["user", "number", "verified_at"]
    search_fields = ["user__email", "number"]
    list_select_related = ["user"]
    readonly_fields = ["user", "number", "verified_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PhoneCode)
class PhoneCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Codes sent by text message: who, to which number, when, how often tried. The code itself is not kept."""

    list_display = ["user", "purpose", "number", "created_at", "expires_at", "attempts", "used_at"]
    list_filter = ["purpose"]
    search_fields = ["user__email", "number"]
    list_select_related = ["user"]
    exclude = ["code_hash"]
    readonly_fields = ["user", "purpose", "number", "created_at", "expires_at", "attempts", "used_at"]
