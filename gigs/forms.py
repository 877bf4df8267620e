"""Forms of the service pages. They check the shape of the input; `services.py` does the work.

The service form has a fixed set of fields per package tier and a few rows of extras, so it works without
scripts; a package is offered when its title or price is filled in.
"""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms import MultipleFileField, SearchInput, category_choices

from . import selectors
from .models import Service
from .services import MAX_IMAGES

MONEY_WIDGET = {"step": "0.01", "inputmode": "decimal", "min": "0"}
TIERS = (("basic", _("Basic")), ("standard", _("Standard")), ("premium", _("Premium")))
PACKAGE_FIELDS = ("title", "description", "price", "delivery_days", "revisions")
EXTRA_ROWS = 3

ORDERING_CHOICES = [
    ("relevance", _("Best match")),
    ("newest", _("Newest first")),
    ("price", _("Lowest price first")),
    ("-price", _("Highest price first")),
    ("rating", _("Best rated first")),
]


def delivery_label(days: int) -> str:
    return str(_("Within a day")) if days == 1 else str(_("Up to %(days)d days") % {"days": days})


class ServiceSearchForm(forms.Form):
    """The filters of the service list, read from the query string."""

    search = forms.CharField(label=_("Search services"), max_length=200, required=False,
                             widget=SearchInput(attrs={"placeholder": _("e.g. logo design, Django API")}))
    category = forms.ChoiceField(label=_("Category"), required=False)
    skills = forms.CharField(label=_("Skills"), max_length=500, required=False,
                             help_text=_("Separate skills with commas."))
    min_price = forms.DecimalField(label=_("Price from at least"), required=False, min_value=Decimal(0),
                                   max_digits=12, decimal_places=2, widget=forms.NumberInput(attrs=MONEY_WIDGET))
    max_price = forms.DecimalField(label=_("Price from at most"), required=False, min_value=Decimal(0),
                                   max_digits=12, decimal_places=2, widget=forms.NumberInput(attrs=MONEY_WIDGET))
    delivery_days = forms.ChoiceField(label=_("Delivery time"), required=False)
    ordering = forms.ChoiceField(label=_("Sort by"), required=False, choices=ORDERING_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(str(_("All categories")))
        cast(forms.ChoiceField, self.fields["delivery_days"]).choices = [("", _("Any delivery time")), *(
            (str(days), delivery_label(days)) for days in selectors.DELIVERY_BUCKETS)]

    def params(self) -> dict[str, Any]:
        """The valid filters, in the shape `selectors.service_filtered` takes; invalid ones are left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: str(value) for key, value in data.items() if value not in (None, "")}


class ServiceForm(forms.Form):
    title = forms.CharField(label=_("Title"), min_length=10, max_length=120,
                            help_text=_("What you offer, e.g. “I will design a logo for your start-up”."))
    description = forms.CharField(label=_("Description"), min_length=20, max_length=10000,
                                  widget=forms.Textarea(attrs={"rows": 7}),
                                  help_text=_("What the buyer gets, how you work and what you need to start."))
    category = forms.ChoiceField(label=_("Category"), required=False)
    skills = forms.CharField(label=_("Skills"), max_length=2000, required=False,
                             help_text=_("Separate skills with commas, e.g. Logo design, Illustrator."))
    requirements = forms.CharField(label=_("Questions for the buyer"), max_length=5000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text=_("One question a line; the buyer answers them when ordering."))
    images = MultipleFileField(label=_("Gallery images"), max_files=MAX_IMAGES)

    def __init__(self, *args: Any, service: Service | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(str(_("Choose a category")))
        self.fields["images"].help_text = _("Up to %(count)d JPEG, PNG, WebP or GIF images of at most 10 MB each; "
                                            "the first is the picture of your card.") % {"count": MAX_IMAGES}
        for tier, label in TIERS:
            self.fields[f"{tier}_title"] = forms.CharField(label=_("%(tier)s package name") % {"tier": label},
                                                           max_length=80, required=False)
            self.fields[f"{tier}_description"] = forms.CharField(
                label=_("%(tier)s: what is included") % {"tier": label}, max_length=2000, required=False,
                widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[f"{tier}_price"] = forms.DecimalField(
                label=_("%(tier)s price") % {"tier": label}, required=False, min_value=Decimal("5.00"),
                max_value=Decimal("100000"), max_digits=12, decimal_places=2,
                widget=forms.NumberInput(attrs=MONEY_WIDGET))
            self.fields[f"{tier}_delivery_days"] = forms.IntegerField(
                label=_("%(tier)s delivery (days)") % {"tier": label}, required=False, min_value=1, max_value=90)
            self.fields[f"{tier}_revisions"] = forms.IntegerField(
                label=_("%(tier)s revisions") % {"tier": label}, required=False, min_value=0, max_value=20,
                initial=1)
        self.extra_ids: list[int | None] = [extra.pk for extra in service.extras.all()] if service else []
        self.extra_ids += [None] * EXTRA_ROWS
        for row in range(len(self.extra_ids)):
            number = row + 1
            self.fields[f"extra{row}_title"] = forms.CharField(
                label=_("Extra %(n)d: name") % {"n": number}, max_length=80, required=False)
            self.fields[f"extra{row}_price"] = forms.DecimalField(
                label=_("Extra %(n)d: price") % {"n": number}, required=False, min_value=Decimal("1.00"),
                max_value=Decimal("100000"), max_digits=12, decimal_places=2,
                widget=forms.NumberInput(attrs=MONEY_WIDGET))
            self.fields[f"extra{row}_delivery_days"] = forms.IntegerField(
                label=_("Extra %(n)d: extra days") % {"n": number}, required=False, min_value=0, max_value=90)
        if service is not None:
            self.fields["images"].label = _("Add gallery images")
            images = cast(MultipleFileField, self.fields["images"])
            images.max_files = max(0, MAX_IMAGES - len(service.images.all()))

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": service.title, "description": service.description,
            "category": service.category.slug if service.category else "",
            "skills": ", ".join(skill.name for skill in service.skills.all()),
            "requirements": service.requirements,
        }
        for package in service.packages.all():
            for name in PACKAGE_FIELDS:
                initial[f"{package.tier}_{name}"] = getattr(package, name)
        for row, extra in enumerate(service.extras.all()):
            initial.update({f"extra{row}_title": extra.title, f"extra{row}_price": extra.price,
                            f"extra{row}_delivery_days": extra.delivery_days})
        return initial

    def package_rows(self) -> list[tuple[str, Any, list[forms.BoundField]]]:
        """(tier, label, its fields) for the template."""
        return [(tier, label, [self[f"{tier}_{name}"] for name in PACKAGE_FIELDS]) for tier, label in TIERS]

    def extra_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"extra{row}_{name}"] for name in ("title", "price", "delivery_days")]
                for row in range(len(self.extra_ids))]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for tier, label in TIERS:
            values = {name: cleaned.get(f"{tier}_{name}") for name in PACKAGE_FIELDS}
            if not (values["title"] or values["price"] or values["description"]):
                continue
            for name in ("title", "description", "price", "delivery_days"):
                if values[name] in (None, ""):
                    self.add_error(f"{tier}_{name}", _("Fill this in to offer the %(tier)s package, or clear "
                                                       "the package's other fields.") % {"tier": label})
        for row in range(len(self.extra_ids)):
            title, price = cleaned.get(f"extra{row}_title"), cleaned.get(f"extra{row}_price")
            if title and price is None:
                self.add_error(f"extra{row}_price", _("Give the extra a price, or clear its name."))
            if price is not None and not title:
                self.add_error(f"extra{row}_title", _("Name the extra, or clear its price."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        """The cleaned input in the shape `services.service_create` and `service_update` take (images apart)."""
        data = self.cleaned_data
        packages = []
        for tier, _label in TIERS:
            if data.get(f"{tier}_title"):
                packages.append({
                    "tier": tier, "title": data[f"{tier}_title"], "description": data[f"{tier}_description"],
                    "price": data[f"{tier}_price"], "delivery_days": data[f"{tier}_delivery_days"],
                    "revisions": data.get(f"{tier}_revisions") if data.get(f"{tier}_revisions") is not None else 1,
                })
        extras = []
        for row, extra_id in enumerate(self.extra_ids):
            if data.get(f"extra{row}_title"):
                extra = {"title": data[f"extra{row}_title"], "price": data[f"extra{row}_price"],
                         "delivery_days": data.get(f"extra{row}_delivery_days") or 0}
                if extra_id:
                    extra["id"] = extra_id
                extras.append(extra)
        return {
            "title": data["title"], "description": data["description"], "category": data.get("category") or None,
            "skills": [name.strip() for name in (data.get("skills") or "").split(",") if name.strip()],
            "requirements": data.get("requirements") or "", "packages": packages, "extras": extras,
        }
