"""Hourly contracts in the admin: staff read time and weekly invoices; a disputed week is decided with the
actions, which call `contracts.hourly` (the charge, the payment and the notices happen there)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_actions import ReadOnlyAdminMixin, all_fields, amount_money, run_for_each
from marketplace.admin import StatusChangeAdmin, StatusChangeInline

from . import hourly
from .models import TimeEntry, WeeklyInvoice, WeeklyInvoiceStatusChange


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["contract", "date", "minutes", "memo", "created_at"]
    list_select_related = ["contract"]
    search_fields = ["contract__title", "memo"]
    date_hierarchy = "date"
    ordering = ["-date", "-id"]
    readonly_fields = all_fields(TimeEntry)


class WeeklyInvoiceStatusChangeInline(StatusChangeInline):
    model = WeeklyInvoiceStatusChange


@admin.register(WeeklyInvoice)
class WeeklyInvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "minutes", "billable_minutes", "money", "review_ends_at", "payment_error",
                    "paid_at"]
    list_select_related = ["contract"]
    list_filter = ["status", "resolution"]
    search_fields = ["contract__title", "dispute_reason"]
    date_hierarchy = "week_start"
    ordering = ["-week_start", "-id"]
    readonly_fields = all_fields(WeeklyInvoice)
    inlines = [WeeklyInvoiceStatusChangeInline]
    actions = ["resolve_release", "resolve_refund", "charge_due"]

    @admin.display(description="amount", ordering="amount")
    def money(self, obj: WeeklyInvoice) -> str:
        return amount_money(obj.amount, obj.currency)

    @admin.action(description="Resolve the dispute: charge and pay in full")
    def resolve_release(self, request: HttpRequest, queryset: QuerySet[WeeklyInvoice]) -> None:
        run_for_each(self, request, queryset,
                     lambda invoice: hourly.invoice_resolve(invoice=invoice, by=request.user, resolution="release",
                                                            note="Paid in full by our team's decision."),
                     done="{n} week(s) decided: paid in full.")

    @admin.action(description="Resolve the dispute: cancel (nothing charged)")
    def resolve_refund(self, request: HttpRequest, queryset: QuerySet[WeeklyInvoice]) -> None:
        run_for_each(self, request, queryset,
                     lambda invoice: hourly.invoice_resolve(invoice=invoice, by=request.user, resolution="refund",
                                                            note="Cancelled by our team's decision."),
                     done="{n} week(s) decided: cancelled, nothing charged.")

    @admin.action(description="Charge the weeks whose review has ended now")
    def charge_due(self, request: HttpRequest, queryset: QuerySet[WeeklyInvoice]) -> None:
        counts = hourly.invoices_charge_due()
        self.message_user(request, f"{counts['charged']} week(s) charged, {counts['failed']} declined.")


@admin.register(WeeklyInvoiceStatusChange)
class WeeklyInvoiceStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "weeklyinvoice"
    list_select_related = ["weeklyinvoice__contract", "changed_by"]
    search_fields = ["weeklyinvoice__contract__title", "changed_by__email"]
