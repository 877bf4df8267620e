"""Order pages: the order form of a service's package, the caller's orders, and one order with its timeline
and exactly the steps the viewer may take.

Card details: against the local Stripe emulator the page has the plain test-card form (the PaymentMethod is
made at the emulator); with real keys Stripe Elements takes the card in the browser and confirms the
PaymentIntent's client secret there, as on the contract page. Card details are never stored or sent back.
"""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import signed_in_user
from contracts.forms import DisputeAnswerForm
from contracts.views import card_mode
from core.exceptions import ApplicationError
from core.money import fee_minor, money_text, percent_text, to_minor
from payments import services as payments
from payments.billing import card_payment_method

from . import order_selectors as selectors
from . import orders
from .models import Order, OrderDeliveryFile, OrderDispute, OrderDisputeMessage, OrderStatus, Service, ServiceStatus
from .order_disputes import order_dispute_message_add
from .order_forms import (
    CancelForm,
    DeliverForm,
    DisputeForm,
    MessageForm,
    OrderForm,
    ResolveForm,
    ReviewForm,
    RevisionForm,
    TestCardForm,
)
from .order_reviews import order_review_create

if TYPE_CHECKING:
    class ListedOrder(Order):
        """An order as the caller's list shows it; for the type checker only."""

        total_text: str  # its total in its currency

CARD_PREFIX = "card"


def _money(minor: int, currency: str) -> str:
    return money_text(minor, currency)


def _pay_message(request: HttpRequest, result: orders.PayResult) -> None:
    if result.succeeded:
        messages.success(request, _("Paid: %(amount)s is held in escrow until you accept the delivery.")
                         % {"amount": _money(to_minor(result.order.total), result.order.currency)})
    elif result.status == "requires_action":
        messages.warning(request, _("Your bank asks you to confirm this payment. The order starts once you have "
                                    "confirmed it."))
    elif result.status == "processing":
        messages.info(request, _("The payment is processing: the order starts as soon as it completes."))
    else:
        messages.error(request, _("The payment is not complete: enter your card details again, or use another "
                                  "card."))


def _card(form: forms.Form) -> str:
    data = form.cleaned_data
    return card_payment_method(number=data["card_number"], exp_month=data["exp_month"], exp_year=data["exp_year"],
                               cvc=data["cvc"])


# --- ordering -----------------------------------------------------------------------------------


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def order_new(request: HttpRequest, service_pk: int) -> HttpResponse:
    """`/services/<id>/order/?tier=`: the package, the extras, the seller's questions and the card."""
    service = get_object_or_404(Service.objects.select_related("seller"), pk=service_pk, status=ServiceStatus.ACTIVE)
    packages = list(service.packages.all())
    tier = request.POST.get("tier") or request.GET.get("tier") or ""
    package = next((p for p in packages if p.tier == tier), packages[0] if packages else None)
    if package is None:
        raise Http404
    mode = card_mode()
    posted = request.method == "POST"
    form = OrderForm(request.POST if posted else None, service=service)
    card = TestCardForm(request.POST if posted else None, prefix=CARD_PREFIX) if mode == "test_card" else None
    status = 200
    if posted and form.is_valid() and (card is None or card.is_valid()):
        try:
            if mode == "off":
                raise ApplicationError(_("Card payments are not set up on this site."), code="payment_unavailable")
            order = orders.order_create(buyer=signed_in_user(request), service=service, tier=package.tier,
                                        extra_ids=[int(pk) for pk in form.cleaned_data["extras"]],
                                        requirements=form.cleaned_data["requirements"])
        except ApplicationError as exc:
            form.add_error(None, str(exc.detail))
            status = exc.status_code if 400 <= exc.status_code < 500 else 400
        else:
            messages.info(request, _("Your order is placed."))
            if card is None:  # Stripe Elements: the order page takes the card
                return redirect(f"{reverse('order_detail', args=[order.pk])}#pay")
            try:
                _pay_message(request, orders.order_pay(order=order, by=signed_in_user(request),
                                                       payment_method=_card(card)))
            except ApplicationError as exc:
                messages.error(request, _("%(detail)s The order is waiting for payment: pay it below.")
                               % {"detail": str(exc.detail).rstrip(".") + "."})
                return redirect(f"{reverse('order_detail', args=[order.pk])}#pay")
            return redirect("order_detail", pk=order.pk)
    elif posted:
        status = 400
    chosen = {str(pk) for pk in (request.POST.getlist("extras") if posted else [])}
    extras = [extra for extra in service.extras.all()]
    gross = to_minor(package.price) + sum(to_minor(e.price) for e in extras if str(e.pk) in chosen)
    days = package.delivery_days + sum(e.delivery_days for e in extras if str(e.pk) in chosen)
    return render(request, "gigs/order_new.html", {
        "service": service, "package": package, "packages": packages, "form": form, "card": card,
        "card_mode": mode, "questions": [q for q in service.requirements.splitlines() if q.strip()],
        "price": _money(to_minor(package.price), service.currency), "total": _money(gross, service.currency),
        "days": days, "fee_percent": settings.PLATFORM_FEE_PERCENT,
    }, status=status)


# --- the caller's orders ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def order_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    mine = selectors.orders_for(user)
    bought = cast("list[ListedOrder]", list(mine.filter(buyer=user)[:100]))
    sold = cast("list[ListedOrder]", list(mine.filter(seller=user)[:100]))
    for order in bought + sold:
        order.total_text = _money(to_minor(order.total), order.currency)
    return render(request, "gigs/order_list.html", {"bought": bought, "sold": sold})


# --- one order ----------------------------------------------------------------------------------


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    order = selectors.order_detail(signed_in_user(request), pk)
    if order is None:
        raise Http404
    return order


@login_required
@require_http_methods(["GET", "HEAD"])
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    user = signed_in_user(request)
    can = selectors.actions_for(order, user)
    gross = to_minor(order.total)
    percent = order.fee_percent if order.fee_percent is not None else settings.PLATFORM_FEE_PERCENT
    fee = fee_minor(order.released_minor or gross, percent)
    mode = card_mode()
    now = timezone.now()
    forms_: dict[str, Any] = {
        "deliver": DeliverForm() if "deliver" in can else None,
        "revision": RevisionForm() if "request_revision" in can else None,
        "cancel": CancelForm() if "cancel" in can else None,
        "dispute": DisputeForm() if "open_dispute" in can else None,
        "resolve": ResolveForm() if "resolve" in can else None,
        "dispute_message": DisputeAnswerForm() if "dispute_message" in can else None,
        "message": MessageForm() if "message" in can else None,
        "review": ReviewForm() if "review" in can else None,
        "card": TestCardForm(prefix=CARD_PREFIX) if "pay" in can and mode == "test_card" else None,
    }
    is_buyer = user.pk == order.buyer_id
    shown = selectors.shown_dispute_of(order)
    return render(request, "gigs/order_detail.html", {
        "order": order, "can": can, "forms": forms_, "is_buyer": is_buyer, "is_seller": user.pk == order.seller_id,
        "other": order.seller if is_buyer else order.buyer, "card_mode": mode,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if mode == "elements" else "",
        "total": _money(gross, order.currency), "fee": _money(fee, order.currency),
        "net": _money((order.released_minor or gross) - fee, order.currency),
        "refunded": _money(order.refunded_minor, order.currency) if order.refunded_minor else "",
        "fee_percent": percent_text(percent), "late": order.due_at is not None and now > order.due_at
        and order.status in (OrderStatus.IN_PROGRESS, OrderStatus.REVISION_REQUESTED),
        "extras": [{"title": e["title"], "price": _money(to_minor(e["price"]), order.currency),
                    "days": e["delivery_days"]} for e in order.extras],
        "dispute": selectors.open_dispute_of(order),
        "shown_dispute": shown,
        "dispute_thread": shown.messages.select_related("author") if shown is not None else [],
        "auto_complete_days": settings.ORDER_AUTO_COMPLETE_DAYS,
    })


def _back(order: Order, anchor: str = "") -> HttpResponse:
    return redirect(reverse("order_detail", args=[order.pk]) + (f"#{anchor}" if anchor else ""))


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _open_dispute(order: Order) -> OrderDispute:
    """The order's open dispute, for the steps on it (`order_action` answers first when there is none)."""
    dispute = selectors.open_dispute_of(order)
    if dispute is None:
        raise Http404
    return dispute


@sensitive_post_parameters()
@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step of the order, taken from its page; the services decide who may take it and when."""
    order = _order_or_404(request, pk)
    user = signed_in_user(request)
    steps: dict[str, tuple[type[forms.Form] | None, Any, str]] = {
        "deliver": (DeliverForm, lambda d: orders.order_deliver(order=order, by=user, note=d["note"],
                                                                 files=d["files"]),
                    _("Delivered. The buyer can accept it or ask for a revision; after %(days)s days it is accepted "
                      "automatically.") % {"days": settings.ORDER_AUTO_COMPLETE_DAYS}),
        "request-revision": (RevisionForm, lambda d: orders.order_request_revision(order=order, by=user,
                                                                                   reason=d["reason"]),
                             _("Revision requested: the seller is told what to change.")),
        "accept": (None, lambda d: orders.order_accept(order=order, by=user),
                   _("Accepted: the seller is paid from escrow. Thank you!")),
        "cancel": (CancelForm, lambda d: orders.order_cancel(order=order, by=user, reason=d["reason"]), ""),
        "dispute": (DisputeForm, lambda d: orders.order_dispute_open(order=order, by=user, reason=d["reason"]),
                    _("Dispute opened: the money stays in escrow until our staff decide.")),
        "withdraw-dispute": (None, lambda d: orders.order_dispute_withdraw(
            dispute=_open_dispute(order), by=user), _("Dispute withdrawn.")),
        "resolve": (ResolveForm, lambda d: orders.order_dispute_resolve(
            dispute=_open_dispute(order), by=user, resolution=d["resolution"],
            freelancer_amount=d["freelancer_amount"], note=d["note"]), _("Dispute resolved.")),
        "dispute-message": (DisputeAnswerForm, lambda d: order_dispute_message_add(
            dispute=_open_dispute(order), by=user, body=d["body"], evidence=d["evidence"]),
            _("Your message is added to the dispute's thread.")),
        "message": (MessageForm, lambda d: orders.order_message_add(order=order, by=user, text=d["text"]),
                    _("Message added.")),
        "review": (ReviewForm, lambda d: order_review_create(order_id=order.pk, reviewer=user, rating=d["rating"],
                                                            comment=d["comment"]),
                   _("Thank you: your review is shown once you have both reviewed, or after 14 days.")),
    }
    if action not in steps:
        raise Http404
    form_class, step, done = steps[action]
    if action in ("withdraw-dispute", "resolve", "dispute-message") and selectors.open_dispute_of(order) is None:
        messages.error(request, _("This order has no open dispute."))
        return _back(order)
    data: dict[str, Any] = {}
    if form_class is not None:
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return _back(order, action)
        data = form.cleaned_data
    try:
        step(data)
    except ApplicationError as exc:
        messages.error(request, str(exc.detail))
        return _back(order, action)
    if action == "cancel":
        order.refresh_from_db()
        done = (_("The order is cancelled and the buyer refunded.") if order.status == OrderStatus.CANCELLED
                else _("You asked to cancel: the order is cancelled when the other party agrees."))
    messages.success(request, done)
    return _back(order, "dispute-thread" if action == "dispute-message" else "")


@sensitive_post_parameters()
@login_required
@require_POST
def order_pay_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Test card (emulator): the card is charged here. Stripe Elements: the page asks for the PaymentIntent's
    client secret (JSON) and confirms it in the browser."""
    order = _order_or_404(request, pk)
    if "application/json" in request.headers.get("Accept", ""):
        try:
            result = orders.order_pay(order=order, by=signed_in_user(request), payment_method=None)
        except ApplicationError as exc:
            return JsonResponse({"detail": str(exc.detail), "error_type": exc.error_type}, status=exc.status_code)
        return JsonResponse({"status": result.status, "client_secret": result.client_secret,
                             "confirm_url": reverse("order_pay_confirm", args=[order.pk]),
                             "redirect": reverse("order_detail", args=[order.pk])})
    card = TestCardForm(request.POST, prefix=CARD_PREFIX)
    if card_mode() != "test_card" or not card.is_valid():
        messages.error(request, _form_errors(card) or _("Card payments are not set up on this site."))
        return _back(order, "pay")
    try:
        _pay_message(request, orders.order_pay(order=order, by=signed_in_user(request), payment_method=_card(card)))
    except ApplicationError as exc:
        messages.error(request, str(exc.detail))
        return _back(order, "pay")
    return _back(order)


@login_required
@require_POST
def order_pay_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """After the bank's check (the emulator's stand-in here, Stripe.js with real keys): asks Stripe how the
    PaymentIntent ended and records the payment if it succeeded."""
    order = _order_or_404(request, pk)
    if order.status != OrderStatus.PENDING_PAYMENT or not order.payment_intent_id:
        return _back(order)
    try:
        intent = payments.payment_intent_state(order.payment_intent_id)
        if intent.status == "requires_action" and card_mode() == "test_card":
            intent = payments.payment_intent_authenticate_test(payment_intent_id=order.payment_intent_id,
                                                               client_secret=intent.client_secret or "")
        _pay_message(request, orders.order_pay(order=order, by=signed_in_user(request), payment_method=None))
    except ApplicationError as exc:
        messages.error(request, str(exc.detail))
    return _back(order)


@login_required
@require_http_methods(["GET", "HEAD"])
def order_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponseBase:
    """A delivered file, for the order's two parties (and staff deciding a dispute)."""
    from marketplace.api.views import attachment_response

    order = _order_or_404(request, pk)
    stored = OrderDeliveryFile.objects.filter(pk=file_pk, delivery__order=order).first()
    if stored is None:
        raise Http404
    return attachment_response(stored)


@login_required
@require_http_methods(["GET", "HEAD"])
def order_dispute_file(request: HttpRequest, pk: int, message_pk: int) -> HttpResponseBase:
    """An evidence file from the order's dispute threads, for the order's two parties and staff."""
    from marketplace.api.views import attachment_response

    order = _order_or_404(request, pk)
    stored = OrderDisputeMessage.objects.filter(pk=message_pk, dispute__order=order).exclude(file="").first()
    if stored is None:
        raise Http404
    return attachment_response(stored)


@login_required
@require_http_methods(["GET", "HEAD"])
def staff_order_dispute_list(request: HttpRequest) -> HttpResponse:
    """Staff: the order disputes waiting for a decision (`?status=` resolved, withdrawn or all for the others),
    each linking to its order's page, where its thread is read and it is resolved."""
    if not signed_in_user(request).is_staff:
        raise Http404
    wanted = request.GET.get("status", "open")
    rows = OrderDispute.objects.select_related("order", "order__buyer", "order__seller", "opened_by")
    if wanted in OrderDispute.Status.values:
        rows = rows.filter(status=wanted).order_by("created_at", "id")
    else:
        wanted = "all"
        rows = rows.order_by("-created_at", "-id")
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    filters = [("open", _("Waiting for a decision")), ("resolved", _("Resolved")), ("withdrawn", _("Withdrawn")),
               ("all", _("All"))]
    return render(request, "gigs/staff_order_dispute_list.html", {
        "page": page, "disputes": page.object_list, "wanted": wanted, "filters": filters})
