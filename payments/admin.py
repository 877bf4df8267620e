"""Money in the admin, read-only: the ledger, payments, payouts and Stripe records are written by
`payments.services` and `payments.payouts` only. The one thing staff do here is ask held payouts to be
sent again."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

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


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["account", "user", "contract_id", "money", "amount"]
    readonly_fields = fields
    show_change_link = False
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("user")

    @admin.display(description="amount")
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

    @admin.display(description="amount", ordering="amount")
    def money(self, obj: LedgerEntry) -> str:
        return minor_money(obj.amount, obj.currency)


# --- payments and payouts -------------------------------------------------------------------------


def _retry_payouts(modeladmin: admin.ModelAdmin, request: HttpRequest, user_ids: set[int]) -> None:
    """Sends each freelancer's held payouts now (those whose Stripe account can receive), audited."""

    def send(user_id: int) -> None:
        result = payouts.payouts_send(user_id=user_id)
        audit("payout.retry", actor=request.user, new={"user_id": user_id, **result.as_dict()})
        if result.unavailable:
            modeladmin.message_user(request, f"User {user_id}: Stripe is not answering; {result.unavailable} "
                                             "payout(s) stay held and their transfer is finished automatically "
                                             "once it answers.", "warning")
        if result.in_progress:
            modeladmin.message_user(request, f"User {user_id}: {result.in_progress} payout(s) are already being "
                                             "transferred.", "info")
        if result.refused:
            modeladmin.message_user(request, f"User {user_id}: Stripe refused {result.refused} payout(s); see "
                                             "each payout's last error.", "warning")
        if result.held_for_review:
            modeladmin.message_user(request, f"User {user_id}: {result.held_for_review} payout(s) stay held for a "
                                             "fraud review; clear the case to release them.", "warning")
        if not (result.sent or result.unavailable or result.in_progress or result.refused
                or result.held_for_review):
            modeladmin.message_user(request, f"User {user_id}: nothing was sent (no held payout, or the payout "
                                             "account cannot receive yet).", "warning")

    run_for_each(modeladmin, request, sorted(user_ids), send,
                 done="Tried again for {n} freelancer(s); see each payout's status.")


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

    @admin.display(description="amount", ordering="amount")
    def money(self, obj: Payment) -> str:
        return minor_money(obj.amount, obj.currency)

    @admin.action(description="Retry held payouts now")
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

    @admin.display(description="amount", ordering="amount")
    def money(self, obj: Payout) -> str:
        return minor_money(obj.amount, obj.currency)

    @admin.display(description="last error")
    def last_error_short(self, obj: Payout) -> str:
        return obj.last_error[:80]

    @admin.action(description="Retry held payouts now")
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

    @admin.display(description="amount", ordering="amount")
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

    @admin.action(description="Retry held payouts now")
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

    @admin.action(description="Remove the card (detached at Stripe)")
    def remove_cards(self, request: HttpRequest, queryset: QuerySet[SavedCard]) -> None:
        run_for_each(self, request, queryset.select_related("user"),
                     lambda card: methods.card_delete(user=card.user, card_id=card.pk), done="{n} card(s) removed.")


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


@admin.register(ReconciliationMismatch)
class ReconciliationMismatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the daily comparison with Stripe found: open ones first."""

    list_display = ["kind", "key", "stripe_money", "ledger_money", "detail", "first_seen_at", "last_seen_at",
                    "resolved_at"]
    list_filter = ["kind", "currency", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "stripe_object", "detail"]
    ordering = ["-resolved_at", "-last_seen_at"]
    fields = all_fields(ReconciliationMismatch)
    readonly_fields = fields

    @admin.display(description="Stripe")
    def stripe_money(self, obj: ReconciliationMismatch) -> str:
        return minor_money(obj.stripe_amount, obj.currency)

    @admin.display(description="ledger")
    def ledger_money(self, obj: ReconciliationMismatch) -> str:
        return minor_money(obj.ledger_amount, obj.currency)
