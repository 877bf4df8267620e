"""Fraud cases for staff: each with its score and reasons; clearing releases the held payouts, confirming fraud
suspends the account. The actions call the services, which audit every decision."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.requests import signed_in_user
from core.admin_actions import ReadOnlyAdminMixin, all_fields, run_for_each

from . import services
from .models import AccountRisk, PaymentRisk, RiskCase, RiskSignal


def _reasons_html(reasons: list[dict]) -> str:
    return format_html_join("", "<p>+{} {}</p>", ((r.get("points"), r.get("detail")) for r in reasons or [])) or "—"


@admin.register(RiskCase)
class RiskCaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "user", "score", "rules", "status", "opened_at", "decided_by", "decided_at"]
    list_select_related = ["user", "decided_by"]
    list_filter = ["status"]
    search_fields = ["user__email", "user__last_name"]
    date_hierarchy = "opened_at"
    ordering = ["-opened_at", "-id"]
    readonly_fields = [*all_fields(RiskCase), "reasons_shown"]
    actions = ["clear", "confirm_fraud"]

    @admin.display(description=_("rules"))
    def rules(self, obj: RiskCase) -> str:
        return ", ".join(reason.get("rule", "") for reason in obj.reasons or [])

    @admin.display(description=_("reasons"))
    def reasons_shown(self, obj: RiskCase) -> str:
        return _reasons_html(obj.reasons)

    @admin.action(description=_("Clear: nothing wrong, release the held payouts"))
    def clear(self, request: HttpRequest, queryset: QuerySet[RiskCase]) -> None:
        run_for_each(self, request, queryset.select_related("user"),
                     lambda case: services.case_clear(case=case, by=signed_in_user(request)),
                     done=ngettext_lazy("%(n)d case cleared; its held payouts are being sent.",
                                        "%(n)d cases cleared; their held payouts are being sent.", "n"))

    @admin.action(description=_("Confirm fraud: suspend the account"))
    def confirm_fraud(self, request: HttpRequest, queryset: QuerySet[RiskCase]) -> None:
        run_for_each(self, request, queryset.select_related("user"),
                     lambda case: services.case_confirm_fraud(case=case, by=signed_in_user(request)),
                     done=ngettext_lazy("%(n)d case confirmed as fraud; the account is suspended.",
                                        "%(n)d cases confirmed as fraud; the accounts are suspended.", "n"))


@admin.register(AccountRisk)
class AccountRiskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "score", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    ordering = ["-score", "-updated_at"]
    readonly_fields = [*all_fields(AccountRisk), "reasons_shown"]

    @admin.display(description=_("reasons"))
    def reasons_shown(self, obj: AccountRisk) -> str:
        return _reasons_html(obj.reasons)


@admin.register(PaymentRisk)
class PaymentRiskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["payment", "score", "updated_at"]
    list_select_related = ["payment", "payment__user"]
    search_fields = ["payment__user__email"]
    ordering = ["-score", "-updated_at"]
    readonly_fields = [*all_fields(PaymentRisk), "reasons_shown"]

    @admin.display(description=_("reasons"))
    def reasons_shown(self, obj: PaymentRisk) -> str:
        return _reasons_html(obj.reasons)


@admin.register(RiskSignal)
class RiskSignalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "user", "ip_address", "device_id", "card_country"]
    list_select_related = ["user"]
    list_filter = ["kind"]
    search_fields = ["user__email", "=ip_address", "=device_id", "=card_fingerprint"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(RiskSignal)
