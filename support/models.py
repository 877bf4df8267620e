"""Support tickets: a member asks the platform's staff, staff answer, the ticket is resolved."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketCategory(models.TextChoices):
    ACCOUNT = "account", _("My account")
    PAYMENTS = "payments", _("Payments and payouts")
    DISPUTE = "dispute", _("A dispute")
    TECHNICAL = "technical", _("Something does not work")
    OTHER = "other", _("Something else")


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Waiting for our team")
    PENDING = "pending", _("Answered, waiting for you")
    RESOLVED = "resolved", _("Resolved")


class SupportTicket(models.Model):
    """A question a member asks the platform's staff. Status moves only through `support.services`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_tickets")
    subject = models.CharField(max_length=200)
    category = models.CharField(max_length=12, choices=TicketCategory.choices, default=TicketCategory.OTHER)
    priority = models.CharField(max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="assigned_tickets", limit_choices_to={"is_staff": True})

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-updated_at"], name="ticket_user_idx"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketMessage(models.Model):
    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="ticket_messages")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    is_staff_reply = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "id"], name="ticketmessage_ticket_idx")]

    def __str__(self) -> str:
        return f"message {self.pk} on ticket {self.ticket_id}"
