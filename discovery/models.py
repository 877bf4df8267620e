"""Discovery's tables: the scores of freelancer-project pairs, and saved searches with what they sent."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Match(models.Model):
    """How well a freelancer fits an open project, 0-100, kept fresh by tasks when either side changes.

    `facts` holds what the score was made of (skills matched, rate fit, the client's hires, text similarity),
    so each side's reasons are written for whoever reads them, in their language.
    """

    # Both sides are read through the composite indexes below, which begin with them.
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matches",
                                   db_index=False)
    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="matches",
                                db_index=False)
    score = models.PositiveSmallIntegerField()
    facts = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["freelancer", "project"], name="one_match_per_pair"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="match_score_range"),
        ]
        indexes = [
            # A freelancer's best matches and a project's best freelancers: each an index range, best first.
            models.Index(fields=["freelancer", "-score", "-project"], name="match_freelancer_best_idx"),
            models.Index(fields=["project", "-score", "-freelancer"], name="match_project_best_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.freelancer} ~ {self.project}: {self.score}"


class Alert(models.TextChoices):
    INSTANT = "instant", _("As soon as a project is posted")
    DAILY = "daily", _("Once a day")
    OFF = "off", _("Off")


class SavedSearch(models.Model):
    """A project search someone keeps, with how they want to hear about new projects it finds."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=100)
    params = models.JSONField(default=dict)
    alert = models.CharField(max_length=10, choices=Alert.choices, default=Alert.DAILY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("saved searches")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="savedsearch_user_idx"),
            models.Index(fields=["alert"], name="savedsearch_alert_idx", condition=~Q(alert="off")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class SavedSearchHit(models.Model):
    """A project a saved search told its owner about: each pair once, whichever alert found it first."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="hits")
    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    via = models.CharField(max_length=10, choices=[("instant", _("Instant alert")),
                                                            ("daily", _("Daily digest"))])
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["search", "project"], name="one_hit_per_search_project")]

    def __str__(self) -> str:
        return f"{self.search} → {self.project}"


class DigestRun(models.Model):
    """One daily digest per user and day, so a second run on the same day sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    projects = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.day}"
