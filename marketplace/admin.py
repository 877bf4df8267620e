"""Staff moderate the marketplace here.

Status moves, uploads and money go through marketplace.services, so the admin shows them and leaves them
alone: status histories are read-only, files are never uploaded here (the services re-encode and check them),
and every changelist runs the same number of queries whatever its length (related rows are joined, counts
are subqueries).
"""

from typing import Any

from django.contrib import admin
from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.requests import signed_in_user
from core.admin_actions import ReadOnlyAdminMixin, admin_link, amount_money, run_for_each

from . import services
from .models import (
    Attachment,
    Category,
    Invite,
    PortfolioImage,
    PortfolioItem,
    Project,
    ProjectStatusChange,
    Proposal,
    ProposalStatusChange,
    Review,
)

# Shown read-only (one tuple each: `fields` and `readonly_fields` are typed differently).
_STATUS_CHANGE_FIELDS: tuple[str, ...] = ("from_status", "to_status", "changed_by", "created_at")
_ATTACHMENT_INLINE_FIELDS = ("original_name", "content_type", "file_size", "uploaded_by", "created_at")
_PROPOSAL_INLINE_FIELDS = ("freelancer", "bid", "estimated_duration_days", "status", "created_at")
_ATTACHMENT_FIELDS = ("original_name", "parent", "uploaded_by", "content_type", "file_size", "created_at")


def count_of(model: type[Model], field: str) -> Coalesce:
    """A per-row count as a subquery (a join with GROUP BY would multiply with other joins)."""
    rows = model._default_manager.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), Value(0))


class StatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    fields = _STATUS_CHANGE_FIELDS
    readonly_fields = _STATUS_CHANGE_FIELDS
    extra = 0
    ordering = ["created_at", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("changed_by")


class StatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "from_status", "to_status", "changed_by", "created_at"]
    list_filter = ["to_status", "from_status"]
    date_hierarchy = "created_at"
    subject_field = ""

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [self.subject_field, "from_status", "to_status", "changed_by", "created_at"]

    @admin.display(description=_("of"))
    def subject(self, obj: Any) -> str:
        return str(getattr(obj, self.subject_field))


# --- categories ---------------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "project_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(project_count=count_of(Project, "category"))

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, obj: Category) -> int:
        return obj.project_count  # type: ignore[attr-defined]


# --- projects -----------------------------------------------------------------------------------


class AttachmentInline(admin.TabularInline):
    """Files are added through the API (their content is checked there); staff may remove one."""

    model = Attachment
    fields = _ATTACHMENT_INLINE_FIELDS
    readonly_fields = _ATTACHMENT_INLINE_FIELDS
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attachment]:
        return super().get_queryset(request).select_related("uploaded_by")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("size"))
    def file_size(self, obj: Attachment) -> str:
        return filesizeformat(obj.size)


class ProjectStatusChangeInline(StatusChangeInline):
    model = ProjectStatusChange


class ProposalInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Proposal
    fields = _PROPOSAL_INLINE_FIELDS
    readonly_fields = _PROPOSAL_INLINE_FIELDS
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        return super().get_queryset(request).select_related("freelancer")

    @admin.display(description=_("bid"))
    def bid(self, obj: Proposal) -> str:
        return amount_money(obj.bid_amount, obj.currency)


def _delete_files_with(formset: Any) -> None:
    """Saves an inline formset, removing the stored files of the rows staff deleted."""
    instances = formset.save(commit=False)
    for obj in formset.deleted_objects:
        for field in ("file", "image", "thumbnail"):
            stored = getattr(obj, field, None)
            if stored:
                stored.delete(save=False)
        obj.delete()
    for obj in instances:
        obj.save()
    formset.save_m2m()


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "client", "category", "status", "visibility", "budget", "is_featured", "proposal_count",
                    "published_at", "created_at"]
    list_select_related = ["client", "category"]
    list_filter = ["status", "visibility", "is_featured", "budget_type", "currency", "category"]
    search_fields = ["title", "description", "client__email", "client__first_name", "client__last_name",
                     "client__company"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    autocomplete_fields = ["skills"]
    readonly_fields = ["client", "status", "budget_type", "budget_min", "budget_max", "currency", "skills_text",
                       "is_featured", "created_at", "updated_at", "published_at", "contract_link"]
    fieldsets = [
        (None, {"fields": ["title", "description", "category", "skills", "deadline", "visibility"]}),
        (_("Budget"), {"fields": ["budget_type", "budget_min", "budget_max", "currency"]}),
        (_("State"), {"fields": ["client", "status", "is_featured", "contract_link", "published_at", "created_at",
                              "updated_at"]}),
    ]
    inlines = [ProjectStatusChangeInline, ProposalInline, AttachmentInline]
    actions = ["feature", "unfeature"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return super().get_queryset(request).annotate(proposal_count=count_of(Proposal, "project"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clients post projects; the admin moderates them

    def has_delete_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return False  # its history stays: cancel it instead (the client deletes their own drafts)

    @admin.display(description=_("budget"), ordering="budget_max")
    def budget(self, obj: Project) -> str:
        per_hour = "/h" if obj.budget_type == "hourly" else ""
        return f"{obj.budget_min} to {obj.budget_max} {obj.currency.upper()}{per_hour}"

    @admin.display(description=_("proposals"), ordering="proposal_count")
    def proposal_count(self, obj: Project) -> int:
        return obj.proposal_count  # type: ignore[attr-defined]

    @admin.display(description=_("contract"))
    def contract_link(self, obj: Project) -> str:
        # The contract an accepted proposal made, through the relation contracts declares on the project.
        return admin_link(getattr(obj, "contract", None))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.project_skills_refresh(project=form.instance)
        services.project_search_refresh(form.instance)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        _delete_files_with(formset)

    @admin.action(description=_("Feature on the home page"), permissions=["change"])
    def feature(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        run_for_each(self, request, queryset,
                     lambda project: services.project_feature(project=project, featured=True,
                                                              by=signed_in_user(request)),
                     done=ngettext_lazy("%(n)d project featured on the home page.",
                                        "%(n)d projects featured on the home page.", "n"))

    @admin.action(description=_("Stop featuring"), permissions=["change"])
    def unfeature(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        run_for_each(self, request, queryset,
                     lambda project: services.project_feature(project=project, featured=False,
                                                              by=signed_in_user(request)),
                     done=ngettext_lazy("%(n)d project no longer featured.", "%(n)d projects no longer featured.",
                                        "n"))


@admin.register(ProjectStatusChange)
class ProjectStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "project"
    list_select_related = ["project", "changed_by"]
    search_fields = ["project__title", "changed_by__email"]


# --- proposals ----------------------------------------------------------------------------------


class ProposalStatusChangeInline(StatusChangeInline):
    model = ProposalStatusChange


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "freelancer", "bid", "estimated_duration_days", "status", "created_at"]
    list_select_related = ["project", "freelancer"]
    list_filter = ["status", "currency"]
    search_fields = ["project__title", "freelancer__email", "freelancer__first_name", "freelancer__last_name",
                     "cover_letter"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = ["project", "freelancer", "bid_amount", "currency", "estimated_duration_days", "status",
                       "created_at", "updated_at"]
    fields = ["project", "freelancer", "cover_letter", "bid_amount", "currency", "estimated_duration_days", "status",
              "created_at", "updated_at"]
    inlines = [ProposalStatusChangeInline, AttachmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Proposal | None = None) -> bool:
        return False  # the client's record of it stays (a freelancer withdraws instead)

    @admin.display(description=_("bid"), ordering="bid_amount")
    def bid(self, obj: Proposal) -> str:
        return amount_money(obj.bid_amount, obj.currency)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        _delete_files_with(formset)


@admin.register(ProposalStatusChange)
class ProposalStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "proposal"
    list_select_related = ["proposal__project", "proposal__freelancer", "changed_by"]
    search_fields = ["proposal__project__title", "proposal__freelancer__email", "changed_by__email"]


# --- attachments and invites --------------------------------------------------------------------


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "parent", "uploaded_by", "content_type", "file_size", "created_at"]
    list_select_related = ["project", "proposal__project", "proposal__freelancer", "uploaded_by"]
    list_filter = ["content_type", ("project", admin.EmptyFieldListFilter)]
    search_fields = ["original_name", "uploaded_by__email", "project__title", "proposal__project__title"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    fields = _ATTACHMENT_FIELDS
    readonly_fields = _ATTACHMENT_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("on"))
    def parent(self, obj: Attachment) -> str:
        if obj.project_id:
            return admin_link(obj.project, f"project: {obj.project}")
        return admin_link(obj.proposal, f"proposal: {obj.proposal}")

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj: Attachment) -> str:
        return filesizeformat(obj.size)

    def delete_model(self, request: HttpRequest, obj: Attachment) -> None:
        obj.file.delete(save=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Attachment]) -> None:
        for attachment in queryset:
            attachment.file.delete(save=False)
        super().delete_queryset(request, queryset)


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["project", "freelancer", "status", "created_at"]
    list_select_related = ["project", "freelancer"]
    list_filter = ["status"]
    search_fields = ["project__title", "freelancer__email", "freelancer__first_name", "freelancer__last_name",
                     "message"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = ["project", "freelancer", "status", "created_at"]
    fields = ["project", "freelancer", "message", "status", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invites go through the service, which checks the project is open and the freelancer real


# --- portfolio ----------------------------------------------------------------------------------


def _thumbnail(image: PortfolioImage) -> str:
    if not image.thumbnail:
        return "—"
    return format_html('<img src="{}" alt="{}" style="max-height:80px;max-width:120px">', image.thumbnail.url,
                       f"Image {image.position + 1} of {image.item_id}")


class PortfolioImageInline(admin.TabularInline):
    """Images are uploaded through the API, which re-encodes them; here staff reorder or remove them."""

    model = PortfolioImage
    fields = ["preview", "position"]
    readonly_fields = ["preview"]
    extra = 0
    ordering = ["position", "id"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("image"))
    def preview(self, obj: PortfolioImage) -> str:
        return _thumbnail(obj)


@admin.register(PortfolioItem)
class PortfolioItemAdmin(admin.ModelAdmin):
    list_display = ["title", "freelancer", "image_count", "project_url", "created_at"]
    list_select_related = ["freelancer"]
    list_filter = [("project_url", admin.EmptyFieldListFilter)]
    search_fields = ["title", "description", "freelancer__email", "freelancer__first_name", "freelancer__last_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = ["freelancer", "created_at", "updated_at"]
    fields = ["freelancer", "title", "description", "project_url", "created_at", "updated_at"]
    inlines = [PortfolioImageInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PortfolioItem]:
        return super().get_queryset(request).annotate(image_count=count_of(PortfolioImage, "item"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("images"), ordering="image_count")
    def image_count(self, obj: PortfolioItem) -> int:
        return obj.image_count  # type: ignore[attr-defined]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        _delete_files_with(formset)

    def delete_model(self, request: HttpRequest, obj: PortfolioItem) -> None:
        services.portfolio_item_delete(item=obj, by=obj.freelancer)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PortfolioItem]) -> None:
        for item in queryset.select_related("freelancer"):
            services.portfolio_item_delete(item=item, by=item.freelancer)


@admin.register(PortfolioImage)
class PortfolioImageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "freelancer", "position", "preview"]
    list_select_related = ["item__freelancer"]
    search_fields = ["item__title", "item__freelancer__email"]
    ordering = ["item", "position", "id"]
    fields = ["item", "preview", "position"]
    readonly_fields = ["item", "preview"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("freelancer"))
    def freelancer(self, obj: PortfolioImage) -> str:
        return str(obj.item.freelancer)

    @admin.display(description=_("image"))
    def preview(self, obj: PortfolioImage) -> str:
        return _thumbnail(obj)

    def delete_model(self, request: HttpRequest, obj: PortfolioImage) -> None:
        obj.image.delete(save=False)
        obj.thumbnail.delete(save=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PortfolioImage]) -> None:
        for image in queryset:
            image.image.delete(save=False)
            image.thumbnail.delete(save=False)
        super().delete_queryset(request, queryset)


# --- reviews ------------------------------------------------------------------------------------


class VisibleFilter(admin.SimpleListFilter):
    title = "visible to everyone"
    parameter_name = "visible"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "Not yet")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> QuerySet[Review]:
        if self.value() == "yes":
            return queryset.filter(visible_from__lte=timezone.now())
        if self.value() == "no":
            return queryset.filter(visible_from__gt=timezone.now())
        return queryset


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Ratings are the parties' own: staff may only edit a comment (e.g. remove abuse)."""

    list_display = ["__str__", "contract", "reviewer", "reviewee", "rating", "visible_from", "created_at"]
    list_select_related = ["reviewer", "reviewee"]
    list_filter = ["rating", VisibleFilter]
    search_fields = ["comment", "reviewer__email", "reviewee__email"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = ["contract", "reviewer", "reviewee", "rating", "created_at", "visible_from"]
    fields = ["contract", "reviewer", "reviewee", "rating", "comment", "created_at", "visible_from"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("contract"), ordering="contract_id")
    def contract(self, obj: Review) -> str:
        label = f"Contract #{obj.contract_id}"
        try:
            url = reverse("admin:contracts_contract_change", args=[obj.contract_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)
