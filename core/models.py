from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .money import CURRENCIES


class OutboundEmail(models.Model):
    """An e-mail the platform decided to send: written in the deciding transaction, sent after commit.

    Rows are the outbox: if the broker or the mail service is down, the beat task sends what is left,
    and the row lock plus `sent_at` make each one go out once.
    """

    to_email = models.EmailField()
    template = models.CharField(max_length=64, db_index=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField()
    dedupe_key = models.CharField(max_length=128, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_pending_idx", condition=models.Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_email}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class OutboundMessage(models.Model):
    """A text message or a mobile push the platform decided to send: the e-mail outbox's sibling, sent by the
    same mechanism (written in the deciding transaction, sent after commit, row lock plus `sent_at`).

    `to` is an E.164 phone number (sms) or an SNS endpoint ARN (push). A `sensitive` message carries a
    one-time code: its text is replaced once sent, and the admin never shows it.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("Text message")
        PUSH = "push", _("Mobile push")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=255)
    template = models.CharField(max_length=64, db_index=True)
    body = models.TextField()
    sensitive = models.BooleanField(default=False)
    dedupe_key = models.CharField(max_length=128, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Not sent and never will be: the device's endpoint was disabled or removed before it went out.
    dropped_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    REDACTED = "[sent; one-time code removed]"

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="message_outbox_pending_idx",
                         condition=models.Q(sent_at__isnull=True, dropped_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} to {self.to}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class AuditEvent(models.Model):
    """A sensitive action on record: who, what, when, from where, and the value before and after.

    Written by `core.audit.audit` only; never edited or deleted (the admin shows it read-only).
    """

    action = models.CharField(max_length=64, db_index=True)
    # PROTECT: an account with a history is suspended, never deleted (the log cannot be rewritten).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="audit_events")
    actor_email = models.CharField(max_length=254, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email or 'system'}"


class StatusChange(models.Model):
    """One move of an object's status, with who made it. Each app's history table adds its object and
    the status choices; `core.status.move` is the one place that writes them."""

    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{getattr(self, 'from_status', '') or 'new'} → {getattr(self, 'to_status', '')}"


class ExchangeRate(models.Model):
    """How many units of `quote` one unit of `base` buys, as staff recorded it on `date` (from `source`).

    Only used to show approximate amounts in a person's display currency beside the real amount; money always
    moves in the contract's own currency."""

    base = models.CharField(max_length=3, choices=CURRENCIES)
    quote = models.CharField(max_length=3, choices=CURRENCIES)
    rate = models.DecimalField(max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))])
    date = models.DateField()
    source = models.CharField(max_length=200, blank=True, help_text="Where the rate comes from, e.g. ECB")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["base", "quote", "date"], name="exchange_rate_unique_per_day"),
            models.CheckConstraint(condition=~models.Q(base=models.F("quote")), name="exchange_rate_two_currencies"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base.upper()} = {self.rate} {self.quote.upper()} ({self.date})"
