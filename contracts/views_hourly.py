"""The timesheet of an hourly contract (`/contracts/<id>/timesheet/`): the week by day with its total, limit and
the minutes over it, entries the freelancer adds, changes and deletes while the week is open (and a timer that
logs what it timed), the weekly invoices, and the client's review: approve (charged now) or dispute.
Thin views over `contracts.hourly`."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import form_add_service_error
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError
from payments import methods as payment_methods

from . import hourly, selectors, services
from .forms_hourly import InvoiceDisputeForm, TimeEntryEditForm, TimeEntryForm, WeeklyLimitForm
from .models import Contract, ContractStatus, TimeEntry, WeeklyInvoice

if TYPE_CHECKING:
    class ListedInvoice(WeeklyInvoice):
        """A week in the timesheet's list, with what the client's bank step needs; for the type checker only."""

        bank_waiting: bool  # the client's bank asks them to confirm the charge
        bank_step: bool  # this browser is on the emulated bank's page for it
        bank_secret: str  # the PaymentIntent's client secret for Stripe.js, or ""


@dataclass(frozen=True)
class Day:
    date: date
    entries: list[TimeEntry]
    minutes: int


def hours_text(minutes: int) -> str:
    """125 -> "2 h 05 min"."""
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _contract_or_404(request: HttpRequest, pk: int) -> Contract:
    contract = selectors.contracts_for(signed_in_user(request)).filter(pk=pk).first()
    if contract is None or not contract.is_party(signed_in_user(request)) or contract.contract_type != "hourly":
        raise Http404
    return contract


def _week_of(request: HttpRequest) -> date:
    value = request.GET.get("week", "")
    this_week = hourly.week_start_of(hourly.today_utc())
    try:
        week = hourly.week_start_of(date.fromisoformat(value)) if value else this_week
    except ValueError:
        raise Http404 from None
    if week > this_week or week.year < 2000:  # no time is logged in weeks to come or before the platform
        raise Http404
    return week


def _to_week(contract: Contract, week: date) -> HttpResponse:
    return redirect(f"{reverse('contract_timesheet', args=[contract.pk])}?week={week.isoformat()}")


def _page(request: HttpRequest, contract: Contract, week: date, *, status: int = 200,
          add_form: TimeEntryForm | None = None, limit_form: WeeklyLimitForm | None = None) -> HttpResponse:
    user = signed_in_user(request)
    is_client, is_freelancer = user.pk == contract.client_id, user.pk == contract.freelancer_id
    entries = list(TimeEntry.objects.filter(contract=contract, date__gte=week, date__lt=week + timedelta(days=7))
                   .order_by("date", "id"))
    days = [Day(date=week + timedelta(days=i), entries=[e for e in entries if e.date == week + timedelta(days=i)],
                minutes=sum(e.minutes for e in entries if e.date == week + timedelta(days=i))) for i in range(7)]
    invoice = hourly.invoice_for_week(contract, week)
    closed = invoice is not None and invoice.status != "open"
    if invoice is not None and closed:  # a closed week shows the figures its invoice keeps
        total, limit, billable = invoice.minutes, invoice.weekly_limit_hours, invoice.billable_minutes
        amount = invoice.amount
    else:
        total = sum(day.minutes for day in days)
        limit = contract.weekly_limit_hours
        billable = hourly.billable(total, limit)
        amount = hourly.amount_for(billable, contract.hourly_rate or Decimal(0))
    today = hourly.today_utc()
    editable = is_freelancer and not closed and contract.status == ContractStatus.ACTIVE and week <= today
    invoices = cast("list[ListedInvoice]",
                    list(WeeklyInvoice.objects.filter(contract=contract).order_by("-week_start", "-id")))
    pending = request.session.get(BANK_PENDING) or {}
    for inv in invoices:
        inv.bank_waiting = is_client and bool(inv.payment_error) and hourly.bank_confirmation_waiting(inv)
        mine = inv.bank_waiting and pending.get("invoice") == inv.pk
        inv.bank_step = mine and pending.get("mode") == "test_card"
        # With real keys, Stripe.js shows the bank's page for the confirmed PaymentIntent, then posts "finish".
        inv.bank_secret = pending.get("secret", "") if mine and pending.get("mode") == "elements" else ""
    context: dict[str, Any] = {
        "contract": contract, "is_client": is_client, "is_freelancer": is_freelancer,
        "week": week, "week_end": week + timedelta(days=6), "days": days, "invoice": invoice,
        "total": hours_text(total), "billable": hours_text(billable), "over_limit": hours_text(total - billable),
        "over_limit_minutes": total - billable, "limit": limit, "amount": amount, "editable": editable,
        "previous_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7) if week + timedelta(days=7) <= today else None,
        "this_week": hourly.week_start_of(today), "today": today,
        "invoices": invoices, "client_has_card": payment_methods.has_saved_card(contract.client_id),
        "add_form": add_form or TimeEntryForm(initial={"date": min(today, week + timedelta(days=6))}),
        "limit_form": limit_form or WeeklyLimitForm(initial={"weekly_limit_hours": contract.weekly_limit_hours}),
        "dispute_form": InvoiceDisputeForm(),
        "days_with_time": bool(entries),
        "bank_publishable_key": settings.STRIPE_PUBLISHABLE_KEY if any(i.bank_secret for i in invoices) else "",
    }
    return render(request, "contracts/timesheet.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def timesheet(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _contract_or_404(request, pk), _week_of(request))


def _refused(request: HttpRequest, exc: ApplicationError) -> None:
    if exc.status_code == 404:
        raise Http404
    messages.error(request, str(exc.detail))


@login_required
@require_POST
def time_entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        return _page(request, contract, _week_of(request), add_form=form, status=400)
    day = form.cleaned_data["date"]
    try:
        entry = hourly.time_entry_create(contract=contract, by=signed_in_user(request), day=day,
                                         minutes=form.cleaned_data["minutes"], memo=form.cleaned_data["memo"])
    except ApplicationError as exc:
        if exc.status_code == 400:
            form_add_service_error(form, exc)
            return _page(request, contract, hourly.week_start_of(day), add_form=form, status=400)
        _refused(request, exc)
        return _to_week(contract, hourly.week_start_of(day))
    messages.success(request, _("Logged %(time)s on %(day)s.") % {"time": hours_text(entry.minutes),
                                                                  "day": date_format(entry.date, "l d F")})
    return _to_week(contract, hourly.week_start_of(day))


def _entry_or_404(contract: Contract, entry_pk: int) -> TimeEntry:
    entry = TimeEntry.objects.select_related("contract").filter(pk=entry_pk, contract=contract).first()
    if entry is None:
        raise Http404
    return entry


@login_required
@require_POST
def time_entry_edit(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    entry = _entry_or_404(contract, entry_pk)
    form = TimeEntryEditForm(request.POST, prefix=f"e{entry.pk}")
    week = hourly.week_start_of(entry.date)
    if not form.is_valid():
        messages.error(request, _("Minutes are 1 to 1440."))
        return _to_week(contract, week)
    try:
        hourly.time_entry_update(entry=entry, by=signed_in_user(request), data=form.cleaned_data)
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The entry is changed."))
    return _to_week(contract, week)


@login_required
@require_POST
def time_entry_delete(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    entry = _entry_or_404(contract, entry_pk)
    try:
        hourly.time_entry_delete(entry=entry, by=signed_in_user(request))
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The entry is deleted."))
    return _to_week(contract, hourly.week_start_of(entry.date))


@login_required
@require_POST
def weekly_limit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = WeeklyLimitForm(request.POST)
    if not form.is_valid():
        return _page(request, contract, _week_of(request), limit_form=form, status=400)
    try:
        services.weekly_limit_set(contract=contract, by=signed_in_user(request),
                                  hours=form.cleaned_data["weekly_limit_hours"])
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The weekly limit is changed for this week and the weeks after it."))
    return _to_week(contract, _week_of(request))


def _invoice_or_404(contract: Contract, invoice_pk: int) -> WeeklyInvoice:
    invoice = WeeklyInvoice.objects.select_related("contract", "contract__client", "contract__freelancer").filter(
        pk=invoice_pk, contract=contract).first()
    if invoice is None:
        raise Http404
    return invoice


@login_required
@require_POST
def invoice_approve(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    invoice = _invoice_or_404(contract, invoice_pk)
    try:
        invoice = hourly.invoice_approve(invoice=invoice, by=signed_in_user(request))
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("You approved the week: %(amount)s %(currency)s is charged to your card.")
                         % {"amount": invoice.charged_amount, "currency": invoice.currency.upper()})
    return _to_week(contract, invoice.week_start)


BANK_PENDING = "hourly_bank_confirmation"


@login_required
@require_POST
def invoice_bank_confirm(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    """A weekly charge the bank wants the card holder to confirm (3-D Secure): "start" confirms it on-session;
    the bank's check follows (the emulator's test bank here, step "bank"; Stripe.js with real keys, then step
    "finish"), and the week is booked as paid once."""
    from .views import card_mode

    contract = _contract_or_404(request, pk)
    invoice = _invoice_or_404(contract, invoice_pk)
    step = request.POST.get("step", "start")
    try:
        if step == "start":
            intent = hourly.invoice_confirm_begin(invoice=invoice, by=signed_in_user(request))
            if intent.status == "requires_action":
                request.session[BANK_PENDING] = {"invoice": invoice.pk, "secret": intent.client_secret,
                                                 "mode": card_mode()}
                messages.info(request, _("Your bank asks you to confirm the payment."))
                return _to_week(contract, invoice.week_start)
        elif step == "bank" and card_mode() == "test_card":
            hourly.invoice_confirm_test_bank(invoice=invoice, by=signed_in_user(request))
        else:
            hourly.invoice_confirm_finish(invoice=invoice, by=signed_in_user(request))
    except ApplicationError as exc:
        request.session.pop(BANK_PENDING, None)
        _refused(request, exc)
        return _to_week(contract, invoice.week_start)
    request.session.pop(BANK_PENDING, None)
    invoice.refresh_from_db()
    messages.success(request, _("Your bank confirmed the payment: %(amount)s %(currency)s is charged for the week.")
                     % {"amount": invoice.charged_amount, "currency": invoice.currency.upper()})
    return _to_week(contract, invoice.week_start)


@login_required
@require_POST
def invoice_dispute(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    invoice = _invoice_or_404(contract, invoice_pk)
    form = InvoiceDisputeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what is wrong with the hours."))
        return _to_week(contract, invoice.week_start)
    try:
        hourly.invoice_dispute(invoice=invoice, by=signed_in_user(request), reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The week is disputed: nothing is charged until our team decides."))
    return _to_week(contract, invoice.week_start)


def week_totals(contract: Contract) -> dict[str, Any]:
    """This week's logged minutes on a contract (for the contract page and the dashboards)."""
    start = hourly.week_start_of(hourly.today_utc())
    minutes = TimeEntry.objects.filter(contract=contract, date__gte=start).aggregate(t=Sum("minutes"))["t"] or 0
    return {"week_start": start, "minutes": minutes, "text": hours_text(minutes)}
