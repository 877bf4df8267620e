"""Contract pages: the caller's contracts, and one contract for its two parties (completion and reviews)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import form_add_service_error
from marketplace import selectors as marketplace_selectors
from marketplace import services as marketplace_services
from marketplace.forms import ReviewForm
from marketplace.models import Review
from megilance.core.exceptions import ApplicationError

from . import selectors, services
from .models import Contract, ContractStatus

PER_PAGE = 20


def _error_status(exc: ApplicationError) -> int:
    return exc.status_code if 400 <= exc.status_code < 500 else 400


@login_required
@require_http_methods(["GET", "HEAD"])
def contract_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Only the caller's own contracts, staff included: staff look at others' in the admin.
    contracts = selectors.contracts_for(user).filter(Q(client=user) | Q(freelancer=user)).order_by("-created_at", "-id")
    page = Paginator(contracts, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "contracts/contract_list.html", {"page": page, "contracts": page.object_list})


def _contract_or_404(request: HttpRequest, pk: int) -> Contract:
    contract = selectors.contracts_for(request.user).select_related("proposal").filter(pk=pk).first()
    if contract is None or not contract.is_party(request.user):
        raise Http404
    return contract


def _contract_page(request: HttpRequest, contract: Contract, *, review_form: ReviewForm | None = None,
                   error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    reviewed = Review.objects.filter(contract=contract, reviewer=user).exists()
    can_review = contract.status == ContractStatus.COMPLETED and not reviewed
    if review_form is not None and not can_review and review_form.non_field_errors() and not error:
        error = review_form.non_field_errors()[0]
    other = contract.freelancer if user.pk == contract.client_id else contract.client
    context = {
        "contract": contract,
        "is_client": user.pk == contract.client_id,
        "other": other,
        "can_complete": user.pk == contract.client_id and contract.status == ContractStatus.ACTIVE,
        "review_form": (review_form or ReviewForm()) if can_review else None,
        "reviews": marketplace_selectors.reviews_for(viewer=user).filter(contract=contract),
        "reviewed": reviewed,
        "blind": not (contract.completed_at and contract.completed_at <= marketplace_services.review_blind_cutoff()),
        "error": error,
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
        services.contract_complete(contract=contract, by=request.user)
    except ApplicationError as exc:
        return _contract_page(request, contract, error=str(exc.detail), status=_error_status(exc))
    messages.success(request, "The contract is completed. You can now review each other.")
    return redirect("contract_detail", pk=pk)


@login_required
@require_POST
def contract_review(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = ReviewForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            marketplace_services.review_create(contract=contract, reviewer=request.user,
                                               rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"])
        except ApplicationError as exc:
            form_add_service_error(form, exc)
            status = _error_status(exc)
        else:
            messages.success(request, "Thank you: your review is saved. Both reviews are shown once both of you "
                                      "have written one, or after 14 days.")
            return redirect("contract_detail", pk=pk)
    return _contract_page(request, contract, review_form=form, status=status)
