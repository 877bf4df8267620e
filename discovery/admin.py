"""Staff see matches, saved searches and what they sent; the tasks keep them, so most is read-only."""

from django.contrib import admin

from core.admin_actions import ReadOnlyAdminMixin

from .models import DigestRun, Match, SavedSearch, SavedSearchHit


@admin.register(Match)
class MatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["freelancer", "project", "score", "computed_at"]
    list_select_related = ["freelancer", "project"]
    search_fields = ["freelancer__email", "project__title"]
    ordering = ["-score", "-id"]


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "alert", "created_at"]
    list_select_related = ["user"]
    list_filter = ["alert"]
    search_fields = ["name", "user__email"]
    raw_id_fields = ["user"]


@admin.register(SavedSearchHit)
class SavedSearchHitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["search", "project", "via", "sent_at"]
    list_select_related = ["search", "search__user", "project"]
    list_filter = ["via"]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "day", "projects", "created_at"]
    list_select_related = ["user"]
    date_hierarchy = "day"
