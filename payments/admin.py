"""Money in the admin, read-only: the ledger, payments, payouts and Stripe records are written by
`payments.services` and `payments.payouts` only. The one thing staff do here is ask held payouts to be
sent again."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin_actions import ReadOnlyAdminMixin, ReadOnlyInline, all_fields, minor_money, run_for_each
from core.audit import audit

from . import methods, payouts
from .models import (
    ClientSubscription,
    ConnectedAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentOperation,
    Payout,
    ReconciliationMismatch,
    SavedCard,
    StripeCustomer,
)

# --- the ledger -----------------------------------------------------------------------------------


_LEDGER_ENTRY_FIELDS = ("account", "user", "contract_id", "money", "amount")


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = _LEDGER_ENTRY_FIELDS
    readonly_fields = _LEDGER_ENTRY_FIELDS
    show_change_link = False
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("amount"))
    def money(self, obj: LedgerEntry) -> str:
        return minor_money(obj.amount, obj.currency)


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "kind", "reference", "description", "contract_id", "milestone_id", "created_at"]
    list_filter = ["kind"]
    search_fields = ["reference", "description", "=contract_id", "=milestone_id"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = all_fields(LedgerTransaction)
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "transaction", "account", "user", "contract_id", "money", "amount"]
    list_select_related = ["transaction", "user"]
    list_filter = ["account", "currency", "transaction__kind"]
    search_fields = ["transaction__reference", "user__email", "=contract_id"]
    date_hierarchy = "transaction__created_at"
    ordering = ["-id"]
    readonly_fields = all_fields(LedgerEntry)

    @admin.display(description=_("amount"), ordering="amount")
    def money(self, obj: LedgerEntry) -> str:
        return minor_money(obj.amount, obj.currency)


# --- payments and payouts -------------------------------------------------------------------------


def _retry_payouts(modeladmin: admin.ModelAdmin, request: HttpRequest, user_ids: set[int]) -> None:
    """Sends each freelancer's held payouts now (those whose Stripe account can receive), audited."""

    def send(user_id: int) -> None:
        result = payouts.payouts_send(user_id=user_id)
        audit("payout.retry", actor=request.user, new={"user_id": user_id, **result.as_dict()})
        if result.unavailable:
            modeladmin.message_user(request, ngettext(
                "User %(user)s: Stripe is not answering; %(count)d payout stays held and its transfer is finished "
                "automatically once it answers.",
                "User %(user)s: Stripe is not answering; %(count)d payouts stay held and their transfer is finished "
                "automatically once it answers.", result.unavailable) % {"user": user_id, "count": result.unavailable},
                "warning")
        if result.in_progress:
            modeladmin.message_user(request, ngettext(
                "User %(user)s: %(count)d payout is already being transferred.",
                "User %(user)s: %(count)d payouts are already being transferred.", result.in_progress)
                % {"user": user_id, "count": result.in_progress}, "info")
        if result.refused:
            modeladmin.message_user(request, ngettext(
                "User %(user)s: Stripe refused %(count)d payout; see its last error.",
                "User %(user)s: Stripe refused %(count)d payouts; see each payout's last error.", result.refused)
                % {"user": user_id, "count": result.refused}, "warning")
        if result.held_for_review:
            modeladmin.message_user(request, ngettext(
                "User %(user)s: %(count)d payout stays held for a fraud review; clear the case to release it.",
                "User %(user)s: %(count)d payouts stay held for a fraud review; clear the case to release them.",
                result.held_for_review) % {"user": user_id, "count": result.held_for_review}, "warning")
        if not (result.sent or result.unavailable or result.in_progress or result.refused
                or result.held_for_review):
            modeladmin.message_user(request, gettext(
                "User %(user)s: nothing was sent (no held payout, or the payout account cannot receive yet).")
                % {"user": user_id}, "warning")

    run_for_each(modeladmin, request, sorted(user_ids), send,
                 done=ngettext_lazy("Tried again for %(n)d freelancer; see each payout's status.",
                                    "Tried again for %(n)d freelancers; see each payout's status.", "n"))


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "user", "kind", "money", "status", "payout_status", "contract_id",
                    "milestone_id"]
    list_select_related = ["user"]
    list_filter = ["kind", "status", "payout_status", "currency"]
    search_fields = ["user__email", "description", "stripe_payment_intent", "stripe_refund", "stripe_transfer",
                     "=contract_id", "=milestone_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(Payment)
    actions = ["retry_held_payouts"]

    @admin.display(description=_("amount"), ordering="amount")
    def money(self, obj: Payment) -> str:
        return minor_money(obj.amount, obj.currency)

    @admin.action(description=_("Retry held payouts now"))
    def retry_held_payouts(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _retry_payouts(self, request, set(queryset.filter(payout_status=Payment.PayoutStatus.HELD)
                                          .values_list("user_id", flat=True)))


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "user", "money", "status", "attempts", "refusals", "paid_at",
                    "stripe_transfer_id", "last_error_short"]
    list_select_related = ["user"]
    list_filter = ["status", "currency"]
    search_fields = ["user__email", "stripe_transfer_id", "last_error"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = all_fields(Payout)
    actions = ["retry_held_payouts"]

    @admin.display(description=_("amount"), ordering="amount")
    def money(self, obj: Payout) -> str:
        return minor_money(obj.amount, obj.currency)

    @admin.display(description=_("last error"))
    def last_error_short(self, obj: Payout) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Retry held payouts now"))
    def retry_held_payouts(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _retry_payouts(self, request, set(queryset.filter(status=Payout.Status.HELD)
                                          .values_list("user_id", flat=True)))


@admin.register(PaymentOperation)
class PaymentOperationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each movement of money asked of Stripe: one left unknown (Stripe did not answer) or succeeded and not yet
    booked is finished by reconciliation."""

    list_display = ["id", "created_at", "kind", "purpose", "subject_type", "subject_id", "money", "status",
                    "attempts", "stripe_id", "idempotency_key"]
    list_filter = ["status", "kind", "purpose", "currency"]
    search_fields = ["idempotency_key", "stripe_id", "=subject_id"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = all_fields(PaymentOperation)

    @admin.display(description=_("amount"), ordering="amount")
    def money(self, obj: PaymentOperation) -> str:
        return minor_money(obj.amount, obj.currency)


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "stripe_account_id", "details_submitted", "transfers_active", "payouts_enabled",
                    "created_at", "updated_at"]
    list_select_related = ["user"]
    list_filter = ["details_submitted", "transfers_active", "payouts_enabled", "charges_enabled"]
    search_fields = ["user__email", "stripe_account_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(ConnectedAccount)
    actions = ["retry_held_payouts"]

    @admin.action(description=_("Retry held payouts now"))
    def retry_held_payouts(self, request: HttpRequest, queryset: QuerySet[ConnectedAccount]) -> None:
        _retry_payouts(self, request, set(queryset.values_list("user_id", flat=True)))


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "stripe_customer_id", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "stripe_customer_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(StripeCustomer)


@admin.register(SavedCard)
class SavedCardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A client's saved cards; removing one detaches it at Stripe through `payments.methods`."""

    list_display = ["user", "brand", "last4", "exp_month", "exp_year", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "stripe_payment_method_id", "last4"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(SavedCard)
    actions = ["remove_cards"]

    @admin.action(description=_("Remove the card (detached at Stripe)"))
    def remove_cards(self, request: HttpRequest, queryset: QuerySet[SavedCard]) -> None:
        run_for_each(self, request, queryset.select_related("user"),
                     lambda card: methods.card_delete(user=card.user, card_id=card.pk),
                     done=ngettext_lazy("%(n)d card removed.", "%(n)d cards removed.", "n"))


@admin.register(ClientSubscription)
class ClientSubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "stripe_subscription_id", "status", "current_period_end", "cancel_at_period_end",
                    "updated_at"]
    list_select_related = ["user"]
    list_filter = ["status", "cancel_at_period_end"]
    search_fields = ["user__email", "stripe_subscription_id"]
    date_hierarchy = "created_at"
    ordering = ["-updated_at", "-id"]
    readonly_fields = all_fields(ClientSubscription)


_MISMATCH_FIELDS = tuple(all_fields(ReconciliationMismatch))


@admin.register(ReconciliationMismatch)
class ReconciliationMismatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the daily comparison with Stripe found: open ones first."""

    list_display = ["kind", "key", "stripe_money", "ledger_money", "detail", "first_seen_at", "last_seen_at",
                    "resolved_at"]
    list_filter = ["kind", "currency", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "stripe_object", "detail"]
    ordering = ["-resolved_at", "-last_seen_at"]
    fields = _MISMATCH_FIELDS
    readonly_fields = _MISMATCH_FIELDS

    @admin.display(description=_("Stripe"))
    def stripe_money(self, obj: ReconciliationMismatch) -> str:
        return minor_money(obj.stripe_amount, obj.currency)

    @admin.display(description=_("ledger"))
    def ledger_money(self, obj: ReconciliationMismatch) -> str:
        return minor_money(obj.ledger_amount, obj.currency)
