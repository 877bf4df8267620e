"""Stripe, the ledger and payouts. Payments knows users and money, not milestones: the contracts app tells
it what a movement is for through plain references (`contract_id`, `milestone_id`) and listens to its
signals."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LedgerAccount(models.TextChoices):
    PLATFORM_CASH = "platform_cash", _("Platform balance at Stripe")
    ESCROW = "escrow", _("Escrow (held for a contract)")
    FREELANCER_PAYABLE = "freelancer_payable", _("Owed to a freelancer")
    PLATFORM_FEES = "platform_fees", _("Platform fees earned")
    STRIPE_FEES = "stripe_fees", _("Stripe's processing and dispute fees (borne by the platform)")
    DISPUTED = "disputed", _("Withdrawn by Stripe while a chargeback is open")
    LOSSES = "losses", _("Lost to chargebacks and refunds made outside the platform")
    SUSPENSE = "suspense", _("Received but not as expected, to be returned")
    SUBSCRIPTION_REVENUE = "subscription_revenue", _("Client Pro subscriptions")


class LedgerTransaction(models.Model):
    """One money movement: a balanced set of entries. `reference` makes each movement happen once."""

    class Kind(models.TextChoices):
        FUNDING = "funding", _("Client funded escrow")
        RELEASE = "release", _("Escrow released to freelancer")
        REFUND = "refund", _("Escrow refunded to client")
        PAYOUT = "payout", _("Transferred to freelancer's account")
        STRIPE_FEE = "stripe_fee", _("Stripe's fee")
        CHARGEBACK = "chargeback", _("Chargeback withdrawn")
        CHARGEBACK_WON = "chargeback_won", _("Chargeback won, funds returned")
        CHARGEBACK_LOST = "chargeback_lost", _("Chargeback lost")
        OUTSIDE_REFUND = "outside_refund", _("Refunded in Stripe's dashboard")
        TRANSFER_REVERSAL = "reversal", _("Transfer reversed")
        UNEXPECTED = "unexpected", _("Payment that did not match, returned")
        SUBSCRIPTION = "subscription", _("Client Pro subscription paid")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    reference = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=255, blank=True)
    contract_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    milestone_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class LedgerEntry(models.Model):
    """A debit (positive) or credit (negative) in integer minor units. The entries of a transaction sum to 0."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(max_length=24, choices=LedgerAccount.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="ledger_entries")
    contract_id = models.BigIntegerField(null=True, blank=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["account", "contract_id"], name="ledger_account_contract_idx"),
            models.Index(fields=["account", "user"], name="ledger_account_user_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} {self.currency}"


class Payment(models.Model):
    """What a user sees in their payments list: one row per movement that concerns them."""

    class Kind(models.TextChoices):
        FUNDING = "funding", _("Milestone funded")
        RELEASE = "release", _("Payment for a milestone")
        FEE = "fee", _("Platform fee")
        REFUND = "refund", _("Refund")
        SUBSCRIPTION = "subscription", _("Client Pro subscription")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class PayoutStatus(models.TextChoices):
        HELD = "held", _("Held until payout details are complete")
        PENDING = "pending", _("Being transferred")
        PAID = "paid", _("Paid out")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="minor units")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    payout_status = models.CharField(max_length=10, choices=PayoutStatus.choices, blank=True)
    description = models.CharField(max_length=255, blank=True)
    contract_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    milestone_id = models.BigIntegerField(null=True, blank=True)
    # What the money was for, as the receipt and the payments list name it: written by the app that moved
    # the money when it moved, so a receipt keeps saying what was paid for and payments never asks above.
    contract_title = models.CharField(max_length=255, blank=True)
    milestone_title = models.CharField(max_length=255, blank=True)
    # Or the order of a service it was for (the order's id and what was ordered), written the same way.
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_title = models.CharField(max_length=255, blank=True)
    ledger_transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="payments")
    stripe_payment_intent = models.CharField(max_length=255, blank=True)
    stripe_refund = models.CharField(max_length=255, blank=True)
    stripe_transfer = models.CharField(max_length=255, blank=True)
    # The person's billing details (name, address, tax ID) as they were when the payment was recorded, so a
    # receipt keeps what it said when they change them later. Empty when they had given none.
    billing_details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="payment_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} for {self.user}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and not self.billing_details and self.user_id:
            from accounts.models import BillingProfile

            profile = BillingProfile.objects.filter(user_id=self.user_id).first()
            self.billing_details = profile.snapshot() if profile is not None else {}
        super().save(*args, **kwargs)

    @property
    def receipt_number(self) -> str:
        """ML-YYYYMMDD-000123: the date of the payment (UTC) and its id."""
        return f"ML-{self.created_at:%Y%m%d}-{self.pk:06d}"

    @property
    def stripe_reference(self) -> str:
        """The Stripe object that moved the money: the refund, the transfer or the PaymentIntent."""
        return self.stripe_refund or self.stripe_transfer or self.stripe_payment_intent

    @property
    def kind_label(self) -> str:
        """What the payment was, as people read it: the kind's label, said for what was paid for. A payment for
        a contract without a milestone is a week of hours (hourly contracts charge and pay by the week); one
        for an order, an order of a service. The API's `kind` stays the kind."""
        from django.utils.translation import gettext

        labels: dict[str, str]
        if self.order_id:
            labels = {self.Kind.FUNDING: gettext("Order paid"), self.Kind.RELEASE: gettext("Payment for an order"),
                      self.Kind.REFUND: gettext("Order refunded")}
        elif self.contract_id and not self.milestone_id:
            labels = {self.Kind.FUNDING: gettext("Weekly hours charged"),
                      self.Kind.RELEASE: gettext("Payment for weekly hours"),
                      self.Kind.REFUND: gettext("Weekly hours refunded")}
        else:
            labels = {}
        return labels.get(self.kind) or self.get_kind_display()


class ConnectedAccount(models.Model):
    """A freelancer's Stripe Connect Express account, where released money is transferred."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connected_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.stripe_account_id} of {self.user}"

    @property
    def can_receive(self) -> bool:
        return self.details_submitted and self.transfers_active


class Payout(models.Model):
    """Net earnings of one release on their way to the freelancer: held, then transferred once."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="payout")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    stripe_transfer_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Stripe keeps a refused request's answer under its idempotency key; after a clear refusal (no
    # balance yet, account not ready) the next try needs a new key, after a network error the same one.
    refusals = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["user", "status"], name="payout_user_status_idx")]

    def __str__(self) -> str:
        return f"payout {self.pk} {self.status}"


class StripeCustomer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_customer")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_customer_id


class SavedCard(models.Model):
    """A card the user saved at Stripe (a PaymentMethod attached to their customer through a SetupIntent), charged
    off-session for hourly work. The newest is the one charged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="saved_cards")
    stripe_payment_method_id = models.CharField(max_length=255, unique=True)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="saved_card_user_idx")]

    def __str__(self) -> str:
        return f"{self.brand} ending {self.last4}"


class ClientSubscription(models.Model):
    """A client's Client Pro subscription at Stripe Billing, as last fetched from Stripe.

    `payments.billing.sync` keeps it (and `User.client_plan_until`, which the marketplace reads) in step
    with Stripe; one row per client, pointing at their latest subscription."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_subscription")
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    # Stripe's words: incomplete, incomplete_expired, trialing, active, past_due, canceled, unpaid, paused.
    status = models.CharField(max_length=24)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} {self.status} of {self.user}"


class PaymentOperation(models.Model):
    """One movement of money asked of Stripe, written down before Stripe is called.

    The record is committed first (under the lock of what it pays for), Stripe is called outside any
    database transaction with the record's idempotency key, and what Stripe did is booked in a transaction
    of its own. An operation left pending or unknown (Stripe did not answer, or the process died) is
    finished by reconciliation: with the same key while Stripe keeps it (24 hours), by the metadata search
    after that. `subject_type`/`subject_id` name what the money is for ("milestone", "42"), as the app that
    asked for it calls it; payments does not look inside.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge (PaymentIntent)")
        REFUND = "refund", _("Refund")
        TRANSFER = "transfer", _("Transfer to a connected account")

    class Status(models.TextChoices):
        PENDING = "pending", _("Written down, Stripe not yet answered")
        SUCCEEDED = "succeeded", _("Stripe did it; not yet booked")
        FAILED = "failed", _("Stripe refused it, or never did it")
        UNKNOWN = "unknown", _("Stripe did not answer")
        BOOKED = "booked", _("Booked in the ledger")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    purpose = models.CharField(max_length=40)
    amount = models.BigIntegerField(help_text="minor units")
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_id = models.CharField(max_length=255, blank=True)
    subject_type = models.CharField(max_length=40)
    subject_id = models.CharField(max_length=64)
    # The parameters of the Stripe call, sent again unchanged when the call is repeated with the same key.
    params = models.JSONField(default=dict)
    # What booking the result needs (who paid, the contract, the receipt's titles, the decision it finishes).
    context = models.JSONField(default=dict, blank=True)
    # What Stripe answered: its status of the object, or the refusal.
    result = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="payop_subject_idx"),
            models.Index(fields=["status", "updated_at"], name="payop_status_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payop_amount_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} {self.status} ({self.idempotency_key})"


class ReconciliationMismatch(models.Model):
    """A difference the daily comparison of the ledger with Stripe found: one row per difference, seen again
    on later runs until it is gone (then `resolved_at` is set)."""

    class Kind(models.TextChoices):
        BALANCE = "balance", _("Platform balance differs from Stripe's")
        MISSING_IN_LEDGER = "missing_in_ledger", _("Stripe moved money the ledger does not know")
        AMOUNT_DIFFERS = "amount_differs", _("The ledger booked another amount than Stripe moved")
        FEE_MISSING = "fee_missing", _("Stripe's fee is not booked")

    key = models.CharField(max_length=160, unique=True, help_text="what differs, e.g. the balance transaction")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    stripe_amount = models.BigIntegerField(help_text="minor units, as Stripe says")
    ledger_amount = models.BigIntegerField(help_text="minor units, as the ledger says")
    stripe_object = models.CharField(max_length=255, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name_plural = _("reconciliation mismatches")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.key}"

    @property
    def difference(self) -> int:
        return self.stripe_amount - self.ledger_amount
