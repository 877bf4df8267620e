from django.conf import settings
from django.db import models


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    DISPUTED = "disputed", "Disputed"
    CANCELLED = "cancelled", "Cancelled"


class Contract(models.Model):
    """The agreement an accepted proposal becomes: who works for whom, on what, for how much."""

    project = models.OneToOneField("marketplace.Project", on_delete=models.PROTECT, related_name="contract")
    proposal = models.OneToOneField("marketplace.Proposal", on_delete=models.PROTECT, related_name="contract")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_contracts")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="freelancer_contracts")
    title = models.CharField(max_length=200)
    terms = models.TextField(blank=True)
    contract_type = models.CharField(max_length=10, default="fixed", choices=[("fixed", "Fixed price"),
                                                                              ("hourly", "Hourly")])
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="usd")
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


class ContractStatusChange(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=ContractStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ContractStatus.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"
