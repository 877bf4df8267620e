from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import StatusChange

CURRENCIES = [("usd", _("US dollar")), ("eur", _("Euro")), ("gbp", _("Pound sterling"))]


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class BudgetType(models.TextChoices):
    FIXED = "fixed", _("Fixed price")
    HOURLY = "hourly", _("Hourly")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INVITE_ONLY = "invite_only", _("Invite only")


class Project(models.Model):
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=20000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="projects", null=True, blank=True)
    skills = models.ManyToManyField("accounts.Skill", blank=True, related_name="projects")
    # The skills' names, kept beside the relation so full-text search can weigh them like the title.
    skills_text = models.CharField(max_length=2000, blank=True, editable=False)
    budget_type = models.CharField(max_length=10, choices=BudgetType.choices, default=BudgetType.FIXED)
    budget_min = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    budget_max = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="usd")
    deadline = models.DateField(null=True, blank=True)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    status = models.CharField(max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.OPEN)
    is_featured = models.BooleanField(default=False)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "visibility", "-published_at"], name="project_browse_idx"),
            # Browsing: the list's WHERE (public, not a draft) and its whole ORDER BY, so page 1 is an index scan.
            models.Index(fields=["-published_at", "-id"], name="project_public_newest_idx",
                         condition=Q(visibility="public") & ~Q(status="draft")),
            models.Index(fields=["client", "-created_at"], name="project_client_idx"),
            models.Index(fields=["budget_max"], name="project_budget_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(budget_min__lte=models.F("budget_max")), name="project_budget_range"),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectStatusChange(StatusChange):
    """Every move of a project's status, with who made it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ProjectStatus.choices)


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Proposal(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="proposals")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals")
    cover_letter = models.TextField(max_length=10000)
    bid_amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="usd")
    estimated_duration_days = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(3650)])
    status = models.CharField(max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "freelancer"], name="one_proposal_per_freelancer"),
        ]
        indexes = [models.Index(fields=["freelancer", "-created_at"], name="proposal_freelancer_idx")]

    def __str__(self) -> str:
        return f"{self.freelancer} on {self.project}"


class ProposalStatusChange(StatusChange):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=ProposalStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ProposalStatus.choices)


class Attachment(models.Model):
    """A private file on a project or a proposal, served only to the people who may see its parent."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments", null=True, blank=True)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments", null=True,
                                 blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=False, proposal__isnull=True) | Q(project__isnull=True,
                                                                             proposal__isnull=False),
                name="attachment_has_one_parent",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class InviteStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Proposal sent")
    DECLINED = "declined", _("Declined")


class Invite(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invites")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites")
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=InviteStatus.choices, default=InviteStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "freelancer"], name="one_invite_per_freelancer")]

    def __str__(self) -> str:
        return f"{self.freelancer} to {self.project}"


class PortfolioItem(models.Model):
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    project_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class PortfolioImage(models.Model):
    item = models.ForeignKey(PortfolioItem, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="portfolio/%Y/%m/")
    thumbnail = models.ImageField(upload_to="portfolio/thumbs/%Y/%m/")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"image {self.position} of {self.item}"


class Review(models.Model):
    """A party's rating of the other after a contract completed. Hidden until both wrote or 14 days passed.

    Reviews are written through contracts (the act of reviewing belongs to the contract); the marketplace keeps
    them because profiles and ratings read them, and refers to the contract by its id only.
    """

    contract_id = models.BigIntegerField(db_index=True, null=True, blank=True)
    # Or the order of a service it is about (written through the orders, as contract reviews are through contracts).
    order_id = models.BigIntegerField(db_index=True, null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_given")
    reviewee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="reviews_received")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When everyone may read it: 14 days after the contract completed, or at once when both parties have reviewed.
    visible_from = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract_id", "reviewer"], name="one_review_per_party"),
            models.UniqueConstraint(fields=["order_id", "reviewer"], name="one_order_review_per_party"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_range"),
        ]
        indexes = [models.Index(fields=["reviewee", "visible_from"], name="review_reviewee_idx")]

    def __str__(self) -> str:
        return f"{self.rating}/5 by {self.reviewer} for {self.reviewee}"

    @property
    def is_visible(self) -> bool:
        """Whether everyone may read it now (its author and staff always may)."""
        return self.visible_from <= timezone.now()
