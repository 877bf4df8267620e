from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.locale import text_lazy
from core.models import StatusChange
from core.money import Money, fee_minor, to_minor


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    DISPUTED = "disputed", _("Disputed")
    CANCELLED = "cancelled", _("Cancelled")


class Contract(models.Model):
    """The agreement an accepted proposal becomes: who works for whom, on what, for how much."""

    project = models.OneToOneField("marketplace.Project", on_delete=models.PROTECT, related_name="contract")
    proposal = models.OneToOneField("marketplace.Proposal", on_delete=models.PROTECT, related_name="contract")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_contracts")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="freelancer_contracts")
    title = models.CharField(max_length=200)
    terms = models.TextField(blank=True)
    contract_type = models.CharField(max_length=10, default="fixed", choices=[("fixed", _("Fixed price")),
                                                                              ("hourly", _("Hourly"))])
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="usd")
    # Hourly contracts: the rate agreed (the proposal's bid) and the hours a week the client pays for at most.
    # The limit in force when a week is closed is the one that week is billed under (and is kept on its invoice).
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    weekly_limit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="contract_client_idx"),
            models.Index(fields=["freelancer", "-created_at"], name="contract_freelancer_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_party(self, user: object) -> bool:
        user_id = getattr(user, "pk", None)
        return user_id is not None and user_id in (self.client_id, self.freelancer_id)


class ContractStatusChange(StatusChange):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=ContractStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ContractStatus.choices)


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for funding")
    FUNDED = "funded", _("Funded (in escrow)")
    SUBMITTED = "submitted", _("Work submitted")
    RELEASED = "released", _("Approved and paid")
    REFUNDED = "refunded", _("Refunded")
    DISPUTED = "disputed", _("In dispute")


class ChargebackStatus(models.TextChoices):
    OPEN = "open", _("Chargeback open")
    WON = "won", _("Chargeback won")
    LOST = "lost", _("Chargeback lost")


class Milestone(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="milestones")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="usd")
    due_date = models.DateField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING)
    # The PaymentIntent that funds it; its creation key changes with each new attempt after a failure.
    payment_intent_id = models.CharField(max_length=255, blank=True)
    funding_attempts = models.PositiveIntegerField(default=0)
    funded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_release_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # The client asked for the money back; it is refunded when the freelancer agrees (or staff decide).
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    # A chargeback on the card payment that funded the milestone, as Stripe last said: for staff to act on.
    chargeback = models.CharField(max_length=8, choices=ChargebackStatus.choices, blank=True, db_index=True)
    # The platform fee fixed when the milestone is funded and taken at release; empty until then, when today's
    # PLATFORM_FEE_PERCENT is what the client is shown.
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="milestone_amount_positive")]

    def __str__(self) -> str:
        return self.title

    @property
    def fee_percent_applied(self) -> Decimal:
        """The fee this milestone pays: fixed at funding, today's setting before."""
        if self.fee_percent is not None:
            return self.fee_percent
        return Decimal(str(settings.PLATFORM_FEE_PERCENT))

    def settlement(self) -> "Settlement":
        """Where the milestone's money went or will go, in minor units (uses prefetched disputes if any).

        Released in full: the amount, less its fee. Refunded: all of it to the client. Split by staff: the
        freelancer's share (less its fee) released, the rest refunded. Not settled yet: what approval would pay.
        """
        gross = to_minor(self.amount)
        percent = self.fee_percent_applied
        released = refunded = 0
        split = False
        if self.status == MilestoneStatus.RELEASED:
            released = gross
            for dispute in self.disputes.all():
                if dispute.resolution == Dispute.Resolution.SPLIT and dispute.freelancer_amount is not None:
                    released, split = to_minor(dispute.freelancer_amount), True
            refunded = gross - released
        elif self.status == MilestoneStatus.REFUNDED:
            refunded = gross
        paid_on = 0 if self.status == MilestoneStatus.REFUNDED else released or gross
        fee = fee_minor(paid_on, percent)
        return Settlement(fee_percent=percent, released=released, refunded=refunded, fee=fee,
                          freelancer_receives=paid_on - fee, split=split)


@dataclass(frozen=True)
class Settlement:
    fee_percent: Decimal
    released: int
    refunded: int
    fee: int
    freelancer_receives: int
    split: bool


class MilestoneStatusChange(StatusChange):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=MilestoneStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=MilestoneStatus.choices)
    note = models.TextField(blank=True)


class Submission(models.Model):
    """The freelancer's delivery of a milestone: a note and files. Each request for changes leads to a new one."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="submissions")
    note = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"submission {self.pk} of {self.milestone}"


class SubmissionFile(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="attachments/submissions/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name


class Dispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Resolution(models.TextChoices):
        RELEASE = "release", _("Released to the freelancer")
        REFUND = "refund", _("Refunded to the client")
        SPLIT = "split", _("Split between both")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="disputes")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_opened")
    reason = models.TextField(max_length=5000)
    evidence = models.FileField(upload_to="attachments/disputes/%Y/%m/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    milestone_status_before = models.CharField(max_length=12, choices=MilestoneStatus.choices)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    freelancer_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                            help_text="For a split: the part released to the freelancer")
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["milestone"], condition=models.Q(status="open"),
                                    name="one_open_dispute_per_milestone"),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} on {self.milestone}"

    @property
    def shown_note(self) -> "str | Promise":
        """Staff's note as they wrote it; when they left it empty, what the decision did, in the language of
        whoever reads it (the client and the freelancer may read different ones, so no default is stored)."""
        if self.resolution_note or self.status != self.Status.RESOLVED:
            return self.resolution_note
        if self.resolution == self.Resolution.RELEASE:
            return _("Released to the freelancer by our team.")
        if self.resolution == self.Resolution.REFUND:
            return _("Refunded to the client by our team.")
        if self.resolution == self.Resolution.SPLIT and self.freelancer_amount is not None:
            return text_lazy(_("Split by our team: %(amount)s to the freelancer."),
                             amount=Money.of(self.freelancer_amount, self.milestone.currency))
        return ""


class DisputeStatusChange(StatusChange):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=Dispute.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Dispute.Status.choices)


class DisputeMessage(models.Model):
    """A message in a dispute's thread: an answer from either party or a note from staff, with an optional file
    of evidence. Both parties and staff read the whole thread."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The part the author played when writing: client, freelancer or staff.
    author_role = models.CharField(max_length=10)
    body = models.TextField(max_length=5000, blank=True)
    file = models.FileField(upload_to="attachments/disputes/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.dispute}"


# --- hourly contracts ---------------------------------------------------------------------------


class TimeEntry(models.Model):
    """Time the freelancer logged on an hourly contract: minutes on one day (UTC), with what was done."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="time_entries")
    date = models.DateField()
    minutes = models.PositiveSmallIntegerField()
    memo = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name_plural = _("time entries")
        indexes = [models.Index(fields=["contract", "date"], name="time_entry_contract_date_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(minutes__gte=1, minutes__lte=1440),
                                              name="time_entry_minutes_1_to_1440")]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.date}"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open (week in progress)")
    IN_REVIEW = "in_review", _("In review")
    DISPUTED = "disputed", _("Disputed")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Cancelled (not charged)")


class WeeklyInvoice(models.Model):
    """One week (Monday to Sunday, UTC) of an hourly contract: open while the week runs, then reviewed by the
    client until `review_ends_at`, then charged to the client's saved card and paid to the freelancer.

    Figures are fixed when the week closes: `minutes` logged, `billable_minutes` (at most the weekly limit),
    `amount` = billable hours x rate, rounded half-up to the cent."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="invoices")
    week_start = models.DateField(help_text="the Monday the week starts on")
    status = models.CharField(max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2)
    weekly_limit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    minutes = models.PositiveIntegerField(default=0)
    billable_minutes = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="usd")
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    review_ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Charging the client's card: each new attempt (after a decline) gets a new idempotency key.
    charge_attempts = models.PositiveIntegerField(default=0)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    # Why the last charge failed (declined, or the bank wants the card holder): the invoice waits for a new card.
    payment_error = models.CharField(max_length=500, blank=True)
    charged_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # A dispute: the client's reason, and staff's decision (the milestones' resolutions: release = pay in full,
    # refund = cancel, nothing charged, split = the freelancer's part charged and paid).
    dispute_reason = models.TextField(max_length=5000, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=Dispute.Resolution.choices, blank=True)
    freelancer_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start", "-id"]
        verbose_name = _("weekly invoice")
        constraints = [models.UniqueConstraint(fields=["contract", "week_start"], name="one_invoice_per_week")]

    def __str__(self) -> str:
        return f"week of {self.week_start} on {self.contract}"

    @property
    def shown_note(self) -> "str | Promise":
        """Staff's note on a disputed week as they wrote it; when they left it empty, what the decision did, in
        the language of whoever reads it (the client and the freelancer may read different ones)."""
        if self.resolution_note or not self.resolution:
            return self.resolution_note
        if self.resolution == Dispute.Resolution.RELEASE:
            return _("Paid in full by our team's decision.")
        if self.resolution == Dispute.Resolution.REFUND:
            return _("Cancelled by our team's decision.")
        if self.resolution == Dispute.Resolution.SPLIT and self.freelancer_amount is not None:
            return text_lazy(_("Split by our team: %(part)s for the freelancer."),
                             part=Money.of(self.freelancer_amount, self.currency))
        return ""

    @property
    def over_limit_minutes(self) -> int:
        return self.minutes - self.billable_minutes

    @property
    def amount_due(self) -> Decimal:
        """What the client's card is charged: the amount, or after a split the freelancer's part."""
        if self.resolution == Dispute.Resolution.SPLIT and self.freelancer_amount is not None:
            return self.freelancer_amount
        return self.amount

    def settlement(self) -> "Settlement":
        gross = to_minor(self.charged_amount if self.charged_amount is not None else self.amount_due)
        if self.status == InvoiceStatus.REFUNDED:
            gross = 0
        percent = self.fee_percent if self.fee_percent is not None else Decimal(str(settings.PLATFORM_FEE_PERCENT))
        fee = fee_minor(gross, percent)
        split = self.resolution == Dispute.Resolution.SPLIT
        return Settlement(fee_percent=percent, released=gross if self.status == InvoiceStatus.PAID else 0,
                          refunded=to_minor(self.amount) - gross if split or self.status == InvoiceStatus.REFUNDED
                          else 0, fee=fee, freelancer_receives=gross - fee, split=split)


class WeeklyInvoiceStatusChange(StatusChange):
    weeklyinvoice = models.ForeignKey(WeeklyInvoice, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=InvoiceStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=InvoiceStatus.choices)
    note = models.TextField(blank=True)
