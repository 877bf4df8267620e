"""What the fraud checks saw and decided: the signals (sign-ups and cards, with the address and device they came
from), each account's and each payment's score with its reasons, and the cases staff decide."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RiskSignal(models.Model):
    """One thing an account did that the velocity rules count: a sign-up, a card used, a card declined."""

    class Kind(models.TextChoices):
        SIGNUP = "signup", _("Sign-up")
        CARD = "card", _("Card used")
        CARD_DECLINED = "card_declined", _("Card declined")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk_signals")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    device_id = models.CharField(max_length=64, blank=True, help_text=_("The browser's or app's device id"))
    card_fingerprint = models.CharField(max_length=64, blank=True, help_text=_("Stripe's fingerprint of the card"))
    card_country = models.CharField(max_length=2, blank=True, help_text=_("Where the card was issued, as Stripe says"))
    amount = models.BigIntegerField(null=True, blank=True, help_text=_("minor units"))
    currency = models.CharField(max_length=3, blank=True)
    stripe_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ip_address", "created_at"], name="risksignal_ip_idx"),
            models.Index(fields=["device_id", "created_at"], name="risksignal_device_idx"),
            models.Index(fields=["user", "kind"], name="risksignal_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.user}"


class AccountRisk(models.Model):
    """An account's score (0 to 100) with the reasons that make it up, as last computed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk")
    score = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True, help_text=_("[{rule, points, detail}, ...]"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("account risk")
        ordering = ["-score", "-updated_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.score}"


class PaymentRisk(models.Model):
    """A payment's score: its account's reasons and the payment's own."""

    payment = models.OneToOneField("payments.Payment", on_delete=models.CASCADE, related_name="risk")
    score = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment risk")
        ordering = ["-score", "-updated_at"]

    def __str__(self) -> str:
        return f"{self.payment}: {self.score}"


class RiskCase(models.Model):
    """A high score waiting for staff: the account's payouts stay held until the case is cleared; confirmed
    fraud suspends the account."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        CLEARED = "cleared", _("Cleared")
        FRAUD = "fraud", _("Fraud confirmed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk_cases")
    payment = models.ForeignKey("payments.Payment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="risk_cases", help_text=_("The payment that raised the case, if one did"))
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user"], condition=Q(status="open"),
                                               name="riskcase_one_open_per_user")]

    def __str__(self) -> str:
        return f"Case {self.pk}: {self.user} ({self.score})"
