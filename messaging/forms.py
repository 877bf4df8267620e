"""Forms of the messaging pages. They check the shape of the input; `services` and `notifications` do the work."""

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationKind

MESSAGE_MAX_LENGTH = 5000


class MessageForm(forms.Form):
    """One message: text, a file, or both. `client_id` makes a repeated submit store the message once."""

    content = forms.CharField(
        label=_("Message"), required=False, max_length=MESSAGE_MAX_LENGTH, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH, "autocomplete": "off"}),
    )
    file = forms.FileField(label=_("Attach a file"), required=False,
                           help_text=_("An image, PDF, text file, zip or office document, up to 10 MB."))
    client_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_id", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not data.get("content") and not data.get("file"):
            self.add_error("content", _("Write a message or attach a file."))
        if not data.get("client_id"):
            data["client_id"] = uuid.uuid4().hex
        return data


class PreferencesForm(forms.Form):
    """Four switches per kind of notification: `<kind>__in_app`, `<kind>__email`, `<kind>__sms`, `<kind>__push`."""

    CHANNELS = (("in_app", _("In the app")), ("email", _("By e-mail")), ("sms", _("By text message")),
                ("push", _("On my phone (app)")))

    def __init__(self, *args: Any, current: dict[str, dict[str, bool]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind.values:
            for channel, label in self.CHANNELS:
                self.fields[f"{kind}__{channel}"] = forms.BooleanField(
                    label=label, required=False, initial=current.get(kind, {}).get(channel, True))

    def rows(self) -> list[dict[str, Any]]:
        """For the template: each kind with its label and its two bound fields."""
        return [
            {"kind": kind, "label": label, "fields": [self[f"{kind}__{channel}"] for channel, _label in self.CHANNELS]}
            for kind, label in NotificationKind.choices
        ]

    def changes(self) -> dict[str, dict[str, bool]]:
        return {
            kind: {channel: bool(self.cleaned_data.get(f"{kind}__{channel}")) for channel, _label in self.CHANNELS}
            for kind in NotificationKind.values
        }
