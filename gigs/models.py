"""A service is what a freelancer sells ready-made: up to three packages, optional extras and a gallery.

Browsing shows thousands of services at once, so each service keeps beside its packages the figures a card
shows (the cheapest price, the fastest delivery, its rating): the list reads one row per card.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.models import StatusChange

CURRENCIES = [("usd", "US dollar"), ("eur", "Euro"), ("gbp", "Pound sterling")]


class ServiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


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
    BASIC = "basic", "Basic"
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"


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
