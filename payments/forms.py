"""The test-card form of the local Stripe emulator, shared by every page that takes a card.

With real Stripe keys a card never reaches this server: Stripe Elements takes it in the browser.
"""

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CARD_FIELDS = ("card_number", "exp_month", "exp_year", "cvc")


class _NoEchoInput(forms.TextInput):
    """A text box that never puts what was typed back into the page."""

    def format_value(self, value: Any) -> None:
        return None


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


class TestCardForm(forms.Form):
    """Card details for the local Stripe emulator (Stripe's test cards, e.g. 4242 4242 4242 4242)."""

    card_number = forms.CharField(label=_("Card number"), max_length=23, widget=_NoEchoInput(
        attrs={"autocomplete": "cc-number", "inputmode": "numeric"}))
    exp_month = forms.CharField(label=_("Expiry month (MM)"), max_length=2, widget=_NoEchoInput(
        attrs={"autocomplete": "cc-exp-month", "inputmode": "numeric", "size": 2}))
    exp_year = forms.CharField(label=_("Expiry year (YYYY)"), max_length=4, widget=_NoEchoInput(
        attrs={"autocomplete": "cc-exp-year", "inputmode": "numeric", "size": 4}))
    cvc = forms.CharField(label=_("Security code (CVC)"), max_length=4, widget=_NoEchoInput(
        attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "size": 4}))

    def clean_card_number(self) -> str:
        number = _digits(self.cleaned_data["card_number"])
        if not number.isdigit() or not 13 <= len(number) <= 19:
            raise forms.ValidationError(_("Enter the card number: 13 to 19 digits."))
        return number

    def clean_exp_month(self) -> int:
        value = self.cleaned_data["exp_month"].strip()
        if not value.isdigit() or not 1 <= int(value) <= 12:
            raise forms.ValidationError(_("Enter the month as a number from 1 to 12."))
        return int(value)

    def clean_exp_year(self) -> int:
        value = self.cleaned_data["exp_year"].strip()
        if not value.isdigit() or len(value) not in (2, 4):
            raise forms.ValidationError(_("Enter the year, for example 2030."))
        return int(value) + (2000 if len(value) == 2 else 0)

    def clean_cvc(self) -> str:
        value = self.cleaned_data["cvc"].strip()
        if not value.isdigit() or len(value) not in (3, 4):
            raise forms.ValidationError(_("Enter the 3 or 4 digits on the back of the card."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        month, year = data.get("exp_month"), data.get("exp_year")
        today = timezone.localdate()
        if month and year and (year, month) < (today.year, today.month):
            self.add_error("exp_year", _("This card has expired."))
        return data
