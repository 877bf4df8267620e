"""Hourly contracts in the admin: staff read time and weekly invoices; a disputed week is decided with the
actions, which call `contracts.hourly` (the charge, the payment and the notices happen there)."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.requests import signed_in_user
from core.admin_actions import ReadOnlyAdminMixin, all_fields, amount_money, run_for_each
from marketplace.admin import StatusChangeAdmin, StatusChangeInline

from . import hourly
from .models import TimeEntry, WeeklyInvoice, WeeklyInvoiceStatusChange


class WeekSplitForm(forms.Form):
    """How much of a disputed week the freelancer is paid: more than nothing, less than the week's amount."""

    freelancer_amount = forms.DecimalField(
        label=_("Freelancer's part"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        help_text=_("Charged to the client's card and paid to the freelancer (less the platform fee); the rest of "
                  "the week is never charged."))
    note = forms.CharField(label=_("Note to both parties"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args: object, invoice: WeeklyInvoice, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.invoice = invoice

    def clean_freelancer_amount(self) -> Decimal:
        amount = self.cleaned_data["freelancer_amount"]
        if amount >= self.invoice.amount:
            raise forms.ValidationError(
                gettext("Less than the week's %(amount)s: to pay it all, resolve by paying in full.")
                % {"amount": amount_money(self.invoice.amount, self.invoice.currency)})
        return amount


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
    actions = ["resolve_release", "resolve_refund", "resolve_split", "charge_due"]

    @admin.display(description=_("amount"), ordering="amount")
    def money(self, obj: WeeklyInvoice) -> str:
        return amount_money(obj.amount, obj.currency)

    @admin.action(description=_("Resolve the dispute: charge and pay in full"))
    def resolve_release(self, request: HttpRequest, queryset: QuerySet[WeeklyInvoice]) -> None:
        run_for_each(self, request, queryset,
                     lambda invoice: hourly.invoice_resolve(invoice=invoice, by=signed_in_user(request),
                                                            resolution="release"),
                     done=ngettext_lazy("%(n)d week decided: paid in full.", "%(n)d weeks decided: paid in full.", "n"))

    @admin.action(description=_("Resolve the dispute: cancel (nothing charged)"))
    def resolve_refund(self, request: HttpRequest, queryset: QuerySet[WeeklyInvoice]) -> None:
        run_for_each(self, request, queryset,
                     lambda invoice: hourly.invoice_resolve(invoice=invoice, by=signed_in_user(request),
                                                            resolution="refund"),
                     done=ngettext_lazy("%(n)d week decided: cancelled, nothing charged.",
                                       "%(n)d weeks decided: cancelled, nothing charged.", "n"))

    @admin.action(description=_("Resolve the dispute: split (the freelancer's part is charged)"))
    def resolve_split(self, request: HttpRequest, queryset: QuerySet[WeeklyInvoice]) -> TemplateResponse | None:
        """An intermediate page asks the freelancer's part; its form posts back to this action."""
        if queryset.count() != 1:
            self.message_user(request, gettext("Split one week at a time: select exactly one."), "error")
            return None
        invoice = queryset.select_related("contract__client", "contract__freelancer").get()
        form = WeekSplitForm(request.POST if "apply" in request.POST else None, invoice=invoice)
        if form.is_bound and form.is_valid():
            amount = form.cleaned_data["freelancer_amount"]
            part = amount_money(amount, invoice.currency)
            note = form.cleaned_data["note"]
            decided = run_for_each(self, request, [invoice],
                                   lambda week: hourly.invoice_resolve(invoice=week, by=signed_in_user(request),
                                                                       resolution="split", freelancer_amount=amount,
                                                                       note=note),
                                   done=gettext("Week split: %(part)s charged and paid to the freelancer, the rest "
                                                "not charged.") % {"part": part})
            if decided:
                return None
        return TemplateResponse(request, "admin/contracts/weeklyinvoice/split.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Resolve %(invoice)s by splitting") % {"invoice": invoice},
            "opts": self.model._meta,
            "invoice": invoice,
            "total": amount_money(invoice.amount, invoice.currency),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description=_("Charge the weeks whose review has ended now"))
    def charge_due(self, request: HttpRequest, queryset: QuerySet[WeeklyInvoice]) -> None:
        counts = hourly.invoices_charge_due()
        self.message_user(request, ngettext("%(charged)d week charged, %(failed)d declined.",
                                            "%(charged)d weeks charged, %(failed)d declined.", counts["charged"])
                          % {"charged": counts["charged"], "failed": counts["failed"]})


@admin.register(WeeklyInvoiceStatusChange)
class WeeklyInvoiceStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "weeklyinvoice"
    list_select_related = ["weeklyinvoice__contract", "changed_by"]
    search_fields = ["weeklyinvoice__contract__title", "changed_by__email"]
