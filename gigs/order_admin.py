"""Orders in the admin: read-only records (the money moves only through the order services), with actions that
call those services: complete due deliveries now, and resolve disputes by release, refund or split (an intermediate page
asks for the seller's part)."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.requests import signed_in_user
from core.admin_actions import ReadOnlyAdminMixin, all_fields, amount_money, run_for_each
from marketplace.admin import StatusChangeAdmin, StatusChangeInline

from . import orders
from .models import (
    Order,
    OrderDelivery,
    OrderDeliveryFile,
    OrderDispute,
    OrderDisputeMessage,
    OrderDisputeStatusChange,
    OrderEvent,
    OrderStatusChange,
)

# Shown, read-only, in the inlines (one tuple each: `fields` and `readonly_fields` are typed differently).
_EVENT_FIELDS = ("kind", "actor", "text", "created_at")
_DELIVERY_FILE_FIELDS = ("original_name", "content_type", "size")
_DISPUTE_MESSAGE_FIELDS = ("created_at", "author", "author_role", "body", "original_name")


class OrderStatusChangeInline(StatusChangeInline):
    model = OrderStatusChange


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    fields = _EVENT_FIELDS
    readonly_fields = _EVENT_FIELDS
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

    @admin.display(description=_("total"))
    def money(self, obj: Order) -> str:
        return amount_money(obj.total, obj.currency)

    @admin.action(description=_("Complete deliveries whose review window has ended"))
    def complete_due_now(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        now = timezone.now()
        run_for_each(self, request, queryset, lambda order: orders.order_auto_complete(order=order, now=now),
                     done=ngettext_lazy("%(n)d order checked: if delivered and due, it is completed and paid.",
                                       "%(n)d orders checked: those delivered and due are completed and paid.", "n"))


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
    fields = _DELIVERY_FILE_FIELDS
    readonly_fields = _DELIVERY_FILE_FIELDS
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


class OrderDisputeMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The dispute's thread: answers of the buyer and the seller, staff notes and evidence files."""

    model = OrderDisputeMessage
    fields = _DISPUTE_MESSAGE_FIELDS
    readonly_fields = _DISPUTE_MESSAGE_FIELDS
    ordering = ["created_at", "id"]
    extra = 0


@admin.register(OrderDisputeMessage)
class OrderDisputeMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "author", "author_role", "original_name", "created_at"]
    list_select_related = ["dispute", "author"]
    list_filter = ["author_role"]
    search_fields = ["body", "original_name", "author__email", "dispute__order__service_title"]
    readonly_fields = all_fields(OrderDisputeMessage)


class OrderDisputeSplitForm(forms.Form):
    freelancer_amount = forms.DecimalField(
        label=_("Seller's part"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        help_text=_("Released to the seller (less the platform fee); the rest of the order is refunded to the buyer."))
    note = forms.CharField(label=_("Note to both parties"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


@admin.register(OrderDispute)
class OrderDisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "order", "opened_by", "status", "resolution", "freelancer_amount", "created_at"]
    list_select_related = ["order", "opened_by"]
    list_filter = ["status", "resolution"]
    search_fields = ["reason", "order__service_title", "opened_by__email"]
    readonly_fields = all_fields(OrderDispute)
    actions = ["resolve_release", "resolve_refund", "resolve_split"]
    inlines = [OrderDisputeMessageInline]

    def _resolve(self, request: HttpRequest, queryset: QuerySet[OrderDispute], resolution: str, done: Promise) -> None:
        run_for_each(self, request, queryset,
                     lambda dispute: orders.order_dispute_resolve(dispute=dispute, by=signed_in_user(request),
                                                                  resolution=resolution),
                     done=done)

    @admin.action(description=_("Resolve: release to the seller"))
    def resolve_release(self, request: HttpRequest, queryset: QuerySet[OrderDispute]) -> None:
        self._resolve(request, queryset, OrderDispute.Resolution.RELEASE,
                      ngettext_lazy("%(n)d dispute resolved: released to the seller by our team.",
                                    "%(n)d disputes resolved: released to the seller by our team.", "n"))

    @admin.action(description=_("Resolve: refund the buyer"))
    def resolve_refund(self, request: HttpRequest, queryset: QuerySet[OrderDispute]) -> None:
        self._resolve(request, queryset, OrderDispute.Resolution.REFUND,
                      ngettext_lazy("%(n)d dispute resolved: refunded to the buyer by our team.",
                                    "%(n)d disputes resolved: refunded to the buyer by our team.", "n"))

    @admin.action(description=_("Resolve: split"))
    def resolve_split(self, request: HttpRequest, queryset: QuerySet[OrderDispute]) -> TemplateResponse | None:
        """An intermediate page asks how much goes to the seller; its form posts back to this action."""
        if queryset.count() != 1:
            self.message_user(request, gettext("Split one dispute at a time: select exactly one."), "error")
            return None
        dispute = queryset.select_related("order__buyer", "order__seller").get()
        form = OrderDisputeSplitForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            amount = form.cleaned_data["freelancer_amount"]
            note = form.cleaned_data["note"]
            resolved = run_for_each(self, request, [dispute],
                                    lambda d: orders.order_dispute_resolve(dispute=d, by=signed_in_user(request),
                                                                           resolution=OrderDispute.Resolution.SPLIT,
                                                                           freelancer_amount=amount, note=note),
                                    done=gettext("Dispute split: %(amount)s to the seller, the rest refunded.")
                                    % {"amount": amount})
            if resolved:
                return None
        return TemplateResponse(request, "admin/gigs/orderdispute/split.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Resolve %(dispute)s by splitting") % {"dispute": dispute},
            "opts": self.model._meta,
            "dispute": dispute,
            "total": amount_money(dispute.order.total, dispute.order.currency),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })


@admin.register(OrderDisputeStatusChange)
class OrderDisputeStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "orderdispute"
    list_select_related = ["orderdispute", "changed_by"]
