from django.contrib import admin

from .models import Service, ServiceExtra, ServiceImage, ServicePackage


class PackageInline(admin.TabularInline):
    model = ServicePackage
    extra = 0


class ExtraInline(admin.TabularInline):
    model = ServiceExtra
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["title", "seller", "status", "price_from", "rating_avg", "published_at"]
    list_filter = ["status", "category"]
    search_fields = ["title", "seller__email"]
    raw_id_fields = ["seller"]
    autocomplete_fields: list[str] = []
    inlines = [PackageInline, ExtraInline]


@admin.register(ServicePackage)
class ServicePackageAdmin(admin.ModelAdmin):
    list_display = ["service", "tier", "price", "delivery_days", "revisions"]
    raw_id_fields = ["service"]


@admin.register(ServiceExtra)
class ServiceExtraAdmin(admin.ModelAdmin):
    list_display = ["service", "title", "price", "delivery_days"]
    raw_id_fields = ["service"]


@admin.register(ServiceImage)
class ServiceImageAdmin(admin.ModelAdmin):
    list_display = ["service", "position", "created_at"]
    raw_id_fields = ["service"]

from . import order_admin  # noqa: E402, F401  (orders' admin pages)
