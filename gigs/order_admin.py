"""Orders in the admin: read-only records (the money moves only through the order services), with actions that
call those services: complete due deliveries now, and resolve disputes by release or refund (a split is decided
on the order's page, which asks for the seller's part)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.admin_actions import ReadOnlyAdminMixin, all_fields, amount_money, run_for_each
from marketplace.admin import StatusChangeAdmin, StatusChangeInline

from . import orders
from .models import (
    Order,
    OrderDelivery,
    OrderDeliveryFile,
    OrderDispute,
    OrderDisputeStatusChange,
    OrderEvent,
    OrderStatusChange,
)


class OrderStatusChangeInline(StatusChangeInline):
    model = OrderStatusChange


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    fields = ["kind", "actor", "text", "created_at"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "buyer", "seller", "status", "money", "due_at", "chargeback", "created_at"]
    list_select_related = ["buyer", "seller"]
    list_filter = ["status", "tier", "chargeback"]
    search_fields = ["service_title", "package_title", "buyer__email", "seller__email"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    raw_id_fields = ["service", "buyer", "seller", "cancel_requested_by"]
    readonly_fields = all_fields(Order)
    inlines = [OrderStatusChangeInline, OrderEventInline]
    actions = ["complete_due_now"]

    @admin.display(description="total")
    def money(self, obj: Order) -> str:
        return amount_money(obj.total, obj.currency)

    @admin.action(description="Complete deliveries whose review window has ended")
    def complete_due_now(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        now = timezone.now()
        run_for_each(self, request, queryset, lambda order: orders.order_auto_complete(order=order, now=now),
                     done="{n} order(s) checked: those delivered and due are completed and paid.")


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "order"
    list_select_related = ["order", "changed_by"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "kind", "actor", "created_at"]
    list_select_related = ["order", "actor"]
    list_filter = ["kind"]
    readonly_fields = all_fields(OrderEvent)


class OrderDeliveryFileInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderDeliveryFile
    fields = ["original_name", "content_type", "size"]
    readonly_fields = fields
    extra = 0


@admin.register(OrderDelivery)
class OrderDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "created_at"]
    list_select_related = ["order"]
    readonly_fields = all_fields(OrderDelivery)
    inlines = [OrderDeliveryFileInline]


@admin.register(OrderDeliveryFile)
class OrderDeliveryFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["original_name", "delivery", "content_type", "size"]
    list_select_related = ["delivery"]
    readonly_fields = all_fields(OrderDeliveryFile)


@admin.register(OrderDispute)
class OrderDisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "order", "opened_by", "status", "resolution", "freelancer_amount", "created_at"]
    list_select_related = ["order", "opened_by"]
    list_filter = ["status", "resolution"]
    search_fields = ["reason", "order__service_title", "opened_by__email"]
    readonly_fields = all_fields(OrderDispute)
    actions = ["resolve_release", "resolve_refund"]

    def _resolve(self, request: HttpRequest, queryset: QuerySet[OrderDispute], resolution: str, note: str) -> None:
        run_for_each(self, request, queryset,
                     lambda dispute: orders.order_dispute_resolve(dispute=dispute, by=request.user,
                                                                  resolution=resolution, note=note),
                     done="{n} dispute(s) resolved: " + note[0].lower() + note[1:])

    @admin.action(description="Resolve: release to the seller")
    def resolve_release(self, request: HttpRequest, queryset: QuerySet[OrderDispute]) -> None:
        self._resolve(request, queryset, OrderDispute.Resolution.RELEASE, "Released to the seller by our team.")

    @admin.action(description="Resolve: refund the buyer")
    def resolve_refund(self, request: HttpRequest, queryset: QuerySet[OrderDispute]) -> None:
        self._resolve(request, queryset, OrderDispute.Resolution.REFUND, "Refunded to the buyer by our team.")


@admin.register(OrderDisputeStatusChange)
class OrderDisputeStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "orderdispute"
    list_select_related = ["orderdispute", "changed_by"]
