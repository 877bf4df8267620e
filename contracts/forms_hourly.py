"""The forms of the timesheet: logging time, changing an entry, the weekly limit, disputing a week."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TimeEntryForm(forms.Form):
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}),
                           help_text=_("The day you worked (UTC)."))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=1440,
                                 help_text=_("1 to 1440; at most 24 hours a day in all."))
    memo = forms.CharField(label=_("What you worked on"), max_length=500, required=False)


class TimeEntryEditForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=1440)
    memo = forms.CharField(label=_("What you worked on"), max_length=500, required=False)


class WeeklyLimitForm(forms.Form):
    weekly_limit_hours = forms.IntegerField(label=_("Weekly limit (hours)"), min_value=1, max_value=168,
                                            required=False,
                                            help_text=_("The most hours a week you pay for, from the week in "
                                                        "progress on. Empty: no limit."))


class InvoiceDisputeForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong with these hours?"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))
