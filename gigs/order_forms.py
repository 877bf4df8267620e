"""The forms of the order pages: placing an order, and each step the two parties (and staff) take."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import money_text, to_minor
from marketplace.forms import MultipleFileField
from payments.forms import TestCardForm  # noqa: F401  (the card form of the order page)

from .models import Service


class OrderForm(forms.Form):
    """The buyer's choices: extras, and answers to the seller's questions."""

    extras = forms.MultipleChoiceField(label=_("Extras"), required=False, widget=forms.CheckboxSelectMultiple)
    requirements = forms.CharField(label=_("Your answers to the seller's questions"), max_length=10000,
                                   widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["extras"]).choices = [
            (str(extra.pk), _("%(title)s (+%(price)s%(days)s)") % {
                "title": extra.title, "price": money_text(to_minor(extra.price), service.currency),
                "days": _(", +%(n)s days") % {"n": extra.delivery_days} if extra.delivery_days else ""})
            for extra in service.extras.all()]
        if not service.requirements.strip():
            self.fields["requirements"].required = False
            self.fields["requirements"].label = _("Anything the seller should know")


class DeliverForm(forms.Form):
    note = forms.CharField(label=_("Note to the buyer"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), help_text=_("What you deliver."))
    # A declared field (the form class moves it into `base_fields`), not the form's uploads the stubs see here.
    files = MultipleFileField(label=_("Files"), max_files=10,  # type: ignore[assignment]
                              help_text=_("PDF, images, text, office documents or zip; up to 10 MB each."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not (data.get("note") or "").strip() and not data.get("files"):
            raise forms.ValidationError(_("Add a note or a file describing what you deliver."))
        return data


class RevisionForm(forms.Form):
    reason = forms.CharField(label=_("What should change?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why cancel?"), max_length=5000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("What went wrong?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Our staff read this and both sides' messages before deciding."))


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("release", _("Release to the seller")), ("refund", _("Refund the buyer")),
        ("split", _("Split between both"))])
    freelancer_amount = forms.DecimalField(label=_("Seller's part (for a split)"), max_digits=12, decimal_places=2,
                                           required=False, min_value=0)
    note = forms.CharField(label=_("Note to both parties"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(n, _("%(n)s of 5") % {"n": n}) for n in range(5, 0, -1)])
    comment = forms.CharField(label=_("Your review"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Shown once you have both reviewed, or 14 days after completion."))
