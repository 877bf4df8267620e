"""A service is what a freelancer sells ready-made: up to three packages, optional extras and a gallery.

Browsing shows thousands of services at once, so each service keeps beside its packages the figures a card
shows (the cheapest price, the fastest delivery, its rating): the list reads one row per card.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.locale import text_lazy
from core.models import StatusChange
from core.money import Money

CURRENCIES = [("usd", "US dollar"), ("eur", "Euro"), ("gbp", "Pound sterling")]


class ServiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")


class Service(models.Model):
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="services")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=10000)
    category = models.ForeignKey("marketplace.Category", on_delete=models.PROTECT, related_name="services",
                                 null=True, blank=True)
    skills = models.ManyToManyField("accounts.Skill", blank=True, related_name="services")
    # The skills' names, kept beside the relation so full-text search can weigh them like the title.
    skills_text = models.CharField(max_length=2000, blank=True, editable=False)
    # What the seller needs from the buyer to start, one question per line; the buyer answers when ordering.
    requirements = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=8, choices=ServiceStatus.choices, default=ServiceStatus.DRAFT)
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="usd")

    # Kept by the services that change packages and reviews, for the browse cards and their ordering.
    price_from = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, editable=False)
    fastest_delivery_days = models.PositiveIntegerField(null=True, blank=True, editable=False)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    orders_completed = models.PositiveIntegerField(default=0, editable=False)

    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="service_active_newest_idx",
                         condition=Q(status="active")),
            models.Index(fields=["seller", "-created_at"], name="service_seller_idx"),
            models.Index(fields=["price_from"], name="service_price_idx", condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        return self.title


class ServiceStatusChange(StatusChange):
    """Every move of a service's status (published, paused, activated again), with who made it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=8, choices=ServiceStatus.choices, blank=True)
    to_status = models.CharField(max_length=8, choices=ServiceStatus.choices)


class PackageTier(models.TextChoices):
    BASIC = "basic", _("Basic")
    STANDARD = "standard", _("Standard")
    PREMIUM = "premium", _("Premium")


class ServicePackage(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="packages")
    tier = models.CharField(max_length=8, choices=PackageTier.choices)
    title = models.CharField(max_length=80)
    description = models.TextField(max_length=2000, help_text="What is included")
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(5)])
    delivery_days = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(90)])
    revisions = models.PositiveIntegerField(default=1, validators=[MaxValueValidator(20)])

    class Meta:
        ordering = ["service", "price", "id"]
        constraints = [models.UniqueConstraint(fields=["service", "tier"], name="one_package_per_tier")]

    def __str__(self) -> str:
        return f"{self.service} — {self.get_tier_display()}"


class ServiceExtra(models.Model):
    """Something the buyer may add to any package, for a price and some extra days."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="extras")
    title = models.CharField(max_length=80)
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(1)])
    delivery_days = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(90)])

    class Meta:
        ordering = ["service", "id"]

    def __str__(self) -> str:
        return self.title


class ServiceImage(models.Model):
    """One picture of the gallery, re-encoded on upload; the first (lowest position) is the card's picture."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="services/%Y/%m/")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "position", "id"]

    def __str__(self) -> str:
        return f"Image {self.position} of {self.service}"


# --- orders -------------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    DISPUTED = "disputed", _("In dispute")


class Order(models.Model):
    """A client's order of one package of a service (with extras), paid into escrow when placed.

    The package and the extras are copied onto the order when it is placed, so the seller changing the service
    later changes nothing the buyer bought. The money is held like a milestone's (`contracts.holdings`):
    released to the seller less the fee fixed at payment when the buyer accepts, or refunded."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_placed")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_received")
    # What was bought, as it was then.
    tier = models.CharField(max_length=8, choices=PackageTier.choices)
    service_title = models.CharField(max_length=120)
    package_title = models.CharField(max_length=80)
    package_description = models.TextField(max_length=2000, blank=True)
    package_price = models.DecimalField(max_digits=12, decimal_places=2)
    package_delivery_days = models.PositiveIntegerField()
    revisions_allowed = models.PositiveIntegerField()
    # [{"id", "title", "price" (a decimal string), "delivery_days"}]
    extras = models.JSONField(default=list, blank=True)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    delivery_days = models.PositiveIntegerField(help_text="The package's days plus the extras'")
    # The seller's questions and the buyer's answers, as they were when the order was placed.
    requirements_questions = models.TextField(max_length=5000, blank=True)
    requirements = models.TextField(max_length=10000, blank=True)

    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    revisions_used = models.PositiveIntegerField(default=0)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    funding_attempts = models.PositiveIntegerField(default=0)
    # The platform fee fixed when the order is paid and taken at acceptance.
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # One party asked to cancel; the order is cancelled (and refunded) when the other agrees.
    cancel_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+")
    status_before_dispute = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    auto_complete_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # A chargeback on the card payment that paid the order, as Stripe last said ("open", "won", "lost"): for staff.
    chargeback = models.CharField(max_length=8, blank=True, db_index=True)
    released_minor = models.BigIntegerField(default=0, help_text="Released to the seller before the fee")
    refunded_minor = models.BigIntegerField(default=0, help_text="Refunded to the buyer")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="order_buyer_idx"),
            models.Index(fields=["seller", "-created_at"], name="order_seller_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="order_total_positive")]

    def __str__(self) -> str:
        return f"Order #{self.pk}: {self.service_title} ({self.package_title})"

    @property
    def title(self) -> str:
        return f"{self.service_title} — {self.package_title}"

    def is_party(self, user: object) -> bool:
        user_id = getattr(user, "pk", None)
        return user_id is not None and user_id in (self.buyer_id, self.seller_id)

    @property
    def revisions_left(self) -> int:
        return max(0, self.revisions_allowed - self.revisions_used)


class OrderStatusChange(StatusChange):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    note = models.TextField(blank=True)


class OrderDelivery(models.Model):
    """The seller's delivery of an order: a note and files. A revision request leads to a new one."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deliveries")
    note = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("order deliveries")

    def __str__(self) -> str:
        return f"delivery {self.pk} of order {self.order_id}"


class OrderDeliveryFile(models.Model):
    """A delivered file, private to the order's two parties (served through a checked download)."""

    delivery = models.ForeignKey(OrderDelivery, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="attachments/orders/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name


class OrderEvent(models.Model):
    """One line of an order's timeline: everything that happened to it, in order, with who did it."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("Order placed")
        PAID = "paid", _("Paid into escrow")
        REQUIREMENTS = "requirements", _("Requirements")
        DELIVERED = "delivered", _("Delivered")
        REVISION = "revision_requested", _("Revision requested")
        MESSAGE = "message", _("Message")
        ACCEPTED = "accepted", _("Accepted")
        AUTO_COMPLETED = "auto_completed", _("Completed automatically")
        CANCEL_REQUESTED = "cancel_requested", _("Cancellation requested")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Dispute opened")
        DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")
        DISPUTE_WITHDRAWN = "dispute_withdrawn", _("Dispute withdrawn")
        REVIEWED = "reviewed", _("Reviewed")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    text = models.TextField(max_length=10000, blank=True)
    delivery = models.ForeignKey(OrderDelivery, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="order_event_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on order {self.order_id}"


class OrderDispute(models.Model):
    """A dispute on an order, moved through the contracts' dispute table (`contracts.escrow.DISPUTE_MOVES`):
    open until staff resolve it (release, refund or split) or its opener withdraws it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Resolution(models.TextChoices):
        RELEASE = "release", _("Released to the seller")
        REFUND = "refund", _("Refunded to the buyer")
        SPLIT = "split", _("Split between both")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    order_status_before = models.CharField(max_length=20, choices=OrderStatus.choices)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    freelancer_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                            help_text="For a split: the part released to the seller")
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["order"], condition=Q(status="open"),
                                               name="one_open_dispute_per_order")]

    def __str__(self) -> str:
        return f"dispute {self.pk} on order {self.order_id}"

    @property
    def shown_note(self) -> "str | Promise":
        """Staff's note as they wrote it; when they left it empty, what the decision did, in the language of
        whoever reads it (the buyer and the seller may read different ones, so no default is stored)."""
        if self.resolution_note or self.status != self.Status.RESOLVED:
            return self.resolution_note
        if self.resolution == self.Resolution.RELEASE:
            return _("Released to the seller by our team.")
        if self.resolution == self.Resolution.REFUND:
            return _("Refunded to the buyer by our team.")
        if self.resolution == self.Resolution.SPLIT and self.freelancer_amount is not None:
            return text_lazy(_("Split by our team: %(amount)s to the seller."),
                             amount=Money.of(self.freelancer_amount, self.order.currency))
        return ""


class OrderDisputeStatusChange(StatusChange):
    orderdispute = models.ForeignKey(OrderDispute, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=OrderDispute.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=OrderDispute.Status.choices)


class OrderDisputeMessage(models.Model):
    """A message in an order dispute's thread: an answer from the buyer or the seller, or a note from staff, with an
    optional file of evidence. Both parties and staff read the whole thread; nobody else sees it."""

    dispute = models.ForeignKey(OrderDispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The part the author played when writing: client (the buyer), freelancer (the seller) or staff.
    author_role = models.CharField(max_length=10)
    body = models.TextField(max_length=5000, blank=True)
    file = models.FileField(upload_to="attachments/order-disputes/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.dispute}"
