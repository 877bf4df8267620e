from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Chat(models.Model):
    """A conversation between one client and one freelancer, optionally about a project or a contract.

    The subject is named by an "app.Model" string and an id, so messaging needs no import of the apps
    above it; "" and 0 mean a chat about nothing in particular. One chat per pair and subject.
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_chats")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="freelancer_chats")
    subject_type = models.CharField(max_length=40, blank=True, default="")
    subject_id = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "freelancer", "subject_type", "subject_id"],
                                    name="one_chat_per_pair_and_subject"),
            models.CheckConstraint(condition=~Q(client=models.F("freelancer")), name="chat_two_people"),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk}: {self.client} and {self.freelancer}"

    def participant_ids(self) -> tuple[int, int]:
        return (self.client_id, self.freelancer_id)

    def has_participant(self, user: object) -> bool:
        return getattr(user, "pk", None) in self.participant_ids()

    def other_id(self, user_id: int) -> int:
        return self.freelancer_id if user_id == self.client_id else self.client_id


class ChatMember(models.Model):
    """What one participant has done with a chat: archived it, read and received up to which message."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships")
    archived_at = models.DateTimeField(null=True, blank=True)
    last_read_message_id = models.PositiveBigIntegerField(default=0)
    last_delivered_message_id = models.PositiveBigIntegerField(default=0)
    last_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chat", "user"], name="one_membership_per_user")]
        indexes = [models.Index(fields=["user", "archived_at"], name="chatmember_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} in chat {self.chat_id}"


class Message(models.Model):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent")
    content = models.TextField(max_length=5000, blank=True)
    # Chosen by the sending app; a send repeated with the same id stores nothing new.
    client_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    is_flagged = models.BooleanField(default=False)
    attachment = models.FileField(upload_to="attachments/chat/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "sender", "client_id"], condition=~Q(client_id=""),
                                    name="message_client_id_once"),
        ]
        indexes = [models.Index(fields=["chat", "id"], name="message_chat_idx")]

    def __str__(self) -> str:
        return f"message {self.pk} in chat {self.chat_id}"


class Violation(models.Model):
    """Contact details or outside links masked in a message before a contract existed, for staff to review."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="violations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="violations")
    kinds = models.JSONField(default=list)
    original_content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolution = models.CharField(max_length=20, blank=True, choices=[("dismissed", _("Dismissed")),
                                                                     ("warned", _("User warned"))])

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{', '.join(self.kinds)} by {self.user}"


class Block(models.Model):
    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once")]

    def __str__(self) -> str:
        return f"{self.blocker} blocked {self.blocked}"


class NotificationKind(models.TextChoices):
    PROJECT_CREATED = "project_created", _("Project posted")
    PROPOSAL_RECEIVED = "proposal_received", _("New proposal")
    PROPOSAL_ACCEPTED = "proposal_accepted", _("Proposal accepted")
    PROPOSAL_REJECTED = "proposal_rejected", _("Proposal not selected")
    INVITE_RECEIVED = "invite_received", _("Invitation to a project")
    CONTRACT_CREATED = "contract_created", _("Contract started")
    MILESTONE_FUNDED = "milestone_funded", _("Milestone funded")
    MILESTONE_SUBMITTED = "milestone_submitted", _("Work submitted")
    MILESTONE_APPROVED = "milestone_approved", _("Milestone approved")
    MILESTONE_CHANGES = "milestone_changes_requested", _("Changes requested")
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    PAYOUT_SENT = "payout_sent", _("Payout sent")
    DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
    DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")
    REVIEW_RECEIVED = "review_received", _("New review")
    MESSAGE_RECEIVED = "message_received", _("New message")
    SECURITY = "security", _("Account security")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    MONEY_ALERT = "money_alert", _("Money that needs staff attention")
    SAVED_SEARCH_MATCH = "saved_search_match", _("New project for a saved search")
    SAVED_SEARCH_DIGEST = "saved_search_digest", _("Daily digest of saved searches")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    message = models.TextField(max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
            models.Index(fields=["user"], name="notification_unread_idx", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user}"


# Kinds texted by default to a verified phone number: the account's security and its money. Others only when
# the member turns them on.
SMS_DEFAULT_KINDS = frozenset({
    NotificationKind.SECURITY, NotificationKind.MILESTONE_FUNDED, NotificationKind.MILESTONE_APPROVED,
    NotificationKind.PAYMENT_RECEIVED, NotificationKind.PAYOUT_SENT, NotificationKind.PAYMENT_FAILED,
    NotificationKind.DISPUTE_OPENED, NotificationKind.DISPUTE_RESOLVED, NotificationKind.MONEY_ALERT,
})


class NotificationPreference(models.Model):
    """Per kind: in the app, by e-mail, by text message, by push to the member's mobile devices.

    A kind without a row, or a channel left empty (`sms`, `push` null), uses the defaults: in the app, e-mail
    and push on; text messages on for `SMS_DEFAULT_KINDS` only.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(null=True, blank=True)
    push = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"


class Device(models.Model):
    """A member's phone or tablet that gets pushes: its FCM or APNs token and the SNS platform endpoint made for
    it. A token belongs to one member at a time: registering it again moves it to whoever is signed in."""

    class Platform(models.TextChoices):
        FCM = "fcm", _("Android (FCM)")
        APNS = "apns", _("iOS (APNs)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(max_length=8, choices=Platform.choices)
    token = models.CharField(max_length=1024)
    endpoint_arn = models.CharField(max_length=512)
    created_at = models.DateTimeField(auto_now_add=True)
    registered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["platform", "token"], name="device_token_once")]
        indexes = [models.Index(fields=["endpoint_arn"], name="device_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} device of {self.user_id}"
