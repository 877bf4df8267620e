"""The billing page, /settings/billing/: the Client Pro plan, what it unlocks, subscribe and cancel.

With real Stripe keys the card goes from the browser straight to Stripe (Stripe Elements makes the
PaymentMethod); against the local emulator a plain test-card form is posted here and the PaymentMethod is
made at the emulator. Card details are never stored, logged or sent back in the page.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms import form_add_service_error
from accounts.models import UserType
from core.exceptions import ApplicationError

from . import billing
from .forms import CARD_FIELDS, TestCardForm


class ElementsForm(forms.Form):
    """What the page posts once Stripe Elements has made the PaymentMethod in the browser."""

    payment_method = forms.CharField(max_length=255, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("payment_method"):
            raise forms.ValidationError("Enter your card details.")  # shown above the form, not on the hidden field
        return data


def card_mode() -> str:
    """`elements` with real Stripe keys, `test_card` against the emulator, `off` when neither is set up."""
    if settings.STRIPE_API_BASE:
        return "test_card"
    if settings.STRIPE_PUBLISHABLE_KEY.startswith(("pk_live_", "pk_test_")):
        return "elements"
    return "off"


def _subscribe(request: HttpRequest, mode: str) -> tuple[forms.Form, int]:
    """Subscribes with the posted card. Returns the form and 0 when done, else the status to answer with."""
    form: forms.Form = TestCardForm(request.POST) if mode == "test_card" else ElementsForm(request.POST)
    if mode == "off":
        form.add_error(None, "Card payments are not set up on this site.")
        return form, 503
    if not form.is_valid():
        return form, 400
    try:
        if mode == "test_card":
            card = form.cleaned_data
            payment_method = billing.card_payment_method(number=card["card_number"], exp_month=card["exp_month"],
                                                         exp_year=card["exp_year"], cvc=card["cvc"])
        else:
            payment_method = form.cleaned_data["payment_method"]
        billing.subscribe(request.user, payment_method)
    except ApplicationError as exc:
        form_add_service_error(form, exc, {"payment_method": "card_number" if mode == "test_card" else ""})
        return form, exc.status_code
    return form, 0


@sensitive_post_parameters(*CARD_FIELDS)
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def billing_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.user_type != UserType.CLIENT:
        return render(request, "marketplace/forbidden.html", {
            "title": "Billing is for clients",
            "message": "The Client Pro plan is for clients who hire. Freelancers use MegiLance for free.",
            "link": ("/settings/profile/", "Back to your settings"),
        }, status=403)
    mode = card_mode()
    form: forms.Form = TestCardForm() if mode == "test_card" else ElementsForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "subscribe":
                form, status = _subscribe(request, mode)
                if not status:
                    messages.success(request, "Welcome to Client Pro: invite-only projects and up to "
                                              f"{billing.PRO_INVITES_PER_PROJECT} invites per project are on.")
                    return redirect("settings_billing")
            elif action == "cancel":
                row = billing.cancel(user)
                ends = user.client_plan_until or row.current_period_end
                messages.success(request, f"Your Client Pro plan will end on {date_format(ends, 'j F Y')}. "
                                          "It stays on until then." if ends else "Your Client Pro plan has ended.")
                return redirect("settings_billing")
            elif action == "resume":
                billing.subscribe(user, None)
                messages.success(request, "Your Client Pro plan will renew as before.")
                return redirect("settings_billing")
            else:
                status = 400
                form.add_error(None, "Choose what to do.")
        except ApplicationError as exc:
            messages.error(request, str(exc.detail))
            return redirect("settings_billing")
    summary = billing.summary(user)
    return render(request, "payments/billing.html", {
        "summary": summary,
        "form": form,
        "card_mode": mode,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if mode == "elements" else "",
        "plan_name": billing.PLAN_NAME,
        "pro_invites": billing.PRO_INVITES_PER_PROJECT,
        "free_invites": billing.FREE_INVITES_PER_PROJECT,
        "live": summary["status"] in billing.LIVE_STATUSES,
    }, status=status)
