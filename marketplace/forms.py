"""Forms of the marketplace pages. They check the shape of the input; `services.py` does the work.

A service's `ApplicationError` is put back next to the field it names with `accounts.forms.form_add_service_error`
(the service's field names are mapped to these forms' names where they differ).
"""

from decimal import Decimal
from typing import Any, TypedDict, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.forms import COUNTRY_RE

from .models import CURRENCIES, BudgetType, Category, Project, ProjectStatus, Visibility
from .services import MAX_ATTACHMENTS, MAX_PORTFOLIO_IMAGES


class _Digits(TypedDict):
    """A money field's digits, spread into each DecimalField."""

    max_digits: int
    decimal_places: int


MONEY: _Digits = {"max_digits": 12, "decimal_places": 2}
MONEY_WIDGET = {"step": "0.01", "inputmode": "decimal", "min": "0"}
MAX_SKILLS_TEXT = 2000
INVITE_FIELDS = {"project_id": "project"}


def _skill_names(text: str) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


class SearchInput(forms.TextInput):
    input_type = "search"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one `<input type="file" multiple>`; always a list (empty when none was chosen)."""

    def __init__(self, *args: Any, max_files: int = 10, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        self.max_files = max_files
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if not uploads:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > self.max_files:
            raise forms.ValidationError(_("Choose at most %(count)s files."), code="max_files",
                                        params={"count": self.max_files})
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


def category_choices(empty_label: str | Promise) -> list[tuple[str, str | Promise]]:
    return [("", empty_label), *Category.objects.values_list("slug", "name")]


# --- projects -----------------------------------------------------------------------------------

PROJECT_ORDERING = [
    ("relevance", _("Best match")),
    ("newest", _("Newest first")),
    ("-budget", _("Highest budget first")),
    ("budget", _("Lowest budget first")),
    ("deadline", _("Nearest deadline first")),
]


class ProjectSearchForm(forms.Form):
    """The filters of the project list, read from the query string."""

    search = forms.CharField(label=_("Search projects"), max_length=200, required=False,
                             widget=SearchInput(attrs={"placeholder": "e.g. Django, logo design"}))
    category = forms.ChoiceField(label=_("Category"), required=False)
    skills = forms.CharField(label=_("Skills"), max_length=500, required=False,
                             help_text=_("Separate skills with commas."))
    budget_min = forms.DecimalField(label=_("Budget at least"), required=False, min_value=Decimal(0), **MONEY,
                                    widget=forms.NumberInput(attrs=MONEY_WIDGET))
    budget_max = forms.DecimalField(label=_("Budget at most"), required=False, min_value=Decimal(0), **MONEY,
                                    widget=forms.NumberInput(attrs=MONEY_WIDGET))
    budget_type = forms.ChoiceField(label=_("Budget type"), required=False,
                                    choices=[("", _("Fixed price or hourly")), *BudgetType.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *ProjectStatus.choices])
    ordering = forms.ChoiceField(label=_("Sort by"), required=False, choices=PROJECT_ORDERING)

    def __init__(self, *args: Any, mine: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(_("All categories"))
        if not mine:  # drafts are only ever the owner's
            status = cast(forms.ChoiceField, self.fields["status"])
            # Django keeps the pairs given above; the stubs type the getter as everything the setter takes.
            choices = cast("list[tuple[str, Any]]", status.choices)
            status.choices = [c for c in choices if c[0] != ProjectStatus.DRAFT]

    def params(self) -> dict[str, Any]:
        """The valid filters, in the shape `selectors.project_list` takes; invalid ones are left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: str(value) for key, value in data.items() if value not in (None, "")}


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200,
                            help_text=_("Say what you need in a few words, e.g. “Booking site for a dental clinic”."))
    description = forms.CharField(label=_("Description"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
                                  help_text=_("What should be built or done, what you have already, and how you will "
                                            "judge the result."))
    category = forms.ChoiceField(label=_("Category"), required=False)
    skills = forms.CharField(label=_("Skills"), max_length=MAX_SKILLS_TEXT, required=False,
                             help_text=_("Separate skills with commas, e.g. Django, PostgreSQL."))
    budget_type = forms.ChoiceField(label=_("Budget type"), choices=BudgetType.choices, initial=BudgetType.FIXED)
    budget_min = forms.DecimalField(label=_("Minimum budget"), min_value=Decimal(0), **MONEY,
                                    widget=forms.NumberInput(attrs=MONEY_WIDGET))
    budget_max = forms.DecimalField(label=_("Maximum budget"), min_value=Decimal(0), **MONEY,
                                    widget=forms.NumberInput(attrs=MONEY_WIDGET),
                                    help_text=_("For hourly projects, the range of the hourly rate."))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="usd")
    deadline = forms.DateField(label=_("Deadline"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    visibility = forms.ChoiceField(label=_("Who can see it"), choices=Visibility.choices, initial=Visibility.PUBLIC,
                                   widget=forms.RadioSelect,
                                   help_text=_("Invite-only projects are seen only by the freelancers you invite."))
    # A declared field (the form class moves it into `base_fields`), not the form's uploads the stubs see here.
    files = MultipleFileField(label=_("Attachments"), max_files=MAX_ATTACHMENTS,  # type: ignore[assignment]
                              help_text=f"Up to {MAX_ATTACHMENTS} files (PDF, images, text, office documents, zip) "
                                        "of at most 10 MB each.")

    def __init__(self, *args: Any, project: Project | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(_("Choose a category"))
        if project is not None:
            self.fields["files"].label = "Add attachments"
            files = cast(MultipleFileField, self.fields["files"])
            files.max_files = max(0, MAX_ATTACHMENTS - project.attachments.count())

    @classmethod
    def initial_for(cls, project: Project) -> dict[str, Any]:
        return {
            "title": project.title, "description": project.description,
            "category": project.category.slug if project.category else "",
            "skills": ", ".join(skill.name for skill in project.skills.all()),
            "budget_type": project.budget_type, "budget_min": project.budget_min, "budget_max": project.budget_max,
            "currency": project.currency, "deadline": project.deadline, "visibility": project.visibility,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("budget_min"), cleaned.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("The maximum budget must be at least the minimum."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        """The cleaned input in the shape `services.project_create` and `project_update` take (files apart)."""
        data = {key: value for key, value in self.cleaned_data.items() if key != "files"}
        data["skills"] = _skill_names(data.get("skills", ""))
        data["category"] = data.get("category") or None
        return data


# --- proposals ----------------------------------------------------------------------------------


class ProposalForm(forms.Form):
    cover_letter = forms.CharField(label=_("Cover letter"), min_length=20, max_length=10000,
                                   widget=forms.Textarea(attrs={"rows": 8}),
                                   help_text=_("How you would do the work, and what you have done like it."))
    bid_amount = forms.DecimalField(label=_("Bid amount"), min_value=Decimal("1.00"), max_value=Decimal("10000000"),
                                    **MONEY, widget=forms.NumberInput(attrs={**MONEY_WIDGET, "min": "1"}))
    estimated_duration_days = forms.IntegerField(label=_("Estimated duration (days)"), min_value=1, max_value=3650,
                                                 widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    # A declared field (the form class moves it into `base_fields`), not the form's uploads the stubs see here.
    files = MultipleFileField(label=_("Files"), max_files=MAX_ATTACHMENTS,  # type: ignore[assignment]
                              help_text=_("Samples or a plan: up to 10 files of at most 10 MB each."))

    def __init__(self, *args: Any, currency: str = "usd", with_files: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bid_amount"].label = f"Bid amount ({currency.upper()})"
        if not with_files:
            del self.fields["files"]

    def service_data(self) -> dict[str, Any]:
        return {key: value for key, value in self.cleaned_data.items() if key != "files"}


# --- freelancers, invites, portfolio ------------------------------------------------------------

FREELANCER_ORDERING = [
    ("relevance", _("Best match")),
    ("-rating", _("Highest rated")),
    ("rate", _("Lowest hourly rate")),
    ("-rate", _("Highest hourly rate")),
    ("newest", _("Newest members")),
]
RATING_CHOICES = [("", _("Any rating")), ("4.5", "4.5 and up"), ("4", "4 and up"), ("3", "3 and up")]


class FreelancerSearchForm(forms.Form):
    search = forms.CharField(label=_("Search freelancers"), max_length=200, required=False,
                             widget=SearchInput(attrs={"placeholder": "e.g. Django, designer"}))
    skills = forms.CharField(label=_("Skills"), max_length=500, required=False,
                             help_text=_("Separate skills with commas; freelancers with all of them."))
    min_rate = forms.DecimalField(label=_("Hourly rate at least"), required=False, min_value=Decimal(0),
                                  max_digits=10, decimal_places=2, widget=forms.NumberInput(attrs=MONEY_WIDGET))
    max_rate = forms.DecimalField(label=_("Hourly rate at most"), required=False, min_value=Decimal(0),
                                  max_digits=10, decimal_places=2, widget=forms.NumberInput(attrs=MONEY_WIDGET))
    min_rating = forms.ChoiceField(label=_("Rating"), required=False, choices=RATING_CHOICES)
    country = forms.CharField(label=_("Country code"), max_length=2, required=False,
                              widget=forms.TextInput(attrs={"size": 3, "placeholder": "e.g. DE"}))
    available = forms.BooleanField(label=_("Only freelancers available now"), required=False)
    ordering = forms.ChoiceField(label=_("Sort by"), required=False, choices=FREELANCER_ORDERING)

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip()
        if country and not COUNTRY_RE.match(country):
            raise forms.ValidationError(_("Enter a two-letter country code, e.g. DE."))
        return country.upper()

    def params(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        data = dict(getattr(self, "cleaned_data", {}))
        data["available"] = "true" if data.get("available") else ""
        return {key: str(value) for key, value in data.items() if value not in (None, "")}


class InviteForm(forms.Form):
    project = forms.TypedChoiceField(label=_("Project"), coerce=int)
    message = forms.CharField(label=_("Message"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Why you think they are right for it."))

    def __init__(self, *args: Any, projects: list[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["project"]).choices = [(project.pk, project.title) for project in projects]


class PortfolioItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    project_url = forms.URLField(label=_("Project URL"), max_length=500, required=False, assume_scheme="https",
                                 help_text=_("A link to the live work, if there is one."))
    images = MultipleFileField(label=_("Images"), max_files=MAX_PORTFOLIO_IMAGES,
                               help_text=f"Up to {MAX_PORTFOLIO_IMAGES} JPEG, PNG, WebP or GIF images of at most "
                                         "10 MB each.",
                               widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))

    def service_data(self) -> dict[str, Any]:
        return {key: value for key, value in self.cleaned_data.items() if key != "images"}
