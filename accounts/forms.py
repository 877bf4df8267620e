"""Forms of the account pages. They check the shape of the input; the services in `services.py` do the work.

Errors a service raises (`ApplicationError.errors`, keyed by the service's field names) are put back on
the form by `form_add_service_error`, next to the field they belong to.
"""

import re
import zoneinfo
from decimal import Decimal
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from core.money import CURRENCIES

from .models import User, UserType

USER_TYPE_CHOICES = [(UserType.CLIENT.value, "I want to hire"), (UserType.FREELANCER.value, "I want to work")]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime"})
    if "UTC" in names:
        names.remove("UTC")
    return [("UTC", "UTC"), *[(name, name.replace("_", " ")) for name in names]]


def form_add_service_error(form: forms.Form, exc: ApplicationError, field_map: dict[str, str] | None = None) -> None:
    """Shows a service's error next to the field it names, or at the top of the form."""
    field_map = field_map or {}
    placed = False
    for service_field, messages in (exc.errors or {}).items():
        field = field_map.get(service_field, service_field)
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.detail))


def _email_field(label: str | None = None) -> forms.EmailField:
    return forms.EmailField(
        label=label or _("E-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SignupForm(forms.Form):
    email = _email_field()
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters; not a common password and not only numbers."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    user_type = forms.ChoiceField(label=_("What brings you here?"), choices=USER_TYPE_CHOICES, widget=forms.RadioSelect,
                                  error_messages={"required": "Choose whether you want to hire or to work."})
    company = forms.CharField(label=_("Company"), max_length=120, required=False,
                              help_text=_("Only if you hire for a company."),
                              widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    # Filled in from the browser (static/js/timezone.js); a missing or unknown zone leaves UTC.
    timezone = forms.CharField(required=False, max_length=64,
                               widget=forms.HiddenInput(attrs={"data-browser-timezone": ""}))

    def clean_timezone(self) -> str:
        name = self.cleaned_data.get("timezone", "").strip()
        return name if name in zoneinfo.available_timezones() else ""


class LoginForm(forms.Form):
    email = _email_field()
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    """A 6-digit code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false",
                                      "autocapitalize": "off"}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class PhoneNumberForm(forms.Form):
    """A mobile number to verify; `phone.phone_number_normalize` decides whether it is a real E.164 number."""

    phone_number = forms.CharField(
        label=_("Mobile number"), max_length=32,
        help_text=_("With + and your country code, for example +44 7700 900123. We text a code to it."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )


class PhoneCodeForm(forms.Form):
    """The six-digit code texted to the number being verified."""

    code = forms.CharField(
        label=_("Code from the text message"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class PasswordResetRequestForm(forms.Form):
    email = _email_field()


class SetPasswordForm(forms.Form):
    new_password1 = forms.CharField(label=_("New password"), strip=False,
                                    help_text=_("At least 8 characters; not a common password and not only numbers."),
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("New password again"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords are not the same."))
        return cleaned


class PasswordChangeForm(SetPasswordForm):
    current_password = forms.CharField(label=_("Current password"), strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    field_order = ["current_password", "new_password1", "new_password2"]


COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")


class ProfileForm(forms.Form):
    """The caller's own profile. Fields only freelancers or only clients have are removed for the others."""

    first_name = forms.CharField(label=_("First name"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             help_text=_("If you change it, we send a link to confirm the new address."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    current_password = forms.CharField(
        label=_("Current password"), required=False, strip=False,
        help_text=_("Only needed when you change your e-mail address."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    headline = forms.CharField(label=_("Headline"), max_length=120, required=False,
                               help_text=_("One line about you, e.g. “Django developer”."))
    bio = forms.CharField(label=_("About you"), max_length=5000, required=False,
                          widget=forms.Textarea(attrs={"rows": 6}))
    country = forms.CharField(label=_("Country code"), max_length=2, required=False,
                              help_text=_("Two letters, e.g. DE, US or PK."),
                              widget=forms.TextInput(attrs={"autocomplete": "country", "size": 3}))
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices,
                                 help_text=_("Times on the site and in e-mails are shown in this zone."))
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("The language of my browser")), *settings.LANGUAGES])
    display_currency = forms.ChoiceField(
        label=_("Also show amounts in"), required=False, choices=[("", _("Only the real currency")), *CURRENCIES],
        help_text=_("An approximate amount beside each price, at the exchange rates we keep. "
                    "Payments stay in the contract's currency."))
    company = forms.CharField(label=_("Company"), max_length=120, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    hourly_rate = forms.DecimalField(label=_("Hourly rate (USD)"), required=False, min_value=Decimal(0),
                                     max_digits=10, decimal_places=2,
                                     widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    skills = forms.CharField(label=_("Skills"), max_length=2000, required=False,
                             help_text=_("Separate skills with commas, e.g. Django, PostgreSQL, React."))
    available = forms.BooleanField(label=_("I am available for new work"), required=False)
    avatar = forms.FileField(label=_("Profile photo"), required=False,
                             help_text=_("A JPEG, PNG, WebP or GIF image of at most 5 MB."),
                             widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
    remove_avatar = forms.BooleanField(label=_("Remove my profile photo"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.is_freelancer:
            for name in ("hourly_rate", "skills", "available"):
                del self.fields[name]
        if not user.is_client:
            del self.fields["company"]
        if not user.avatar:
            del self.fields["remove_avatar"]

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {
            "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "headline": user.headline, "bio": user.bio, "country": user.country, "timezone": user.timezone,
            "language": user.language, "display_currency": user.display_currency,
            "company": user.company, "hourly_rate": user.hourly_rate, "available": user.available,
            "skills": ", ".join(skill.name for skill in user.skills.all()),
        }

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip()
        if country and not COUNTRY_RE.match(country):
            raise forms.ValidationError(_("Enter the two-letter country code, e.g. DE."))
        return country.upper()

    def service_data(self) -> dict[str, Any]:
        """The cleaned input in the shape `services.profile_update` takes."""
        data = dict(self.cleaned_data)
        if not data.get("current_password"):
            data.pop("current_password", None)
        remove_avatar = data.pop("remove_avatar", False)
        avatar = data.pop("avatar", None)
        if avatar:
            data["avatar"] = avatar
        elif remove_avatar:
            data["avatar"] = None
        if "skills" in data:
            data["skills"] = [name.strip() for name in data["skills"].split(",") if name.strip()]
        return data


class BillingDetailsForm(forms.Form):
    """The name, address and tax ID printed on one's receipts and statements, kept as typed."""

    name = forms.CharField(label=_("Name or company"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    address_line1 = forms.CharField(label=_("Address line 1"), max_length=200, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    address_line2 = forms.CharField(label=_("Address line 2"), max_length=200, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    city = forms.CharField(label=_("City"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    postcode = forms.CharField(label=_("Postcode"), max_length=20, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "postal-code"}))
    country = forms.CharField(label=_("Country"), max_length=100, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "country-name"}))
    tax_id = forms.CharField(label=_("Tax ID"), max_length=50, required=False,
                             help_text=_("A VAT number, GST number or other tax ID, as it should appear."))
