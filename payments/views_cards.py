"""Saved cards on the billing page (`/settings/billing/#saved-cards`): add a card, confirm it when the bank asks,
remove one. Against the local emulator the page takes a test card; with real keys Stripe Elements confirms a
SetupIntent in the browser and the page posts its id. Thin views over `payments.methods`."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.requests import signed_in_user
from core.exceptions import ApplicationError

from . import methods
from .billing import card_payment_method
from .forms import TestCardForm

PREFIX = "newcard"
PENDING = "pending_card_setup"


def _back() -> HttpResponse:
    return redirect("/settings/billing/#saved-cards")


def cards_context(request: HttpRequest, mode: str) -> dict[str, Any]:
    """What the billing page shows of the caller's saved cards, and the form that adds one."""
    context: dict[str, Any] = {"saved_cards": methods.saved_cards(signed_in_user(request)),
                               "card_form": TestCardForm(prefix=PREFIX), "pending_setup": request.session.get(PENDING)}
    if mode == "elements":
        try:
            context["setup_intent"] = methods.setup_intent_create(signed_in_user(request))
        except ApplicationError:
            context["setup_intent"] = None
    return context


def _saved(request: HttpRequest, result: methods.SetupResult) -> None:
    if result.card is not None:
        request.session.pop(PENDING, None)
        messages.success(request, _("Your card ending %(last4)s is saved; weekly hours are charged to it.")
                         % {"last4": result.card.last4})
    elif result.status == "requires_action":
        request.session[PENDING] = {"id": result.setup_intent_id, "secret": result.client_secret}
        messages.info(request, _("Your bank asks you to confirm this card."))
    else:
        messages.error(request, _("The card could not be saved; try another."))


@sensitive_post_parameters(*(f"{PREFIX}-{name}" for name in ("card_number", "exp_month", "exp_year", "cvc")))
@login_required
@require_POST
def card_add(request: HttpRequest) -> HttpResponse:
    try:
        if request.POST.get("setup_intent"):
            result = methods.card_save_from_setup_intent(user=signed_in_user(request),
                                                         setup_intent_id=request.POST["setup_intent"])
        else:
            form = TestCardForm(request.POST, prefix=PREFIX)
            if not form.is_valid():
                messages.error(request, _("Check the card number, expiry date and security code."))
                return _back()
            data = form.cleaned_data
            method = card_payment_method(number=data["card_number"], exp_month=data["exp_month"],
                                         exp_year=data["exp_year"], cvc=data["cvc"])
            result = methods.card_save(user=signed_in_user(request), payment_method=method)
    except ApplicationError as exc:
        messages.error(request, str(exc.detail))
        return _back()
    _saved(request, result)
    return _back()


@login_required
@require_POST
def card_confirm(request: HttpRequest) -> HttpResponse:
    """The test bank's page: confirms the card the bank asked about (the local emulator only)."""
    pending = request.session.get(PENDING)
    if not pending:
        return _back()
    try:
        result = methods.setup_intent_authenticate_test(user=signed_in_user(request), setup_intent_id=pending["id"],
                                                        client_secret=pending["secret"])
    except ApplicationError as exc:
        messages.error(request, str(exc.detail))
        return _back()
    _saved(request, result)
    return _back()


@login_required
@require_POST
def card_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        methods.card_delete(user=signed_in_user(request), card_id=pk)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from None
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("The card is removed."))
    return _back()
