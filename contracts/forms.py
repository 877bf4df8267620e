"""Forms of the contract page's milestones. They check the shape of the input; `escrow.py` does the work.

Each milestone's forms carry a prefix of their own (`m12-fund-…`), so the ids of many forms on one page never
clash and every label stays tied to its input. A service's `ApplicationError` is put back on the form with
`accounts.forms.form_add_service_error`.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.forms import MultipleFileField
from payments.forms import TestCardForm  # noqa: F401  (the funding form of the milestones)

MONEY_WIDGET = {"step": "0.01", "inputmode": "decimal", "min": "0.01"}


def prefix_for(milestone_id: int, action: str) -> str:
    return f"m{milestone_id}-{action}"


class MilestoneForm(forms.Form):
    """The client adds a milestone: a part of the work paid into escrow on its own."""

    title = forms.CharField(label=_("Title"), max_length=200,
                            help_text=_("A part of the work that can be delivered and paid on its own, "
                                      "e.g. “Designs for the home page”."))
    description = forms.CharField(label=_("Description"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("What the freelancer delivers for this milestone."))
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.50"),
                                widget=forms.NumberInput(attrs=MONEY_WIDGET))
    due_date = forms.DateField(label=_("Due date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, currency: str = "usd", fee_percent: int = 10, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "milestone")
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Amount ({currency})").format(currency=currency.upper())
        self.fields["amount"].help_text = _("Paid into escrow when you fund the milestone. The freelancer receives it "
                                            "less the {fee_percent}% platform fee when you approve the work.").format(
                                                fee_percent=fee_percent)

    def clean_due_date(self) -> Any:
        due = self.cleaned_data.get("due_date")
        if due and due < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later date."))
        return due

    def service_data(self, currency: str) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data["title"], "description": data["description"], "amount": data["amount"],
                "currency": currency, "due_date": data["due_date"]}


class ElementsFundForm(forms.Form):
    """With real Stripe keys: nothing but the button; Stripe Elements takes the card in the browser."""


class SubmitWorkForm(forms.Form):
    note = forms.CharField(label=_("Note to the client"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("What you delivered, and where to find it."))
    # A declared field: the form's metaclass takes it off the class, so `BaseForm.files` (the uploads) is untouched.
    files = MultipleFileField(label=_("Files"), max_files=10,  # type: ignore[assignment]
                              help_text=_("PDF, images, text, office documents or zip; up to 10 MB each."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not (data.get("note") or "").strip() and not data.get("files"):
            raise forms.ValidationError(_("Add a note or a file describing what you delivered."))
        return data


class RequestChangesForm(forms.Form):
    note = forms.CharField(label=_("What should change?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("The freelancer sees this note; the milestone stays funded meanwhile."))


class RefundForm(forms.Form):
    note = forms.CharField(label=_("Reason for the refund"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("The client sees this note."))


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("What went wrong?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Our staff read both sides and decide: release, refund or split."))
    evidence = forms.FileField(label=_("Evidence"), required=False,
                               help_text=_("A file that shows what happened (PDF, image, text or zip; up to 10 MB)."))


# --- reviews ------------------------------------------------------------------------------------

RATINGS = [("5", "5: Excellent"), ("4", "4: Good"), ("3", "3: OK"), ("2", "2: Poor"), ("1", "1: Very poor")]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Your rating"), choices=RATINGS, coerce=int, widget=forms.RadioSelect,
                                    error_messages={"required": "Choose a rating from 1 to 5."})
    comment = forms.CharField(label=_("Comment"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("What went well, and what could have gone better."))


# --- a dispute's page ---------------------------------------------------------------------------


class DisputeAnswerForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Both parties and our staff read the whole thread."))
    evidence = forms.FileField(label=_("Evidence"), required=False,
                               help_text=_("A file that supports your answer (PDF, image, text, office document or "
                                         "zip; up to 10 MB)."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not (data.get("body") or "").strip() and not data.get("evidence"):
            raise forms.ValidationError(_("Write an answer or add a file."))
        return data


RESOLUTIONS = [("release", "Release it all to the freelancer"), ("refund", "Refund it all to the client"),
               ("split", "Split: part to the freelancer, the rest refunded")]


class DisputeResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Decision"), choices=RESOLUTIONS, widget=forms.RadioSelect,
                                   error_messages={"required": "Choose release, refund or split."})
    freelancer_amount = forms.DecimalField(label=_("Freelancer's part"), max_digits=12, decimal_places=2,
                                           required=False, min_value=Decimal("0.01"),
                                           widget=forms.NumberInput(attrs=MONEY_WIDGET),
                                           help_text=_("For a split: the amount released to the freelancer (less "
                                                     "the fee); the rest is refunded to the client."))
    note = forms.CharField(label=_("Note to both parties"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, currency: str = "usd", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["freelancer_amount"].label = f"Freelancer's part ({currency.upper()})"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("resolution") == "split" and data.get("freelancer_amount") is None \
                and "freelancer_amount" not in self.errors:
            self.add_error("freelancer_amount", _("Say how much the freelancer receives."))
        return data
