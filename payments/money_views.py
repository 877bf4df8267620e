"""Money pages: the caller's payments with a summary, a printable receipt (and its PDF) for each payment,
and the freelancer's payout account (Stripe Connect onboarding).

Each person sees only their own payments: another person's payment is a 404, as on the API.
"""

import io
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods

from accounts.models import User
from contracts.models import Contract, Milestone
from core.exceptions import ApplicationError
from core.money import money_text

from . import services
from .models import ConnectedAccount, LedgerAccount, LedgerEntry, Payment

logger = logging.getLogger(__name__)

PER_PAGE = 50
DEFAULT_CURRENCY = "usd"
PLATFORM = "MegiLance"


# --- summaries (the definitions of payments.services and the API's PaymentSummaryView, per currency) ----


def _by_currency(rows: Any) -> dict[str, int]:
    return {row["currency"]: row["total"] or 0 for row in rows.values("currency").annotate(total=Sum("amount"))}


def client_summary(user: User) -> list[dict[str, str]]:
    """Spent (funded minus refunded) and what is held in escrow on the client's contracts, per currency."""
    succeeded = Payment.objects.filter(user=user, status=Payment.Status.SUCCEEDED)
    funded = _by_currency(succeeded.filter(kind=Payment.Kind.FUNDING))
    refunded = _by_currency(succeeded.filter(kind=Payment.Kind.REFUND))
    escrow = _by_currency(LedgerEntry.objects.filter(account=LedgerAccount.ESCROW,
                                                     contract_id__in=user.client_contracts.values("pk")))
    currencies = sorted(set(funded) | set(refunded) | set(escrow)) or [DEFAULT_CURRENCY]
    return [{"currency": currency,
             "spent": money_text(funded.get(currency, 0) - refunded.get(currency, 0), currency),
             "in_escrow": money_text(-escrow.get(currency, 0), currency)} for currency in currencies]


def freelancer_summary(user: User) -> list[dict[str, Any]]:
    """Earned (released, net of fees), pending payout and paid out, per currency."""
    payable = LedgerEntry.objects.filter(account=LedgerAccount.FREELANCER_PAYABLE, user=user)
    credited = _by_currency(payable.filter(amount__lt=0))
    balance = _by_currency(payable)
    currencies = sorted(set(credited) | set(balance)) or [DEFAULT_CURRENCY]
    rows = []
    for currency in currencies:
        earned, pending = -credited.get(currency, 0), -balance.get(currency, 0)
        rows.append({"currency": currency, "earned": money_text(earned, currency),
                     "pending": money_text(pending, currency), "paid": money_text(earned - pending, currency),
                     "pending_minor": pending})
    return rows


# --- the payments list --------------------------------------------------------------------------


def _contracts_of(payments: list[Payment], user: User) -> dict[int, Contract]:
    ids = {payment.contract_id for payment in payments if payment.contract_id}
    contracts = Contract.objects.filter(pk__in=ids).only("pk", "title", "client_id", "freelancer_id")
    return {contract.pk: contract for contract in contracts if contract.is_party(user)}


@login_required
@require_http_methods(["GET", "HEAD"])
def payment_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    payments = Payment.objects.filter(user=user).order_by("-created_at", "-id")
    page = Paginator(payments, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    contracts = _contracts_of(rows, user)
    for payment in rows:
        payment.amount_text = money_text(payment.amount, payment.currency)
        payment.contract = contracts.get(payment.contract_id)
    return render(request, "payments/payment_list.html", {
        "page": page,
        "payments": rows,
        "client_summary": client_summary(user) if user.is_client else None,
        "freelancer_summary": freelancer_summary(user) if user.is_freelancer else None,
        "fee_percent": settings.PLATFORM_FEE_PERCENT,
    })


# --- receipts -----------------------------------------------------------------------------------


def receipt_number(payment: Payment) -> str:
    """ML-YYYYMMDD-000123, as the API's receipt (the date of the payment, in UTC)."""
    return f"ML-{payment.created_at:%Y%m%d}-{payment.pk:06d}"


def _own_payment(request: HttpRequest, pk: int) -> Payment:
    payment = Payment.objects.select_related("user").filter(pk=pk, user=request.user).first()
    if payment is None:
        raise Http404
    return payment


def receipt(payment: Payment) -> dict[str, Any]:
    """What a receipt says, for the page and the PDF alike: a list of (label, value) lines."""
    person = f"{payment.user.get_full_name()} <{payment.user.email}>"
    contract = Contract.objects.filter(pk=payment.contract_id).first() if payment.contract_id else None
    milestone = Milestone.objects.filter(pk=payment.milestone_id).first() if payment.milestone_id else None
    when = timezone.localtime(payment.created_at)
    lines: list[tuple[str, str]] = [
        ("Receipt number", receipt_number(payment)),
        ("Date", f"{date_format(when, 'j F Y')}, {date_format(when, 'H:i')} {when.tzname() or ''}".strip()),
        ({Payment.Kind.FUNDING: "Paid by", Payment.Kind.REFUND: "Refunded to"}.get(payment.kind, "Paid to"), person),
        ("What", payment.get_kind_display()),
    ]
    if payment.description:
        lines.append(("Description", payment.description))
    if contract is not None:
        lines.append(("Contract", contract.title))
    if milestone is not None:
        lines.append(("Milestone", milestone.title))
    fees: list[tuple[str, str]] = []
    if payment.kind == Payment.Kind.RELEASE:
        fee = Payment.objects.filter(kind=Payment.Kind.FEE, ledger_transaction_id=payment.ledger_transaction_id,
                                     user=payment.user).first() if payment.ledger_transaction_id else None
        fee_amount = fee.amount if fee is not None else 0
        fees = [
            ("Released from escrow", money_text(payment.amount + fee_amount, payment.currency)),
            (f"Platform fee ({settings.PLATFORM_FEE_PERCENT}%)", f"\u2212{money_text(fee_amount, payment.currency)}"),
            ("You receive", money_text(payment.amount, payment.currency)),
        ]
    total_label = {Payment.Kind.FUNDING: "Amount paid into escrow", Payment.Kind.REFUND: "Amount refunded",
                   Payment.Kind.FEE: "Platform fee", Payment.Kind.RELEASE: "Amount"}.get(payment.kind, "Amount")
    lines.append((total_label, money_text(payment.amount, payment.currency)))
    lines.append(("Status", payment.get_status_display()))
    if payment.payout_status:
        lines.append(("Payout", payment.get_payout_status_display()))
    reference = payment.stripe_refund or payment.stripe_transfer or payment.stripe_payment_intent
    lines.append(("Stripe reference", reference or "—"))
    return {"number": receipt_number(payment), "lines": lines, "fees": fees, "payment": payment,
            "contract": contract if contract is not None and contract.is_party(payment.user) else None,
            "amount": money_text(payment.amount, payment.currency)}


@login_required
@require_http_methods(["GET", "HEAD"])
def payment_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    data = receipt(_own_payment(request, pk))
    return render(request, "payments/receipt.html", {**data, "platform": PLATFORM})


def _font() -> tuple[str, str]:
    """A font that has every character of people's names (DejaVu when the system has it), else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path("/usr/share/fonts/truetype/dejavu")
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        try:
            if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
        except Exception:  # an unreadable font file: the built-in font still makes a receipt
            logger.warning("Could not load the DejaVu fonts", exc_info=True)
    return "Helvetica", "Helvetica-Bold"


def receipt_pdf(data: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    regular, bold = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Receipt {data['number']}")
    pdf.setAuthor(PLATFORM)
    width, height = A4
    left, label_width, y = 20 * mm, 55 * mm, height - 25 * mm
    pdf.setFont(bold, 18)
    pdf.drawString(left, y, f"{PLATFORM} receipt {data['number']}")
    y -= 8 * mm
    pdf.setFont(regular, 9)
    pdf.drawString(left, y, "Freelance marketplace with milestone escrow. Payments are processed by Stripe.")
    y -= 12 * mm

    def line(label: str, value: str, font: str = regular) -> None:
        nonlocal y
        pdf.setFont(bold, 10)
        pdf.drawString(left, y, label)
        pdf.setFont(font, 10)
        for part in simpleSplit(value, font, 10, width - left * 2 - label_width) or [""]:
            pdf.drawString(left + label_width, y, part)
            y -= 6 * mm

    for label, value in data["lines"]:
        line(label, value)
    if data["fees"]:
        y -= 4 * mm
        pdf.setFont(bold, 12)
        pdf.drawString(left, y, "Fees")
        y -= 8 * mm
        for label, value in data["fees"]:
            line(label, value)
    pdf.setFont(regular, 8)
    pdf.drawString(left, 15 * mm, f"Issued by {PLATFORM} on {date_format(timezone.localdate(), 'j F Y')}.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@login_required
@require_http_methods(["GET", "HEAD"])
def payment_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    data = receipt(_own_payment(request, pk))
    response = HttpResponse(receipt_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{data["number"]}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- payouts ------------------------------------------------------------------------------------


def payout_state(account: ConnectedAccount | None) -> str:
    if account is None:
        return "not_started"
    return "ready" if account.can_receive else "incomplete"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def payouts_page(request: HttpRequest) -> HttpResponse:
    """The freelancer's payout account: set it up at Stripe (Connect onboarding), then held earnings go out."""
    user = request.user
    if not user.is_freelancer:
        return render(request, "marketplace/forbidden.html", {
            "title": "Payouts are for freelancers",
            "message": "Freelancers receive their earnings here. As a client you pay into escrow from each contract.",
            "link": (reverse("payment_list"), "Back to your payments"),
        }, status=403)
    here = request.build_absolute_uri(reverse("payments_payouts"))
    if request.method == "POST":
        try:
            url = services.connect_onboarding_link(user=user, return_url=f"{here}?onboarding=done",
                                                   refresh_url=f"{here}?onboarding=again")
        except ApplicationError as exc:
            messages.error(request, str(exc.detail))
            return redirect("payments_payouts")
        return redirect(url)
    returned = request.GET.get("onboarding")
    if returned in ("done", "again"):
        try:
            account = services.connect_refresh(user)
        except stripe.StripeError:
            logger.warning("Could not refresh the payout account of user %s", user.pk, exc_info=True)
            messages.error(request, "We could not reach Stripe to check your payout account; try again shortly.")
            return redirect("payments_payouts")
        if payout_state(account) == "ready":
            messages.success(request, "Your payout account is ready. Earnings held for you are on their way to it.")
        elif returned == "again":
            messages.warning(request, "The set-up link expired. Press “Set up payouts” to continue where you left off.")
        else:
            messages.warning(request, "Stripe still needs some details before you can receive payouts. Press "
                                      "“Set up payouts” to finish.")
        return redirect("payments_payouts")
    account = ConnectedAccount.objects.filter(user=user).first()
    held = defaultdict(int)
    for payment in Payment.objects.filter(user=user, kind=Payment.Kind.RELEASE,
                                          payout_status=Payment.PayoutStatus.HELD):
        held[payment.currency] += payment.amount
    return render(request, "payments/payouts.html", {
        "account": account,
        "state": payout_state(account),
        "held": [money_text(amount, currency) for currency, amount in sorted(held.items())],
        "summary": freelancer_summary(user),
    })
