"""Contracts in the admin: staff read them; money, parties and status move only through contracts.services."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.requests import signed_in_user
from core.admin_actions import ReadOnlyAdminMixin, amount_money, run_for_each
from marketplace.admin import StatusChangeAdmin, StatusChangeInline, count_of

from . import escrow
from .models import (
    Contract,
    ContractStatusChange,
    Dispute,
    DisputeMessage,
    DisputeStatusChange,
    Milestone,
    MilestoneStatusChange,
    Submission,
    SubmissionFile,
)

_MILESTONE_INLINE_FIELDS = ("title", "money", "status", "due_date", "funded_at", "released_at")


class MilestoneInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Milestone
    fields = _MILESTONE_INLINE_FIELDS
    readonly_fields = _MILESTONE_INLINE_FIELDS
    extra = 0
    show_change_link = True
    ordering = ["position", "id"]

    @admin.display(description=_("amount"))
    def money(self, obj: Milestone) -> str:
        return amount_money(obj.amount, obj.currency)


class ContractStatusChangeInline(StatusChangeInline):
    model = ContractStatusChange


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["title", "client", "freelancer", "status", "amount", "contract_type", "created_at",
                    "completed_at"]
    list_select_related = ["client", "freelancer"]
    list_filter = ["status", "contract_type", "currency"]
    search_fields = ["title", "project__title", "client__email", "client__company", "client__last_name",
                     "freelancer__email", "freelancer__last_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    # Money, the parties and the status are what the parties agreed and what payments follow: never edited here.
    readonly_fields = ["project", "proposal", "client", "freelancer", "contract_type", "total_amount", "currency",
                       "status", "created_at", "updated_at", "completed_at"]
    fieldsets = [
        (None, {"fields": ["title", "terms"]}),
        (_("Agreement"), {"fields": ["project", "proposal", "client", "freelancer", "contract_type", "total_amount",
                                  "currency"]}),
        (_("State"), {"fields": ["status", "created_at", "updated_at", "completed_at"]}),
    ]
    inlines = [ContractStatusChangeInline, MilestoneInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a contract is made by accepting a proposal

    def has_delete_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        return False  # payments and reviews hang on it

    @admin.display(description=_("amount"), ordering="total_amount")
    def amount(self, obj: Contract) -> str:
        return amount_money(obj.total_amount, obj.currency)


@admin.register(ContractStatusChange)
class ContractStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "contract"
    list_select_related = ["contract", "changed_by"]
    search_fields = ["contract__title", "changed_by__email"]


# --- milestones, deliveries and disputes: money moves only through contracts.escrow ---------------


def _all_fields_but(model: type[Model], editable: set[str]) -> list[str]:
    return [field.name for field in model._meta.concrete_fields if field.name not in editable | {"id"}]


class MilestoneStatusChangeInline(StatusChangeInline):
    model = MilestoneStatusChange
    fields = ("from_status", "to_status", "changed_by", "note", "created_at")
    readonly_fields = fields


_SUBMISSION_INLINE_FIELDS = ("note", "created_at", "file_count")


class SubmissionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Submission
    fields = _SUBMISSION_INLINE_FIELDS
    readonly_fields = _SUBMISSION_INLINE_FIELDS
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Submission]:
        return super().get_queryset(request).annotate(file_count=count_of(SubmissionFile, "submission"))

    @admin.display(description=_("files"))
    def file_count(self, obj: Submission) -> int:
        return obj.file_count  # type: ignore[attr-defined]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["title", "contract", "money", "status", "chargeback", "due_date", "funded_at", "released_at",
                    "created_at"]
    list_select_related = ["contract"]
    list_filter = ["status", "chargeback", "currency"]
    search_fields = ["title", "contract__title", "contract__client__email", "contract__freelancer__email",
                     "payment_intent_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    inlines = [MilestoneStatusChangeInline, SubmissionInline]
    actions = ["refund_to_client"]

    @admin.action(description=_("Refund to the client"))
    def refund_to_client(self, request: HttpRequest, queryset: QuerySet[Milestone]) -> None:
        """Funded, unreleased milestones back to the client's card (escrow.milestone_refund, which audits)."""
        run_for_each(self, request, queryset.select_related("contract"),
                     lambda milestone: escrow.milestone_refund(milestone=milestone, by=signed_in_user(request),
                                                               note="refunded by staff"),
                     done=ngettext_lazy("%(n)d milestone refunded to the client.",
                                       "%(n)d milestones refunded to the client.", "n"))

    def get_readonly_fields(self, request: HttpRequest, obj: Milestone | None = None) -> list[str]:
        # The amount, its currency, the status and the payment records are what escrow follows.
        return _all_fields_but(Milestone, {"title", "description", "due_date"})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Milestone | None = None) -> bool:
        return False

    @admin.display(description=_("amount"), ordering="amount")
    def money(self, obj: Milestone) -> str:
        return amount_money(obj.amount, obj.currency)


@admin.register(MilestoneStatusChange)
class MilestoneStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "milestone"
    list_display = ["subject", "from_status", "to_status", "changed_by", "note", "created_at"]
    list_select_related = ["milestone", "changed_by"]
    search_fields = ["milestone__title", "milestone__contract__title", "changed_by__email", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "note"]


_SUBMISSION_FILE_INLINE_FIELDS = ("original_name", "content_type", "file_size")


class SubmissionFileInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubmissionFile
    fields = _SUBMISSION_FILE_INLINE_FIELDS
    readonly_fields = _SUBMISSION_FILE_INLINE_FIELDS
    extra = 0

    @admin.display(description=_("size"))
    def file_size(self, obj: SubmissionFile) -> str:
        return filesizeformat(obj.size)


_SUBMISSION_FIELDS = ("milestone", "note", "created_at")


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "contract", "file_count", "created_at"]
    list_select_related = ["milestone__contract"]
    search_fields = ["note", "milestone__title", "milestone__contract__title"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    fields = _SUBMISSION_FIELDS
    readonly_fields = _SUBMISSION_FIELDS
    inlines = [SubmissionFileInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Submission]:
        return super().get_queryset(request).annotate(file_count=count_of(SubmissionFile, "submission"))

    @admin.display(description=_("contract"))
    def contract(self, obj: Submission) -> str:
        return str(obj.milestone.contract)

    @admin.display(description=_("files"), ordering="file_count")
    def file_count(self, obj: Submission) -> int:
        return obj.file_count  # type: ignore[attr-defined]


_SUBMISSION_FILE_FIELDS = ("original_name", "submission", "content_type", "file_size")


@admin.register(SubmissionFile)
class SubmissionFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["original_name", "submission", "content_type", "file_size"]
    list_select_related = ["submission__milestone"]
    list_filter = ["content_type"]
    search_fields = ["original_name", "submission__milestone__title"]
    ordering = ["-id"]
    fields = _SUBMISSION_FILE_FIELDS
    readonly_fields = _SUBMISSION_FILE_FIELDS

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj: SubmissionFile) -> str:
        return filesizeformat(obj.size)


class DisputeSplitForm(forms.Form):
    freelancer_amount = forms.DecimalField(
        label=_("Freelancer's part"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        help_text=_("Released to the freelancer (less the platform fee); the rest of the milestone is refunded."))
    note = forms.CharField(label=_("Note to both parties"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


@admin.register(DisputeStatusChange)
class DisputeStatusChangeAdmin(StatusChangeAdmin):
    subject_field = "dispute"
    list_select_related = ["dispute__milestone", "changed_by"]
    search_fields = ["dispute__milestone__title", "dispute__contract__title", "changed_by__email"]


_DISPUTE_MESSAGE_INLINE_FIELDS = ("created_at", "author", "author_role", "body", "original_name")


class DisputeMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The dispute's thread: answers of both parties, staff notes and evidence files, as they were written."""

    model = DisputeMessage
    fields = _DISPUTE_MESSAGE_INLINE_FIELDS
    readonly_fields = _DISPUTE_MESSAGE_INLINE_FIELDS
    ordering = ["created_at", "id"]
    extra = 0


_DISPUTE_MESSAGE_FIELDS = ("dispute", "author", "author_role", "body", "original_name", "content_type", "size",
                           "created_at")


@admin.register(DisputeMessage)
class DisputeMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "author", "author_role", "original_name", "created_at"]
    list_select_related = ["dispute__milestone", "author"]
    list_filter = ["author_role"]
    search_fields = ["body", "original_name", "author__email", "dispute__milestone__title"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    fields = _DISPUTE_MESSAGE_FIELDS
    readonly_fields = _DISPUTE_MESSAGE_FIELDS


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Staff resolve a dispute with the actions: release, refund or split, through contracts.escrow, which moves
    the money, the milestone and the contract, tells both parties and audits the decision."""

    list_display = ["__str__", "contract", "opened_by", "status", "resolution", "freelancer_amount", "created_at",
                    "resolved_at"]
    list_select_related = ["contract", "milestone", "opened_by"]
    list_filter = ["status", "resolution"]
    search_fields = ["reason", "resolution_note", "contract__title", "milestone__title", "opened_by__email"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    actions = ["resolve_release", "resolve_refund", "resolve_split"]
    inlines = [DisputeMessageInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Dispute | None = None) -> list[str]:
        return _all_fields_but(Dispute, set())

    def _resolve(self, request: HttpRequest, queryset: QuerySet[Dispute], resolution: str, done: Promise) -> None:
        run_for_each(self, request, queryset,
                     lambda dispute: escrow.dispute_resolve(dispute=dispute, by=signed_in_user(request),
                                                            resolution=resolution),
                     done=done)

    @admin.action(description=_("Resolve: release to freelancer"))
    def resolve_release(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> None:
        self._resolve(request, queryset, Dispute.Resolution.RELEASE,
                      ngettext_lazy("%(n)d dispute resolved: released to the freelancer by our team.",
                                    "%(n)d disputes resolved: released to the freelancer by our team.", "n"))

    @admin.action(description=_("Resolve: refund to client"))
    def resolve_refund(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> None:
        self._resolve(request, queryset, Dispute.Resolution.REFUND,
                      ngettext_lazy("%(n)d dispute resolved: refunded to the client by our team.",
                                    "%(n)d disputes resolved: refunded to the client by our team.", "n"))

    @admin.action(description=_("Resolve: split"))
    def resolve_split(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> TemplateResponse | None:
        """An intermediate page asks how much goes to the freelancer; its form posts back to this action."""
        if queryset.count() != 1:
            self.message_user(request, gettext("Split one dispute at a time: select exactly one."), "error")
            return None
        dispute = queryset.select_related("contract__client", "contract__freelancer", "milestone").get()
        form = DisputeSplitForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            amount = form.cleaned_data["freelancer_amount"]
            note = form.cleaned_data["note"]
            resolved = run_for_each(self, request, [dispute],
                                    lambda d: escrow.dispute_resolve(dispute=d, by=signed_in_user(request),
                                                                     resolution=Dispute.Resolution.SPLIT,
                                                                     freelancer_amount=amount, note=note),
                                    done=gettext("Dispute split: %(amount)s to the freelancer, the rest refunded.")
                                    % {"amount": amount})
            if resolved:
                return None
        return TemplateResponse(request, "admin/contracts/dispute/split.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Resolve %(dispute)s by splitting") % {"dispute": dispute},
            "opts": self.model._meta,
            "dispute": dispute,
            "total": amount_money(dispute.milestone.amount, dispute.milestone.currency),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

from . import admin_hourly  # noqa: E402, F401  (hourly contracts, registered beside the rest)
