"""Payment pages, mounted at the site root: the caller's payments with their balances, a printable receipt
(and its PDF) for each payment, the freelancer's payout account (Stripe Connect onboarding), and the billing
page, /settings/billing/, with the Client Pro plan.

Each person sees only their own payments: another person's payment is a 404, as on the API.

Card details: with real Stripe keys the card goes from the browser straight to Stripe (Stripe Elements makes
the PaymentMethod); against the local emulator a plain test-card form is posted here and the PaymentMethod is
made at the emulator. Card details are never stored, logged or sent back in the page.
"""

import datetime
import io
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import stripe
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms import form_add_service_error
from accounts.models import User, UserType, billing_details_lines
from accounts.requests import signed_in_user
from accounts.services import billing_details_snapshot
from core.exceptions import ApplicationError
from core.money import money_text

from . import billing, selectors, services
from .forms import CARD_FIELDS, TestCardForm
from .models import ConnectedAccount, Payment
from .views_cards import cards_context

logger = logging.getLogger(__name__)


# --- billing: the Client Pro plan ---------------------------------------------------------------


class ElementsForm(forms.Form):
    """What the page posts once Stripe Elements has made the PaymentMethod in the browser."""

    payment_method = forms.CharField(max_length=255, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("payment_method"):
            raise forms.ValidationError(_("Enter your card details."))  # shown above the form, not on the hidden field
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
        form.add_error(None, _("Card payments are not set up on this site."))
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
        billing.subscribe(signed_in_user(request), payment_method)
    except ApplicationError as exc:
        form_add_service_error(form, exc, {"payment_method": "card_number" if mode == "test_card" else ""})
        return form, exc.status_code
    return form, 0


@sensitive_post_parameters(*CARD_FIELDS)
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def billing_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user.user_type != UserType.CLIENT:
        return render(request, "marketplace/forbidden.html", {
            "title": _("Billing is for clients"),
            "message": _("The Client Pro plan is for clients who hire. Freelancers use MegiLance for free."),
            "link": ("/settings/profile/", _("Back to your settings")),
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
                    messages.success(request, gettext(
                        "Welcome to Client Pro: invite-only projects and up to %(invites)s invites per project "
                        "are on.") % {"invites": billing.PRO_INVITES_PER_PROJECT})
                    return redirect("settings_billing")
            elif action == "cancel":
                row = billing.cancel(user)
                ends = user.client_plan_until or row.current_period_end
                messages.success(request, gettext(
                    "Your Client Pro plan will end on %(date)s. It stays on until then.")
                    % {"date": date_format(timezone.localtime(ends), "j F Y")}
                    if ends else gettext("Your Client Pro plan has ended."))
                return redirect("settings_billing")
            elif action == "resume":
                billing.subscribe(user, None)
                messages.success(request, _("Your Client Pro plan will renew as before."))
                return redirect("settings_billing")
            else:
                status = 400
                form.add_error(None, _("Choose what to do."))
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
        **cards_context(request, mode),
    }, status=status)


# --- the payments list, with the balances -------------------------------------------------------

PER_PAGE = 50
PLATFORM = "MegiLance"


@dataclass(frozen=True)
class ContractLink:
    """The contract a payment was for, as the pages link to it."""

    pk: int
    title: str


if TYPE_CHECKING:
    class ListedPayment(Payment):
        """A payment as the payments list shows it; for the type checker only."""

        amount_text: str
        contract: ContractLink | None


def _contract_link(payment: Payment) -> ContractLink | None:
    if payment.contract_id and payment.contract_title:
        return ContractLink(pk=payment.contract_id, title=payment.contract_title)
    return None


def client_summary(user: User) -> list[dict[str, str]]:
    """Spent (funded minus refunded) and what is held in escrow on the client's contracts, per currency."""
    return [{"currency": row.currency, "spent": money_text(row.spent, row.currency),
             "in_escrow": money_text(row.in_escrow, row.currency)}
            for row in selectors.client_balances(user=user)]


def freelancer_summary(user: User) -> list[dict[str, str]]:
    """Earned (released, net of fees), pending payout and paid out, per currency."""
    return [{"currency": row.currency, "earned": money_text(row.earned, row.currency),
             "pending": money_text(row.pending, row.currency), "paid": money_text(row.paid, row.currency)}
            for row in selectors.freelancer_balances(user=user)]


@login_required
@require_http_methods(["GET", "HEAD"])
def payment_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = Paginator(selectors.payment_list(user=user), PER_PAGE).get_page(request.GET.get("page"))
    rows = cast("list[ListedPayment]", list(page.object_list))
    for payment in rows:
        payment.amount_text = money_text(payment.amount, payment.currency)
        payment.contract = _contract_link(payment)
    return render(request, "payments/payment_list.html", {
        "page": page,
        "payments": rows,
        "client_summary": client_summary(user) if user.is_client else None,
        "freelancer_summary": freelancer_summary(user) if user.is_freelancer else None,
        "fee_percent": settings.PLATFORM_FEE_PERCENT,
    })


# --- exports ------------------------------------------------------------------------------------

CSV_COLUMNS = [pgettext_lazy("CSV column", "receipt"), pgettext_lazy("CSV column", "date"),
               pgettext_lazy("CSV column", "kind"), pgettext_lazy("CSV column", "description"),
               pgettext_lazy("CSV column", "contract"), pgettext_lazy("CSV column", "milestone"),
               pgettext_lazy("CSV column", "amount"), pgettext_lazy("CSV column", "currency"),
               pgettext_lazy("CSV column", "status"), pgettext_lazy("CSV column", "payout_status")]
"""The CSV's header row, in the language of the person downloading it."""


def _month(value: str) -> tuple[int, int] | None:
    """`2026-11` as (2026, 11); None when it is not a month."""
    try:
        year, month = (int(part) for part in value.split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 9999 and 1 <= month <= 12 else None


def _cell(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@login_required
@require_http_methods(["GET", "HEAD"])
def payment_export_csv(request: HttpRequest) -> HttpResponseBase:
    """The caller's own payments as CSV, all of them or one month's (`?month=2026-11`), oldest first."""
    import csv

    from django.http import StreamingHttpResponse

    from core.money import from_minor

    user = signed_in_user(request)
    month = request.GET.get("month", "")
    if month:
        parsed = _month(month)
        if parsed is None:
            return HttpResponse(gettext("Give the month as YYYY-MM, e.g. 2026-11.") + "\n", status=400,
                                content_type="text/plain; charset=utf-8")
        rows = selectors.payments_in_month(user=user, year=parsed[0], month=parsed[1])
    else:
        rows = selectors.payment_list(user=user).order_by("created_at", "id")

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    # The rows are written while the response streams, perhaps after the request's language and time zone are
    # gone: they are written in the ones of the request.
    language, zone = translation.get_language(), timezone.get_current_timezone()
    header = [str(column) for column in CSV_COLUMNS]

    def row(payment: Payment) -> list[str]:
        with translation.override(language), timezone.override(zone):
            return [payment.receipt_number, timezone.localtime(payment.created_at).isoformat(), payment.kind_label,
                    _cell(payment.description), _cell(payment.contract_title), _cell(payment.milestone_title),
                    str(from_minor(payment.amount)), payment.currency.upper(), str(payment.get_status_display()),
                    str(payment.get_payout_status_display()) if payment.payout_status else ""]

    def lines() -> Any:
        yield writer.writerow(header)
        for payment in rows.iterator(chunk_size=500):
            yield writer.writerow(row(payment))

    name = f"megilance-payments-{month}.csv" if month else "megilance-payments.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- receipts -----------------------------------------------------------------------------------


def _own_payment(request: HttpRequest, pk: int) -> Payment:
    payment = selectors.payment_get_own(user=signed_in_user(request), pk=pk)
    if payment is None:
        raise Http404
    return payment


def receipt(payment: Payment) -> dict[str, Any]:
    """What a receipt says, for the page and the PDF alike: a list of (label, value) lines."""
    person = f"{payment.user.get_full_name()} <{payment.user.email}>"
    when = timezone.localtime(payment.created_at)
    party_labels: dict[str, Promise] = {Payment.Kind.FUNDING: _("Paid by"), Payment.Kind.SUBSCRIPTION: _("Paid by"),
                                        Payment.Kind.REFUND: _("Refunded to")}
    lines: list[tuple[str, str]] = [
        (gettext("Receipt number"), payment.receipt_number),
        (gettext("Date"), (gettext("%(date)s, %(time)s %(zone)s") % {
            "date": date_format(when, "j F Y"), "time": date_format(when, "H:i"), "zone": when.tzname() or ""}
         ).strip()),
        (str(party_labels.get(payment.kind, _("Paid to"))), person),
        (gettext("What"), payment.kind_label),
    ]
    if payment.description:
        lines.append((gettext("Description"), payment.description))
    if payment.contract_title:
        lines.append((gettext("Contract"), payment.contract_title))
    if payment.milestone_title:
        lines.append((gettext("Milestone") if payment.milestone_id else gettext("Hours"), payment.milestone_title))
    if payment.order_title:
        lines.append((gettext("Order"), f"#{payment.order_id} {payment.order_title}"))
    fees: list[tuple[str, str]] = []
    if payment.kind == Payment.Kind.RELEASE:
        fee = Payment.objects.filter(kind=Payment.Kind.FEE, ledger_transaction_id=payment.ledger_transaction_id,
                                     user=payment.user).first() if payment.ledger_transaction_id else None
        fee_amount = fee.amount if fee is not None else 0
        fees = [
            (gettext("Released from escrow"), money_text(payment.amount + fee_amount, payment.currency)),
            (gettext("Platform fee (%(percent)s%%)") % {"percent": settings.PLATFORM_FEE_PERCENT},
             f"\u2212{money_text(fee_amount, payment.currency)}"),
            (gettext("You receive"), money_text(payment.amount, payment.currency)),
        ]
    total_labels: dict[str, Promise] = {
        Payment.Kind.FUNDING: _("Amount paid into escrow"), Payment.Kind.REFUND: _("Amount refunded"),
        Payment.Kind.FEE: _("Platform fee"), Payment.Kind.RELEASE: _("Amount"),
        Payment.Kind.SUBSCRIPTION: _("Amount paid")}
    total_label = total_labels.get(payment.kind, _("Amount"))
    lines.append((str(total_label), money_text(payment.amount, payment.currency)))
    lines.append((gettext("Status"), str(payment.get_status_display())))
    if payment.payout_status:
        lines.append((gettext("Payout"), str(payment.get_payout_status_display())))
    lines.append((gettext("Stripe reference"), payment.stripe_reference or "—"))
    return {"number": payment.receipt_number, "lines": lines, "fees": fees, "payment": payment,
            "billed_to": billing_details_lines(payment.billing_details or {}),
            "contract": _contract_link(payment), "amount": money_text(payment.amount, payment.currency)}


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


def _issued() -> str:
    """The PDFs' footer: today in the viewer's time zone, in their language."""
    return gettext("Issued by %(platform)s on %(date)s.") % {
        "platform": PLATFORM, "date": date_format(timezone.localdate(), "j F Y")}


def receipt_pdf(data: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    regular, bold = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(gettext("Receipt %(number)s") % {"number": data["number"]})
    pdf.setAuthor(PLATFORM)
    width, height = A4
    left, label_width, y = 20 * mm, 55 * mm, height - 25 * mm
    pdf.setFont(bold, 18)
    pdf.drawString(left, y, gettext("%(platform)s receipt %(number)s")
                   % {"platform": PLATFORM, "number": data["number"]})
    y -= 8 * mm
    pdf.setFont(regular, 9)
    pdf.drawString(left, y, gettext("Freelance marketplace with milestone escrow. Payments are processed by Stripe."))
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
    if data["billed_to"]:
        y -= 4 * mm
        pdf.setFont(bold, 12)
        pdf.drawString(left, y, gettext("Billing details"))
        y -= 8 * mm
        pdf.setFont(regular, 10)
        for text in data["billed_to"]:
            for part in simpleSplit(text, regular, 10, width - left * 2) or [""]:
                pdf.drawString(left, y, part)
                y -= 6 * mm
    if data["fees"]:
        y -= 4 * mm
        pdf.setFont(bold, 12)
        pdf.drawString(left, y, gettext("Fees"))
        y -= 8 * mm
        for label, value in data["fees"]:
            line(label, value)
    pdf.setFont(regular, 8)
    pdf.drawString(left, 15 * mm, _issued())
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


# --- monthly statements -------------------------------------------------------------------------

KIND_TOTAL_LABELS: dict[str, Promise] = {
    Payment.Kind.FUNDING: _("Paid into escrow"), Payment.Kind.REFUND: _("Refunded to you"),
    Payment.Kind.RELEASE: _("Received (after fees)"), Payment.Kind.FEE: _("Platform fees deducted"),
    Payment.Kind.SUBSCRIPTION: _("Client Pro subscription")}


def statement(user: User, month: str) -> dict[str, Any]:
    """What a month's statement says, for the page and the PDF alike; 404 for a month that is not one or in
    which the caller has no payments."""
    parsed = _month(month)
    if parsed is None:
        raise Http404
    year, number = parsed
    payments = list(selectors.payments_in_month(user=user, year=year, month=number))
    if not payments:
        raise Http404
    rows = [{"payment": payment, "date": date_format(timezone.localtime(payment.created_at), "j M Y"),
             "number": payment.receipt_number, "kind": payment.kind_label,
             "description": payment.description or payment.contract_title or "—",
             "amount": money_text(payment.amount, payment.currency), "status": str(payment.get_status_display())}
            for payment in payments]
    currencies: dict[str, list[tuple[str, int, str]]] = {}
    for total in selectors.statement_totals(user=user, year=year, month=number):
        currencies.setdefault(total.currency.upper(), []).append(
            (str(KIND_TOTAL_LABELS.get(total.kind, total.kind)), total.payments,
             money_text(total.total, total.currency)))
    first = datetime.date(year, number, 1)
    return {"month": month, "title": date_format(first, "F Y"), "rows": rows,
            "totals": [{"currency": code, "lines": lines} for code, lines in currencies.items()],
            "billed_to": billing_details_lines(billing_details_snapshot(user.pk))}


@login_required
@require_http_methods(["GET", "HEAD"])
def statement_list(request: HttpRequest) -> HttpResponse:
    months = [{"key": f"{row.month:%Y-%m}", "title": date_format(row.month, "F Y"), "payments": row.payments}
              for row in selectors.statement_months(user=signed_in_user(request))]
    return render(request, "payments/statement_list.html", {"months": months})


@login_required
@require_http_methods(["GET", "HEAD"])
def statement_page(request: HttpRequest, month: str) -> HttpResponse:
    return render(request, "payments/statement.html",
                  {**statement(signed_in_user(request), month), "platform": PLATFORM})


def statement_pdf(data: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    regular, bold = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    heading = gettext("%(platform)s statement, %(month)s") % {"platform": PLATFORM, "month": data["title"]}
    pdf.setTitle(heading)
    pdf.setAuthor(PLATFORM)
    width, height = A4
    left, right, bottom = 20 * mm, width - 20 * mm, 25 * mm
    y = height - 25 * mm
    columns = (left, left + 24 * mm, left + 60 * mm, left + 96 * mm)  # date, receipt, kind, description

    def room(needed: float) -> None:
        nonlocal y
        if y - needed < bottom:
            pdf.setFont(regular, 8)
            pdf.drawString(left, 15 * mm, gettext("%(heading)s (continued)") % {"heading": heading})
            pdf.showPage()
            y = height - 25 * mm

    pdf.setFont(bold, 18)
    pdf.drawString(left, y, heading)
    y -= 8 * mm
    pdf.setFont(regular, 9)
    pdf.drawString(left, y, gettext("Your payments in the month and their totals per currency. "
                                    "Payments are processed by Stripe."))
    y -= 10 * mm
    if data["billed_to"]:
        pdf.setFont(bold, 10)
        pdf.drawString(left, y, gettext("Billing details"))
        y -= 6 * mm
        pdf.setFont(regular, 10)
        for text in data["billed_to"]:
            for part in simpleSplit(text, regular, 10, right - left) or [""]:
                pdf.drawString(left, y, part)
                y -= 5 * mm
        y -= 5 * mm

    pdf.setFont(bold, 12)
    pdf.drawString(left, y, gettext("Payments"))
    y -= 7 * mm
    for row in data["rows"]:
        description = simpleSplit(row["description"], regular, 8, right - columns[3] - 30 * mm) or [""]
        room(5 * mm * len(description) + 2 * mm)
        pdf.setFont(regular, 8)
        for x, text in zip(columns[:3], (row["date"], row["number"], row["kind"]), strict=True):
            pdf.drawString(x, y, text)
        pdf.drawRightString(right, y, row["amount"])
        for part in description:
            pdf.drawString(columns[3], y, part)
            y -= 4.5 * mm
        y -= 1.5 * mm

    room(20 * mm)
    y -= 4 * mm
    pdf.setFont(bold, 12)
    pdf.drawString(left, y, gettext("Totals (succeeded payments)"))
    y -= 7 * mm
    for block in data["totals"]:
        room(6 * mm * (len(block["lines"]) + 1))
        pdf.setFont(bold, 10)
        pdf.drawString(left, y, block["currency"])
        y -= 6 * mm
        for label, count, amount in block["lines"]:
            pdf.setFont(regular, 10)
            pdf.drawString(left, y, f"{label} ({count})")
            pdf.drawRightString(right, y, amount)
            y -= 6 * mm
    pdf.setFont(regular, 8)
    pdf.drawString(left, 15 * mm, _issued())
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@login_required
@require_http_methods(["GET", "HEAD"])
def statement_pdf_download(request: HttpRequest, month: str) -> HttpResponse:
    data = statement(signed_in_user(request), month)
    response = HttpResponse(statement_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="megilance-statement-{month}.pdf"'
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
    user = signed_in_user(request)
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
            messages.error(request, _("We could not reach Stripe to check your payout account; try again shortly."))
            return redirect("payments_payouts")
        if payout_state(account) == "ready":
            messages.success(request, _("Your payout account is ready. Earnings held for you are on their way to it."))
        elif returned == "again":
            messages.warning(request,
                             _("The set-up link expired. Press “Set up payouts” to continue where you left off."))
        else:
            messages.warning(request, _("Stripe still needs some details before you can receive payouts. Press "
                                        "“Set up payouts” to finish."))
        return redirect("payments_payouts")
    account = ConnectedAccount.objects.filter(user=user).first()
    held: defaultdict[str, int] = defaultdict(int)
    for payment in Payment.objects.filter(user=user, kind=Payment.Kind.RELEASE,
                                          payout_status=Payment.PayoutStatus.HELD):
        held[payment.currency] += payment.amount
    return render(request, "payments/payouts.html", {
        "account": account,
        "state": payout_state(account),
        "held": [money_text(amount, currency) for currency, amount in sorted(held.items())],
        "summary": freelancer_summary(user),
    })
