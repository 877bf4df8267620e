from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .admin_actions import all_fields
from .models import AuditEvent, ExchangeRate, OutboundEmail, OutboundMessage


def _admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin signs in through the site's own login page, so two-factor authentication applies to staff too."""
    if request.user.is_authenticated:
        raise PermissionDenied("The administration is for staff only.")
    return redirect_to_login(request.GET.get("next", "/admin/"), "/login/")


admin.site.login = _admin_login  # type: ignore[method-assign]  # staff sign in through the site's own login
admin.site.site_header = "MegiLance administration"
admin.site.site_title = "MegiLance admin"

# The marketplace's own records first, in the order people work with them; then Django's (users' groups,
# ...) and other libraries'; the Stripe library's ~40 synced copies of Stripe objects last, named as such.
OWN_APPS_ORDER = ["accounts", "marketplace", "contracts", "payments", "messaging", "support", "analytics", "core"]
STRIPE_LIBRARY_APP = "djstripe"
STRIPE_LIBRARY_NAME = "Stripe library (copies of Stripe's objects, kept in sync by dj-stripe)"

_default_get_app_list = admin.site.get_app_list


def _is_own_app(label: str) -> bool:
    path = Path(apps.get_app_config(label).path).resolve()
    return path.is_relative_to(Path(settings.BASE_DIR).resolve()) and "site-packages" not in path.parts


def _app_order(app: dict) -> tuple[int, int, str]:
    label = app["app_label"]
    if label == STRIPE_LIBRARY_APP:
        return (2, 0, "")
    if label in OWN_APPS_ORDER:
        return (0, OWN_APPS_ORDER.index(label), "")
    return (0 if _is_own_app(label) else 1, len(OWN_APPS_ORDER), str(app["name"]).lower())


def _get_app_list(request: HttpRequest, app_label: str | None = None) -> list[dict]:
    app_list = sorted(_default_get_app_list(request, app_label), key=_app_order)
    for app in app_list:
        if app["app_label"] == STRIPE_LIBRARY_APP:
            app["name"] = STRIPE_LIBRARY_NAME
    return app_list


admin.site.get_app_list = _get_app_list  # type: ignore[method-assign]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to_email", "template", "created_at", "sent_at", "attempts"]
    list_filter = ["template", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to_email", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The text messages and pushes of the outbox. A message carrying a one-time code never shows its text."""

    list_display = ["channel", "template", "to", "created_at", "sent_at", "dropped_at", "attempts"]
    list_filter = ["channel", "template", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "template"]
    date_hierarchy = "created_at"
    readonly_fields = ["channel", "to", "template", "shown_body", "sensitive", "dedupe_key", "created_at", "sent_at",
                       "dropped_at", "provider_id", "attempts", "last_error"]
    exclude = ["body"]

    @admin.display(description=_("Body"))
    def shown_body(self, obj: OutboundMessage) -> str:
        return str(_("(a one-time code: not shown)")) if obj.sensitive else obj.body

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: PostgreSQL itself refuses to change or delete a row."""

    list_display = ["created_at", "action", "actor_email", "target_type", "target_id", "ip_address", "request_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "actor_email", "target_type", "target_id", "ip_address", "request_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(AuditEvent)
    show_full_result_count = False  # the log grows without end; counting it on every page is not worth it

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """The rates behind the approximate amounts people see in their display currency; staff keep them current."""

    list_display = ["date", "base", "quote", "rate", "source"]
    list_filter = ["base", "quote"]
    search_fields = ["source"]
    date_hierarchy = "date"
    ordering = ["-date", "base", "quote"]
