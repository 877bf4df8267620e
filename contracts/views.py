"""Contract pages: the caller's contracts, and one contract for its two parties: its milestones and the
money in them (add, fund, submit, request changes, approve, refund, dispute), completion and reviews.

Card details: against the local Stripe emulator (settings.STRIPE_API_BASE set) the page has a plain test-card
form and the PaymentMethod is made at the emulator; with real keys Stripe Elements takes the card in the
browser and confirms the PaymentIntent's client secret there, and the webhook (or the "check" button) records
it. Card details are never stored, logged or sent back in the page.
"""

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import form_add_service_error
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError
from core.money import fee_minor, money_text, percent_text, to_minor
from marketplace import selectors as marketplace_selectors
from marketplace import views as marketplace_views
from marketplace.models import Review
from payments import selectors as payment_selectors
from payments import services as payments
from payments.billing import card_payment_method

from . import dashboard as dashboards
from . import disputes, escrow, selectors, services
from .forms import (
    DisputeAnswerForm,
    DisputeForm,
    DisputeResolveForm,
    ElementsFundForm,
    MilestoneForm,
    RefundForm,
    RequestChangesForm,
    ReviewForm,
    SubmitWorkForm,
    TestCardForm,
    prefix_for,
)
from .models import (
    Contract,
    ContractStatus,
    Dispute,
    DisputeMessage,
    Milestone,
    MilestoneStatus,
    Submission,
    SubmissionFile,
)
from .reviews import has_paid_work, review_create

if TYPE_CHECKING:
    from marketplace.models import Attachment

    from .models import MilestoneStatusChange

    # For the type checker only: the rows the pages list, with what the templates show beside each.
    class ListedContract(Contract):
        money: dict[str, str]  # `fee_lines` of its total

    class ShownMilestone(Milestone):
        """A milestone on its contract's page (`_money_context`)."""

        money: dict[str, Any]  # `milestone_money`
        open_dispute: Dispute | None
        resolved_disputes: list[Dispute]
        withdrawn_disputes: list[Dispute]
        changes_requested: MilestoneStatusChange | None  # the client's latest request, while it is being worked on
        intent: dict[str, Any] | None  # `_intent_state`
        fund_form: forms.Form | None  # each form only for whom may use it now
        submit_form: forms.Form | None
        changes_form: forms.Form | None
        refund_form: forms.Form | None
        dispute_form: forms.Form | None

    class ListedDispute(Dispute):
        money: dict[str, Any]  # `milestone_money` of its milestone

logger = logging.getLogger(__name__)

PER_PAGE = 20


def _error_status(exc: ApplicationError) -> int:
    return exc.status_code if 400 <= exc.status_code < 500 else 400


@login_required
@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each person's home after signing in: what needs them now, for their role."""
    user = signed_in_user(request)
    if user.is_client:
        return render(request, "contracts/dashboard_client.html", dashboards.client_dashboard(user))
    if user.is_freelancer:
        return render(request, "contracts/dashboard_freelancer.html", dashboards.freelancer_dashboard(user))
    if user.is_staff:
        return redirect("/staff/dashboard/")
    return redirect("settings_profile")


@login_required
@require_http_methods(["GET", "HEAD"])
def contract_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    # Only the caller's own contracts, staff included: staff look at others' in the admin.
    contracts = selectors.contracts_for(user).filter(Q(client=user) | Q(freelancer=user)).order_by("-created_at", "-id")
    page = Paginator(contracts, PER_PAGE).get_page(request.GET.get("page"))
    for contract in cast("Iterable[ListedContract]", page.object_list):
        contract.money = fee_lines(contract.total_amount, contract.currency)
    return render(request, "contracts/contract_list.html", {"page": page, "contracts": page.object_list,
                                                            "fee_percent": settings.PLATFORM_FEE_PERCENT})


def _contract_or_404(request: HttpRequest, pk: int) -> Contract:
    contract = selectors.contracts_for(signed_in_user(request)).select_related("proposal").filter(pk=pk).first()
    if contract is None or not contract.is_party(signed_in_user(request)):
        raise Http404
    return contract


def _contract_for_files_or_404(request: HttpRequest, pk: int) -> Contract:
    """The contract whose files the caller may open: its two parties, and staff deciding a dispute."""
    user = signed_in_user(request)
    contract = selectors.contracts_for(user).filter(pk=pk).first()
    if contract is None or not (contract.is_party(user) or user.is_staff):
        raise Http404
    return contract


def _contract_page(request: HttpRequest, contract: Contract, *, review_form: ReviewForm | None = None,
                   error: str = "", status: int = 200, bound: dict[tuple[Any, str], forms.Form] | None = None
                   ) -> HttpResponse:
    user = signed_in_user(request)
    reviewed = Review.objects.filter(contract_id=contract.pk, reviewer=user).exists()
    paid = has_paid_work(contract)
    can_review = contract.status == ContractStatus.COMPLETED and not reviewed and paid
    if review_form is not None and not can_review and review_form.non_field_errors() and not error:
        error = str(review_form.non_field_errors()[0])
    other = contract.freelancer if user.pk == contract.client_id else contract.client
    context = {
        "contract": contract,
        "is_client": user.pk == contract.client_id,
        "other": other,
        "can_complete": user.pk == contract.client_id and contract.status == ContractStatus.ACTIVE,
        "completion_refusal": services.completion_refusal(contract) if contract.status == ContractStatus.ACTIVE
        else None,
        "has_paid_work": paid,
        "review_form": (review_form or ReviewForm()) if can_review else None,
        "reviews": marketplace_selectors.reviews_for(viewer=user).filter(contract_id=contract.pk),
        "reviewed": reviewed,
        "error": error,
        **_money_context(request, contract, bound or {}),
    }
    return render(request, "contracts/contract_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _contract_page(request, _contract_or_404(request, pk))


@login_required
@require_POST
def contract_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    try:
        services.contract_complete(contract=contract, by=signed_in_user(request))
    except ApplicationError as exc:
        return _contract_page(request, contract, error=str(exc.detail), status=_error_status(exc))
    messages.success(request, _("The contract is completed. You can now review each other."))
    return redirect("contract_detail", pk=pk)


@login_required
@require_POST
def contract_review(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = ReviewForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            review_create(contract=contract, reviewer=signed_in_user(request), rating=form.cleaned_data["rating"],
                          comment=form.cleaned_data["comment"])
        except ApplicationError as exc:
            form_add_service_error(form, exc)
            status = _error_status(exc)
        else:
            messages.success(request, _("Thank you: your review is saved. Both reviews are shown once both of you "
                                        "have written one, or after 14 days."))
            return redirect("contract_detail", pk=pk)
    return _contract_page(request, contract, review_form=form, status=status)


# --- milestones and the money in them -------------------------------------------------------------


def card_mode() -> str:
    """`test_card` against the local Stripe emulator, `elements` with real keys, `off` when neither is set up."""
    if settings.STRIPE_API_BASE:
        return "test_card"
    if settings.STRIPE_PUBLISHABLE_KEY.startswith(("pk_live_", "pk_test_")):
        return "elements"
    return "off"


def fee_lines(amount: Decimal, currency: str) -> dict[str, str]:
    """The amount, today's platform fee and what the freelancer receives, as people read them."""
    gross = to_minor(amount)
    fee = fee_minor(gross, settings.PLATFORM_FEE_PERCENT)
    return {"amount": money_text(gross, currency), "fee": money_text(fee, currency),
            "net": money_text(gross - fee, currency)}


def milestone_money(milestone: Milestone) -> dict[str, Any]:
    """A milestone's money as people read it: its fee as fixed at funding, and once settled what was released
    to the freelancer and refunded to the client (both, for a staff split)."""
    settled = milestone.settlement()
    currency = milestone.currency
    return {"amount": money_text(to_minor(milestone.amount), currency), "fee": money_text(settled.fee, currency),
            "net": money_text(settled.freelancer_receives, currency), "fee_percent": percent_text(settled.fee_percent),
            "released": money_text(settled.released, currency), "refunded": money_text(settled.refunded, currency),
            "has_released": settled.released > 0, "has_refunded": settled.refunded > 0, "split": settled.split}


def _intent_state(milestone: Milestone) -> dict[str, Any] | None:
    """Where the last funding attempt of a pending milestone stands at Stripe (None if none, or Stripe is away)."""
    if not milestone.payment_intent_id:
        return None
    try:
        intent = payments.payment_intent_state(milestone.payment_intent_id)
    except payments.PaymentServiceUnavailable:
        return None
    return {"status": intent.status, "client_secret": intent.client_secret}


def _money_context(request: HttpRequest, contract: Contract, bound: dict[tuple[Any, str], forms.Form]
                   ) -> dict[str, Any]:
    """The milestones of the contract with their money and the forms the caller may use on each."""
    user = signed_in_user(request)
    is_client, is_freelancer = user.pk == contract.client_id, user.pk == contract.freelancer_id
    settled = contract.status in (ContractStatus.COMPLETED, ContractStatus.CANCELLED)
    mode = card_mode()
    milestones = cast("list[ShownMilestone]", list(contract.milestones.prefetch_related(
        Prefetch("submissions", Submission.objects.prefetch_related("files")),
        Prefetch("disputes", Dispute.objects.select_related("opened_by")),
        "status_changes",
    )))
    for milestone in milestones:
        milestone.money = milestone_money(milestone)
        disputes = list(milestone.disputes.all())
        milestone.open_dispute = next((d for d in disputes if d.status == Dispute.Status.OPEN), None)
        milestone.resolved_disputes = [d for d in disputes if d.status == Dispute.Status.RESOLVED]
        milestone.withdrawn_disputes = [d for d in disputes if d.status == Dispute.Status.WITHDRAWN]
        sent_back = [change for change in milestone.status_changes.all()
                     if change.from_status == MilestoneStatus.SUBMITTED and change.to_status == MilestoneStatus.FUNDED]
        waiting = sent_back and milestone.status == MilestoneStatus.FUNDED
        milestone.changes_requested = sent_back[-1] if waiting else None

        def form(action: str, form_class: type[forms.Form], m: Milestone = milestone) -> forms.Form:
            return bound.get((m.pk, action)) or form_class(prefix=prefix_for(m.pk, action))

        in_escrow = milestone.status in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED)
        milestone.intent = None
        milestone.fund_form = milestone.submit_form = milestone.changes_form = None
        milestone.refund_form = milestone.dispute_form = None
        if is_client and milestone.status == MilestoneStatus.PENDING and contract.status == ContractStatus.ACTIVE:
            milestone.fund_form = form("fund", TestCardForm if mode == "test_card" else ElementsFundForm)
            milestone.intent = _intent_state(milestone)
        if is_freelancer and milestone.status == MilestoneStatus.FUNDED and not settled:
            milestone.submit_form = form("submit", SubmitWorkForm)
        if is_client and milestone.status == MilestoneStatus.SUBMITTED and not settled:
            milestone.changes_form = form("changes", RequestChangesForm)
        if in_escrow and not settled and (is_freelancer or milestone.refund_requested_at is None):
            milestone.refund_form = form("refund", RefundForm)  # the freelancer refunds; the client asks
        if in_escrow and not settled:
            milestone.dispute_form = form("dispute", DisputeForm)
    add_form = None
    if is_client and contract.status == ContractStatus.ACTIVE:
        add_form = bound.get(("add", "milestone")) or MilestoneForm(currency=contract.currency,
                                                                    fee_percent=settings.PLATFORM_FEE_PERCENT)
    return {
        "milestones": milestones,
        "add_form": add_form,
        "card_mode": mode,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if mode == "elements" else "",
        "fee_percent": settings.PLATFORM_FEE_PERCENT,
        "auto_release_days": settings.ESCROW_AUTO_RELEASE_DAYS,
        "in_escrow": money_text(payment_selectors.escrow_balance(contract_id=contract.pk), contract.currency),
        "contract_money": fee_lines(contract.total_amount, contract.currency),
    }


def _milestone_or_404(contract: Contract, milestone_pk: int) -> Milestone:
    milestone = Milestone.objects.filter(pk=milestone_pk, contract=contract).first()
    if milestone is None:
        raise Http404
    milestone.contract = contract
    return milestone


def _back(contract: Contract, milestone: Milestone | None = None) -> HttpResponse:
    anchor = f"#milestone-{milestone.pk}" if milestone is not None else "#milestones-heading"
    return redirect(f"{reverse('contract_detail', args=[contract.pk])}{anchor}")


def _refused(request: HttpRequest, contract: Contract, milestone: Milestone | None, exc: ApplicationError,
             form: forms.Form, key: tuple[Any, str]) -> HttpResponse:
    """A service said no: invalid input goes back next to the form's fields; anything else (a declined card,
    a state that changed meanwhile, a refusal) is a message on the page the person is sent back to."""
    if exc.status_code == 400:
        form_add_service_error(form, exc)
        return _contract_page(request, contract, bound={key: form}, status=400)
    if exc.status_code == 404:
        raise Http404
    messages.error(request, str(exc.detail))
    return _back(contract, milestone)


def _invalid(request: HttpRequest, contract: Contract, form: forms.Form, key: tuple[Any, str]) -> HttpResponse:
    return _contract_page(request, contract, bound={key: form}, status=400)


@login_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = MilestoneForm(request.POST, currency=contract.currency, fee_percent=settings.PLATFORM_FEE_PERCENT)
    key = ("add", "milestone")
    if not form.is_valid():
        return _invalid(request, contract, form, key)
    try:
        milestone = escrow.milestone_create(contract=contract, by=signed_in_user(request),
                                            data=form.service_data(contract.currency))
    except ApplicationError as exc:
        return _refused(request, contract, None, exc, form, key)
    money = fee_lines(milestone.amount, milestone.currency)
    messages.success(request,
                     _("Milestone “{title}” is added for {amount}. Fund it to let {name} start: the money is held "
                                "in escrow until you approve the work.").format(
                                    title=milestone.title, amount=money["amount"], name=contract.freelancer.first_name))
    return _back(contract, milestone)


def _fund_message(request: HttpRequest, milestone: Milestone, status: str) -> None:
    if status == "succeeded":
        money = fee_lines(milestone.amount, milestone.currency)
        messages.success(request,
                         _("“{title}” is funded: {amount} is held in escrow. {name} can start the work.").format(
                                      title=milestone.title, amount=money["amount"],
                                      name=milestone.contract.freelancer.first_name))
    elif status == "requires_action":
        messages.warning(request, _("Your bank asks you to confirm this payment. The milestone is funded once you "
                                    "have confirmed it."))
    elif status == "processing":
        messages.info(request, _("The payment is processing: the milestone is funded as soon as it completes."))
    else:
        messages.error(request, _("The payment is not complete: the milestone is not funded. Enter your card "
                                  "details again, or use another card."))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@sensitive_post_parameters()
@login_required
@require_POST
def milestone_fund_view(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    """Test card (emulator): the card is charged here. Stripe Elements: the page asks for the PaymentIntent's
    client secret (JSON) and confirms it in the browser."""
    contract = _contract_or_404(request, pk)
    milestone = _milestone_or_404(contract, milestone_pk)
    mode = card_mode()
    key = (milestone.pk, "fund")
    prefix = prefix_for(milestone.pk, "fund")
    if _wants_json(request):
        return _fund_elements(request, contract, milestone)
    if mode != "test_card":
        messages.error(request, _("Card payments are not set up on this site.") if mode == "off" else
                       _("Stripe's card form needs JavaScript: turn it on in your browser to pay by card."))
        return _back(contract, milestone)
    form = TestCardForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return _invalid(request, contract, form, key)
    try:
        card = form.cleaned_data
        payment_method = card_payment_method(number=card["card_number"], exp_month=card["exp_month"],
                                             exp_year=card["exp_year"], cvc=card["cvc"])
        result = escrow.milestone_fund(milestone=milestone, by=signed_in_user(request), payment_method=payment_method)
    except ApplicationError as exc:
        if exc.error_type == "card_declined":
            # Said inside the funding form, which the page opens at (the form's action carries its anchor).
            form.add_error(None, _declined(exc))
            return _contract_page(request, contract, bound={key: form}, status=402)
        return _refused(request, contract, milestone, exc, form, key)
    _fund_message(request, milestone, result.status)
    return _back(contract, milestone)


def _declined(exc: ApplicationError) -> str:
    detail = str(exc.detail)
    return detail if "not funded" in detail else f"{detail.rstrip('.')}. The milestone is not funded."


def _fund_elements(request: HttpRequest, contract: Contract, milestone: Milestone) -> HttpResponse:
    """The PaymentIntent (made once, reused until it succeeds) whose client secret Stripe.js confirms."""
    try:
        result = escrow.milestone_fund(milestone=milestone, by=signed_in_user(request), payment_method=None)
    except ApplicationError as exc:
        return JsonResponse({"detail": str(exc.detail), "error_type": exc.error_type}, status=exc.status_code)
    return JsonResponse({
        "status": result.status,
        "client_secret": result.client_secret,
        "confirm_url": reverse("milestone_fund_confirm", args=[contract.pk, milestone.pk]),
        "redirect": f"{reverse('contract_detail', args=[contract.pk])}#milestone-{milestone.pk}",
    })


@login_required
@require_POST
def milestone_fund_confirm(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    """After the bank's check (the emulator's stand-in here, Stripe.js with real keys): asks Stripe how the
    PaymentIntent ended and records the funding if it succeeded."""
    contract = _contract_or_404(request, pk)
    milestone = _milestone_or_404(contract, milestone_pk)
    if signed_in_user(request).pk != contract.client_id:
        messages.error(request, _("Only the client funds milestones."))
        return _back(contract, milestone)
    if milestone.status != MilestoneStatus.PENDING:
        messages.info(request, _("“{title}” is already funded.").format(title=milestone.title))
        return _back(contract, milestone)
    if not milestone.payment_intent_id:
        messages.error(request, _("There is no payment to confirm yet: fund the milestone first."))
        return _back(contract, milestone)
    try:
        intent = payments.payment_intent_state(milestone.payment_intent_id)
        if intent.status == "requires_action" and card_mode() == "test_card":
            intent = payments.payment_intent_authenticate_test(payment_intent_id=milestone.payment_intent_id,
                                                               client_secret=intent.client_secret or "")
    except payments.PaymentServiceUnavailable:
        messages.error(request, _("The payment service is not answering. Nothing was charged; try again shortly."))
        return _back(contract, milestone)
    if intent.status == "processing":
        _fund_message(request, milestone, "processing")
        return _back(contract, milestone)
    try:
        result = escrow.milestone_fund(milestone=milestone, by=signed_in_user(request), payment_method=None)
    except ApplicationError as exc:
        messages.error(request, str(exc.detail))
        return _back(contract, milestone)
    if result.status == "requires_payment_method":
        messages.error(request, _("Your bank did not confirm the payment. The milestone is not funded: enter your "
                                  "card details again, or use another card."))
    else:
        _fund_message(request, milestone, result.status)
    return _back(contract, milestone)


@login_required
@require_POST
def milestone_submit_view(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    milestone = _milestone_or_404(contract, milestone_pk)
    key = (milestone.pk, "submit")
    form = SubmitWorkForm(request.POST, request.FILES, prefix=prefix_for(milestone.pk, "submit"))
    if not form.is_valid():
        return _invalid(request, contract, form, key)
    try:
        escrow.milestone_submit(milestone=milestone, by=signed_in_user(request), note=form.cleaned_data["note"],
                                files=form.cleaned_data["files"])
    except ApplicationError as exc:
        return _refused(request, contract, milestone, exc, form, key)
    messages.success(request, _("Your work on “{title}” is submitted. {name} can approve it or ask for changes; after "
                                "{days} days it is approved automatically.").format(
                                    title=milestone.title, name=contract.client.first_name,
                                    days=settings.ESCROW_AUTO_RELEASE_DAYS))
    return _back(contract, milestone)


@login_required
@require_POST
def milestone_request_changes_view(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    milestone = _milestone_or_404(contract, milestone_pk)
    key = (milestone.pk, "changes")
    form = RequestChangesForm(request.POST, prefix=prefix_for(milestone.pk, "changes"))
    if not form.is_valid():
        return _invalid(request, contract, form, key)
    try:
        escrow.milestone_request_changes(milestone=milestone, by=signed_in_user(request),
                                         note=form.cleaned_data["note"])
    except ApplicationError as exc:
        return _refused(request, contract, milestone, exc, form, key)
    messages.success(request,
                     _("You asked for changes on “{title}”. It stays funded while {name} works on them.").format(
                                  title=milestone.title, name=contract.freelancer.first_name))
    return _back(contract, milestone)


@login_required
@require_POST
def milestone_approve_view(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    milestone = _milestone_or_404(contract, milestone_pk)
    try:
        escrow.milestone_approve(milestone=milestone, by=signed_in_user(request))
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from None
        messages.error(request, str(exc.detail))
        return _back(contract, milestone)
    milestone.refresh_from_db()
    money = milestone_money(milestone)
    messages.success(request, _("You approved “{title}”: {amount} is released to {name}, who receives {net} after the "
                                "{fee_percent}% platform fee of {fee}.").format(
                                    title=milestone.title, amount=money["amount"],
                                    name=contract.freelancer.get_full_name(),
                                    net=money["net"], fee_percent=money["fee_percent"], fee=money["fee"]))
    return _back(contract, milestone)


@login_required
@require_POST
def milestone_refund_view(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    milestone = _milestone_or_404(contract, milestone_pk)
    key = (milestone.pk, "refund")
    form = RefundForm(request.POST, prefix=prefix_for(milestone.pk, "refund"))
    if not form.is_valid():
        return _invalid(request, contract, form, key)
    try:
        escrow.milestone_refund(milestone=milestone, by=signed_in_user(request), note=form.cleaned_data["note"])
    except ApplicationError as exc:
        return _refused(request, contract, milestone, exc, form, key)
    money = fee_lines(milestone.amount, milestone.currency)
    if signed_in_user(request).pk == contract.client_id:
        messages.success(request,
                         _("You asked {name} to refund {amount} for “{title}”. The money stays in escrow until they "
                                    "agree.").format(name=contract.freelancer.get_full_name(), amount=money["amount"],
                                                     title=milestone.title))
    else:
        messages.success(request, _("You refunded {amount} for “{title}” to {name}'s card.").format(
                                      amount=money["amount"], title=milestone.title,
                                      name=contract.client.get_full_name()))
    return _back(contract, milestone)


@login_required
@require_POST
def milestone_dispute_view(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    milestone = _milestone_or_404(contract, milestone_pk)
    key = (milestone.pk, "dispute")
    form = DisputeForm(request.POST, request.FILES, prefix=prefix_for(milestone.pk, "dispute"))
    if not form.is_valid():
        return _invalid(request, contract, form, key)
    try:
        escrow.dispute_open(contract=contract, milestone=milestone, by=signed_in_user(request),
                            reason=form.cleaned_data["reason"], evidence=form.cleaned_data["evidence"])
    except ApplicationError as exc:
        return _refused(request, contract, milestone, exc, form, key)
    messages.success(request, _("A dispute is open on “{title}”. Its money stays in escrow, and nothing is approved "
                                "automatically, until our staff settle it; they may contact you both.").format(
                                    title=milestone.title))
    return _back(contract, milestone)


@login_required
@require_POST
def dispute_withdraw_view(request: HttpRequest, pk: int, dispute_pk: int) -> HttpResponse:
    """The party who opened a dispute takes it back from the contract page."""
    contract = _contract_or_404(request, pk)
    dispute = Dispute.objects.select_related("contract", "milestone").filter(pk=dispute_pk, contract=contract).first()
    if dispute is None:
        raise Http404
    try:
        escrow.dispute_withdraw(dispute=dispute, by=signed_in_user(request))
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from None
        messages.error(request, str(exc.detail))
        return _back(contract, dispute.milestone)
    dispute.milestone.refresh_from_db()
    messages.success(request,
                     _("You withdrew the dispute on “{title}”: it is back to “{status}” and its money stays in "
                                "escrow.").format(title=dispute.milestone.title,
                                                  status=dispute.milestone.get_status_display()))
    return _back(contract, dispute.milestone)


@login_required
@require_http_methods(["GET", "HEAD"])
def submission_file_download(request: HttpRequest, pk: int, file_pk: int) -> HttpResponseBase:
    """A file of a milestone's submission, for the contract's two parties and staff."""
    from marketplace.api.views import attachment_response

    contract = _contract_for_files_or_404(request, pk)
    stored = SubmissionFile.objects.filter(pk=file_pk, submission__milestone__contract=contract).first()
    if stored is None:
        raise Http404
    # It reads only `file`, `original_name` and `content_type`, which a delivered file has as an attachment does.
    return attachment_response(cast("Attachment", stored))


@login_required
@require_http_methods(["GET", "HEAD"])
def dispute_evidence_download(request: HttpRequest, pk: int, dispute_pk: int) -> HttpResponseBase:
    """The evidence file a dispute was opened with, for the contract's two parties and staff."""
    from django.http import FileResponse

    contract = _contract_for_files_or_404(request, pk)
    dispute = Dispute.objects.filter(pk=dispute_pk, contract=contract).exclude(evidence="").first()
    if dispute is None:
        raise Http404
    storage = dispute.evidence.storage
    stored_name = dispute.evidence.name or ""  # set: disputes without evidence are left out above
    name = stored_name.rsplit("/", 1)[-1]
    if hasattr(storage, "bucket_name"):  # S3: a signed link that expires in minutes
        # django-storages' S3 storage signs with these arguments; the stubs know only `Storage.url(name)`.
        return redirect(storage.url(stored_name, parameters={  # type: ignore[call-arg]
            "ResponseContentDisposition": f'attachment; filename="{name}"'}, expire=300))
    response = FileResponse(dispute.evidence.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- a dispute's page: the thread for both parties and staff, the decision for staff ---------------


def _dispute_or_404(request: HttpRequest, pk: int) -> Dispute:
    dispute = disputes.disputes_visible_to(signed_in_user(request)).filter(pk=pk).first()
    if dispute is None:
        raise Http404
    return dispute


def _dispute_page(request: HttpRequest, dispute: Dispute, *, answer_form: DisputeAnswerForm | None = None,
                  resolve_form: DisputeResolveForm | None = None, error: str = "", status: int = 200
                  ) -> HttpResponse:
    user = signed_in_user(request)
    contract = dispute.contract
    role = services.role_of(contract, user)
    is_open = dispute.status == Dispute.Status.OPEN
    milestone = dispute.milestone
    milestone.contract = contract
    context = {
        "dispute": dispute,
        "contract": contract,
        "milestone": milestone,
        "money": milestone_money(milestone),
        "role": role,
        "thread": dispute.messages.select_related("author"),
        "answer_form": (answer_form or DisputeAnswerForm()) if is_open else None,
        "resolve_form": ((resolve_form or DisputeResolveForm(currency=milestone.currency))
                         if is_open and user.is_staff and not contract.is_party(user) else None),
        "can_withdraw": is_open and dispute.opened_by_id == user.pk,
        "evidence_name": (dispute.evidence.name or "").rsplit("/", 1)[-1] if dispute.evidence else "",
        "error": error,
    }
    return render(request, "contracts/dispute_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A dispute's page for its two parties and staff: what happened, the thread with its evidence, and the
    forms the caller may use (answer; withdraw for the opener; decide for staff)."""
    return _dispute_page(request, _dispute_or_404(request, pk))


def _to_dispute(dispute: Dispute, anchor: str = "") -> HttpResponse:
    return redirect(f"{reverse('dispute_detail', args=[dispute.pk])}{anchor}")


@login_required
@require_POST
def dispute_answer(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _dispute_or_404(request, pk)
    form = DisputeAnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _dispute_page(request, dispute, answer_form=form, status=400)
    try:
        message = disputes.dispute_message_add(dispute=dispute, by=signed_in_user(request),
                                               body=form.cleaned_data["body"], evidence=form.cleaned_data["evidence"])
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from None
        if exc.status_code == 400:
            form_add_service_error(form, exc)
            return _dispute_page(request, dispute, answer_form=form, status=400)
        return _dispute_page(request, _dispute_or_404(request, pk), error=str(exc.detail),
                             status=_error_status(exc))
    user = signed_in_user(request)
    messages.success(request, _("Your answer is added to the thread.") if not user.is_staff or
                     dispute.contract.is_party(user) else _("Your note is added to the thread."))
    return _to_dispute(dispute, f"#message-{message.pk}")


@login_required
@require_POST
def dispute_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff decide from the dispute's page, through the same service as the API and the admin."""
    dispute = _dispute_or_404(request, pk)
    if not signed_in_user(request).is_staff or dispute.contract.is_party(signed_in_user(request)):
        raise Http404
    form = DisputeResolveForm(request.POST, currency=dispute.milestone.currency)
    if not form.is_valid():
        return _dispute_page(request, dispute, resolve_form=form, status=400)
    data = form.cleaned_data
    try:
        dispute = escrow.dispute_resolve(dispute=dispute, by=signed_in_user(request), resolution=data["resolution"],
                                         freelancer_amount=data["freelancer_amount"], note=data["note"])
    except ApplicationError as exc:
        if exc.status_code == 400:
            form_add_service_error(form, exc)
            return _dispute_page(request, dispute, resolve_form=form, status=400)
        return _dispute_page(request, _dispute_or_404(request, pk), error=str(exc.detail),
                             status=_error_status(exc))
    messages.success(request, _("The dispute is resolved: {decision}.").format(
        decision=dispute.get_resolution_display().lower()))
    return _to_dispute(dispute)


@login_required
@require_http_methods(["GET", "HEAD"])
def dispute_message_file(request: HttpRequest, pk: int, message_pk: int) -> HttpResponseBase:
    """An evidence file from a dispute's thread, for the two parties and staff."""
    from marketplace.api.views import attachment_response

    dispute = _dispute_or_404(request, pk)
    stored = DisputeMessage.objects.filter(pk=message_pk, dispute=dispute).exclude(file="").first()
    if stored is None:
        raise Http404
    # It reads only `file`, `original_name` and `content_type`, which a thread's file has as an attachment does.
    return attachment_response(cast("Attachment", stored))


@login_required
@require_http_methods(["GET", "HEAD"])
def staff_dispute_list(request: HttpRequest) -> HttpResponse:
    """Staff: the disputes waiting for a decision (`?status=` resolved, withdrawn or all for the others)."""
    if not signed_in_user(request).is_staff:
        raise Http404
    wanted = request.GET.get("status", "open")
    rows = disputes.disputes_visible_to(signed_in_user(request)).order_by("created_at", "id")
    if wanted in Dispute.Status.values:
        rows = rows.filter(status=wanted)
    else:
        wanted = "all"
        rows = rows.order_by("-created_at", "-id")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for dispute in cast("Iterable[ListedDispute]", page.object_list):
        dispute.money = milestone_money(dispute.milestone)
    filters = [("open", "Waiting for a decision"), ("resolved", "Resolved"), ("withdrawn", "Withdrawn"),
               ("all", "All")]
    return render(request, "contracts/staff_dispute_list.html", {"page": page, "disputes": page.object_list,
                                                                 "wanted": wanted, "filters": filters})


# --- accepting a proposal: the act of contracting, from the project's page ------------------------


@login_required
@require_POST
def proposal_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = marketplace_selectors.proposals_visible_to(signed_in_user(request)).filter(pk=pk).first()
    if proposal is None or proposal.project.client_id != signed_in_user(request).pk:
        raise Http404
    try:
        contract = services.proposal_accept(proposal=proposal, by=signed_in_user(request))
    except ApplicationError as exc:
        project = marketplace_views.project_or_404(request, proposal.project_id)
        message = str(exc.detail)
        if exc.error_type == "project_not_open":
            message = ("This project already has a contract, or is no longer open: "
                       "only one proposal can be accepted.")
        return marketplace_views.project_page(request, project, error=message, status=_error_status(exc))
    messages.success(request,
                     _("You hired {name}. Here is your contract; the other proposals have been declined.").format(
                                  name=proposal.freelancer.get_full_name()))
    return redirect("contract_detail", pk=contract.pk)
