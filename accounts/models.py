import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _


class UserType(models.TextChoices):
    CLIENT = "client", _("Client")
    FREELANCER = "freelancer", _("Freelancer")


def normalize_email(email: str) -> str:
    """E-mail is the login, so it is compared case-insensitively and stored lower-case."""
    return (email or "").strip().lower()


class Skill(models.Model):
    name = models.CharField(max_length=50)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:60]
        super().save(*args, **kwargs)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_verified", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_email(username or ""))


class User(AbstractUser):
    """A person on MegiLance: a client, a freelancer, or staff (`is_staff`)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    user_type = models.CharField(max_length=16, choices=UserType.choices, blank=True)
    email_verified = models.BooleanField(default=False)

    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(max_length=5000, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    timezone = models.CharField(max_length=64, default="UTC")
    # The language pages and e-mails are shown in ("" follows the browser), and the currency amounts are also
    # shown in, approximately ("" shows only the real amount). Amounts themselves stay in their own currency.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    display_currency = models.CharField(max_length=3, blank=True, default="")

    # freelancers
    hourly_rate = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="users")
    available = models.BooleanField(default=True)
    # The average and number of this person's reviews that everyone may read, kept by the marketplace whenever
    # one is written or revealed (marketplace/ratings.py), so that lists order and filter by them.
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    # clients
    company = models.CharField(max_length=120, blank=True)
    # The paid client plan (kept by payments from Stripe Billing; read here so that apps below
    # payments, like the marketplace, can check it without importing payments).
    client_plan_until = models.DateTimeField(null=True, blank=True)

    # Raised to end every session and token the user holds (password change or reset, suspension).
    token_version = models.PositiveIntegerField(default=0)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    # The stubs expect contrib.auth's UserManager; a BaseUserManager of one's own is what Django documents for a
    # user model without usernames.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [
            models.Index(fields=["user_type", "is_active"], name="user_type_active_idx"),
            # The freelancer list: active freelancers in id order, without reading every client's row.
            models.Index(fields=["id"], name="user_active_freelancer_idx",
                         condition=models.Q(user_type="freelancer", is_active=True)),
            # The freelancer list best rated first (its default order), and its rating filter.
            models.Index(F("rating_avg").desc(nulls_last=True), F("rating_count").desc(), F("id"),
                         name="user_freelancer_rating_idx",
                         condition=models.Q(user_type="freelancer", is_active=True)),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_freelancer(self) -> bool:
        return self.user_type == UserType.FREELANCER

    @property
    def is_client(self) -> bool:
        return self.user_type == UserType.CLIENT

    @property
    def has_client_plan(self) -> bool:
        from django.utils import timezone

        return self.client_plan_until is not None and self.client_plan_until > timezone.now()


class AuthSession(models.Model):
    """One sign-in (a browser or an app). Every token issued for it carries its id as `sid`.

    Revoking the session stops its access tokens at once, which a stateless JWT cannot do by itself.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"


class BackupCode(models.Model):
    """A one-time two-factor backup code, kept only as a keyed hash."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="backup_code_unique")]

    def __str__(self) -> str:
        return f"backup code of {self.user}"


class BillingProfile(models.Model):
    """The name, address and tax ID a person wants on their receipts and statements, exactly as they typed
    them. Each payment keeps a copy of them as they were when it was recorded."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="billing_profile")
    name = models.CharField("Name or company", max_length=200, blank=True)
    address_line1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("Address line 2", max_length=200, blank=True)
    city = models.CharField("City", max_length=100, blank=True)
    postcode = models.CharField("Postcode", max_length=20, blank=True)
    country = models.CharField("Country", max_length=100, blank=True)
    tax_id = models.CharField("Tax ID", max_length=50, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    FIELDS = ("name", "address_line1", "address_line2", "city", "postcode", "country", "tax_id")

    def __str__(self) -> str:
        return f"billing details of {self.user_id}"

    def snapshot(self) -> dict[str, str]:
        """The details as a plain dict, empty when nothing is filled in."""
        details = {field: getattr(self, field).strip() for field in self.FIELDS}
        return details if any(details.values()) else {}


def billing_details_lines(details: dict[str, str]) -> list[str]:
    """A billing details dict as the lines of an address block: name, address, city with postcode, country,
    and the tax ID last. Empty for an empty dict."""
    if not details:
        return []
    place = " ".join(part for part in (details.get("postcode", ""), details.get("city", "")) if part)
    lines = [details.get("name", ""), details.get("address_line1", ""), details.get("address_line2", ""), place,
             details.get("country", "")]
    if details.get("tax_id"):
        lines.append(f"Tax ID: {details['tax_id']}")
    return [line for line in lines if line]


class PhoneNumber(models.Model):
    """A member's verified mobile number (E.164): text messages by preference and the second factor's fallback.

    Only a number whose code came back is kept here; a number being verified lives in its `PhoneCode`.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="phone_number")
    number = models.CharField(max_length=16)
    verified_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"phone number of {self.user_id}"

    @property
    def masked(self) -> str:
        return mask_phone_number(self.number)


def mask_phone_number(number: str) -> str:
    """+4479•••••123 style: enough to recognise one's own number, not enough to learn it."""
    return number[:4] + "•" * max(0, len(number) - 7) + number[-3:]


class PhoneCode(models.Model):
    """A six-digit code sent by text message, kept only as a keyed hash, valid for a few minutes, five tries."""

    class Purpose(models.TextChoices):
        VERIFY = "verify", _("Verify a phone number")
        LOGIN = "login", _("Sign in (second factor)")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_codes")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    number = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    MAX_ATTEMPTS = 5

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="phonecode_user_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.user_id}"
