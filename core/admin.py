from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .admin_actions import all_fields
from .models import AuditEvent, OutboundEmail


def _admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin signs in through the site's own login page, so two-factor authentication applies to staff too."""
    if request.user.is_authenticated:
        raise PermissionDenied("The administration is for staff only.")
    return redirect_to_login(request.GET.get("next", "/admin/"), "/login/")


admin.site.login = _admin_login  # type: ignore[method-assign]  # staff sign in through the site's own login
admin.site.site_header = "MegiLance administration"
admin.site.site_title = "MegiLance admin"


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
