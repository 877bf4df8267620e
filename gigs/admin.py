"""The services in the admin: staff read every listing, fix its text, and pause or activate it through the same
service the seller's buttons call (a staff decision is kept in the audit log)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.requests import signed_in_user
from core.admin_actions import ReadOnlyAdminMixin, amount_money, run_for_each

from . import services
from .models import Service, ServiceExtra, ServiceImage, ServicePackage, ServiceStatus, ServiceStatusChange


class PackageInline(admin.TabularInline):
    model = ServicePackage
    extra = 0
    fields = ["tier", "title", "description", "price", "delivery_days", "revisions"]


class ExtraInline(admin.TabularInline):
    model = ServiceExtra
    extra = 0
    fields = ["title", "price", "delivery_days"]


class ImageInline(admin.TabularInline):
    model = ServiceImage
    extra = 0
    fields = ["preview", "position", "created_at"]
    readonly_fields = ["preview", "created_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # pictures are checked and re-encoded on upload: sellers add them

    @admin.display(description=_("picture"))
    def preview(self, obj: ServiceImage) -> str:
        return format_html('<img src="{}" alt="" width="120">', obj.image.url) if obj.image else "—"


class StatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ServiceStatusChange
    extra = 0
    fields = ["from_status", "to_status", "changed_by", "created_at"]
    readonly_fields = ["from_status", "to_status", "changed_by", "created_at"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["title", "seller", "category", "status", "price", "fastest_delivery_days", "rating_avg",
                    "published_at"]
    list_filter = ["status", "category"]
    list_select_related = ["seller", "category"]
    search_fields = ["title", "seller__email", "seller__first_name", "seller__last_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    autocomplete_fields = ["skills"]
    readonly_fields = ["seller", "status", "currency", "price_from", "fastest_delivery_days", "rating_avg",
                       "rating_count", "orders_completed", "skills_text", "created_at", "updated_at", "published_at"]
    fieldsets = [
        (None, {"fields": ["title", "description", "category", "skills", "requirements"]}),
        (_("Figures"), {"fields": ["currency", "price_from", "fastest_delivery_days", "rating_avg", "rating_count",
                                "orders_completed"]}),
        (_("State"), {"fields": ["seller", "status", "published_at", "created_at", "updated_at"]}),
    ]
    inlines = [PackageInline, ExtraInline, ImageInline, StatusChangeInline]
    actions = ["activate", "pause"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        return super().get_queryset(request).defer("search_vector")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # freelancers create services; the admin moderates them

    @admin.display(description=_("from"), ordering="price_from")
    def price(self, obj: Service) -> str:
        return amount_money(obj.price_from, obj.currency)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        service = form.instance
        services.service_skills_refresh(service=service)
        services.service_figures_refresh(service=service)
        services.service_search_refresh(service)

    @admin.action(description=_("Activate (buyers can find and order them)"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        run_for_each(self, request, queryset, lambda service: services.service_set_status(
            service=service, to=ServiceStatus.ACTIVE, by=signed_in_user(request), staff=True),
            done=ngettext_lazy("%(n)d service active.", "%(n)d services active.", "n"))

    @admin.action(description=_("Pause (hidden from buyers)"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        run_for_each(self, request, queryset, lambda service: services.service_set_status(
            service=service, to=ServiceStatus.PAUSED, by=signed_in_user(request), staff=True),
            done=ngettext_lazy("%(n)d service paused.", "%(n)d services paused.", "n"))


@admin.register(ServicePackage)
class ServicePackageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["service", "tier", "price", "delivery_days", "revisions"]
    list_select_related = ["service"]
    search_fields = ["service__title"]


@admin.register(ServiceExtra)
class ServiceExtraAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["service", "title", "price", "delivery_days"]
    list_select_related = ["service"]
    search_fields = ["service__title", "title"]


@admin.register(ServiceImage)
class ServiceImageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["service", "position", "created_at"]
    list_select_related = ["service"]


@admin.register(ServiceStatusChange)
class ServiceStatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["service", "from_status", "to_status", "changed_by", "created_at"]
    list_filter = ["to_status", "from_status"]
    list_select_related = ["service", "changed_by"]
    date_hierarchy = "created_at"


from . import order_admin  # noqa: E402, F401  (orders' admin pages)
