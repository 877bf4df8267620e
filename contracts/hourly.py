"""Hourly contracts (the weekly model): time logged, weeks closed into invoices, reviewed, charged and paid.

- A week runs Monday 00:00 to Sunday 24:00 UTC. The freelancer logs time entries (1 to 1440 minutes, never a
  future day, at most 24 hours a day in all) while the week's invoice is open; the first entry of a week opens
  its invoice.
- Early on Monday `weeks_close_due` closes every open week before this one. Closing fixes the figures:
  `minutes` logged, `billable_minutes` = at most the weekly limit in force at closing (the minutes over it are
  shown, not billed), `amount` = billable minutes x hourly rate / 60, rounded half-up to the cent (the only
  rounding), and the platform fee percent. The limit is the contract's when the week closes: a change by the
  client applies to every week not closed yet, the current one included; a closed week keeps its own.
- The client reviews the invoice until Friday 00:00 UTC after closing (`review_ends_at`): "Approve" charges
  now; "Dispute" stops the charge until staff decide (pay in full, cancel, or split: the freelancer's part is
  charged). When the review ends, `invoices_charge_due` charges the client's newest saved card off-session.
- A charge is a payment operation: checked and written down under the invoice's row lock, asked of Stripe
  outside any transaction, booked after (the client's payment, the freelancer's release less the fee, in the
  ledger). A decline, or a bank asking for the card holder, is written on the invoice (`payment_error`); the
  client is told and the invoice waits until they save a card, when it is tried again with a new key.

Every move of an invoice is in INVOICE_MOVES; every job decides again under the invoice's row lock.
"""

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Sum
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.audit import audit
from core.exceptions import ApplicationError, Conflict
from core.locale import date_lazy, recipient_locale, text_lazy, uncapitalised_lazy
from core.money import CENT, Money, decimal_text, money_text, to_minor
from core.status import CLIENT, STAFF, SYSTEM, Move, apply, authorize, may, moves
from messaging.models import NotificationKind
from messaging.notifications import notify
from payments import methods as payment_methods
from payments import services as payments
from payments import signals as payment_signals
from payments.exceptions import PaymentInProgress, PaymentProviderUnavailable
from payments.stripe_events import PAYER_TOLD_KEY

from .models import (
    Contract,
    ContractStatus,
    Dispute,
    InvoiceStatus,
    TimeEntry,
    WeeklyInvoice,
    WeeklyInvoiceStatusChange,
)
from .services import role_of

logger = logging.getLogger(__name__)

_I = InvoiceStatus
# Every move an invoice may make, by whom. "approve" and "charge" are made when the client's card was charged
# (the client paying now, or the job when the review ended); a dispute's "resolve_release" and "resolve_split"
# likewise once the charge went through (staff deciding, or the job trying again after a new card).
INVOICE_MOVES: dict[tuple[str, str], Move] = moves(
    (_I.OPEN, "close", _I.IN_REVIEW, (SYSTEM,)),
    (_I.IN_REVIEW, "approve", _I.PAID, (CLIENT,)),
    (_I.IN_REVIEW, "charge", _I.PAID, (SYSTEM,)),
    (_I.IN_REVIEW, "dispute", _I.DISPUTED, (CLIENT,)),
    (_I.DISPUTED, "resolve_release", _I.PAID, (STAFF, SYSTEM)),
    (_I.DISPUTED, "resolve_split", _I.PAID, (STAFF, SYSTEM)),
    (_I.DISPUTED, "resolve_refund", _I.REFUNDED, (STAFF,)),
)
RESOLUTION_ACTIONS = {"release": "resolve_release", "refund": "resolve_refund", "split": "resolve_split"}
SUBJECT = "hourly_invoice"
CHARGE = "hourly_charge"
REVIEW_DAYS = 4  # closed on Monday, reviewed until Friday 00:00 UTC
REMIND_BEFORE = timedelta(days=1)
MINUTES_A_DAY = 24 * 60


# --- weeks and figures --------------------------------------------------------------------------


def week_start_of(day: date) -> date:
    """The Monday of the week (Monday to Sunday, UTC) a day belongs to."""
    return day - timedelta(days=day.weekday())


def today_utc(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(UTC).date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def billable(minutes: int, limit_hours: int | None) -> int:
    """Minutes billed: all of them, or at most the weekly limit."""
    return minutes if limit_hours is None else min(minutes, limit_hours * 60)


def amount_for(billable_minutes: int, rate: Decimal) -> Decimal:
    """Billable minutes x hourly rate / 60, computed exactly and rounded half-up to the cent once."""
    return (Decimal(billable_minutes) * rate / Decimal(60)).quantize(CENT, rounding=ROUND_HALF_UP)


def _not_found() -> ApplicationError:
    return ApplicationError(_("Not found."), code="not_found", status_code=404)


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(_("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def _url(contract: Contract) -> str:
    return f"{settings.FRONTEND_URL}/contracts/{contract.pk}/timesheet/"


def _tell(user: User, kind: str, title: "str | Promise", invoice: WeeklyInvoice,
          message: "str | Promise" = "") -> None:
    contract = invoice.contract
    notify(user=user, kind=kind, title=title, message=message,
           data={"contract_id": contract.pk, "invoice_id": invoice.pk}, email_template="hourly_invoice",
           email_context={"contract_title": contract.title, "timesheet_url": _url(contract),
                          "week_start": date_lazy(invoice.week_start, "d F Y"),
                          "amount": Money.of(invoice.amount, invoice.currency)})


# --- time entries -------------------------------------------------------------------------------


def _lock_contract_for_time(contract: Contract, by: User) -> Contract:
    """Under the contract's row lock (which serialises a day's total): the freelancer of an active hourly
    contract whose client has a saved card. 404 outside, 403 for the client, 409 otherwise."""
    if not contract.is_party(by):
        raise _not_found()
    if by.pk != contract.freelancer_id:
        raise ApplicationError(_("Only the freelancer logs time."), code="permission_denied", status_code=403)
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.contract_type != "hourly":
        raise Conflict(_("Time is logged on hourly contracts."), code="not_hourly")
    if locked.status != ContractStatus.ACTIVE:
        raise Conflict(_("Time is logged while the contract is active."), code="contract_not_active")
    return locked


def _check_day(contract: Contract, day: date, minutes: int, *, leaving_out: int | None = None) -> None:
    if not 1 <= minutes <= MINUTES_A_DAY:
        raise _invalid("minutes", _("Between 1 and 1440 minutes."))
    if day > today_utc():
        raise _invalid("date", _("Time cannot be logged for a day that has not come yet."))
    if day < contract.created_at.astimezone(UTC).date():
        raise _invalid("date", _("Time cannot be logged for a day before the contract started."))
    others = TimeEntry.objects.filter(contract=contract, date=day)
    if leaving_out is not None:
        others = others.exclude(pk=leaving_out)
    logged = others.aggregate(total=Sum("minutes"))["total"] or 0
    if logged + minutes > MINUTES_A_DAY:
        raise _invalid("minutes", _("A day has 24 hours: %(logged)s minutes are already logged on %(day)s.")
                       % {"logged": logged, "day": f"{day:%d %B %Y}"})


def _rate(contract: Contract) -> Decimal:
    """The hourly contract's agreed rate, set from the accepted proposal's bid when the contract was made."""
    if contract.hourly_rate is None:
        raise ValueError(f"Contract {contract.pk} has no hourly rate: it is not an hourly contract.")
    return contract.hourly_rate


def _week_open(contract: Contract, day: date) -> WeeklyInvoice:
    """The open invoice of the day's week (opened now if it is the week's first entry); 409 once it is closed."""
    week = week_start_of(day)
    invoice = WeeklyInvoice.objects.select_for_update().filter(contract=contract, week_start=week).first()
    if invoice is None:
        invoice = WeeklyInvoice.objects.create(contract=contract, week_start=week, hourly_rate=_rate(contract),
                                               currency=contract.currency)
        WeeklyInvoiceStatusChange.objects.create(weeklyinvoice=invoice, from_status="", to_status=_I.OPEN)
    if invoice.status != _I.OPEN:
        raise Conflict(_("The week of %(week)s is closed: its time can no longer be changed.")
                       % {"week": date_format(week, "j F Y")},
                       code="week_closed")
    return invoice


def time_entry_create(*, contract: Contract, by: User, day: date, minutes: int, memo: str = "") -> TimeEntry:
    """The freelancer logs time. Billing time needs the client's saved card first (409 until there is one)."""
    with transaction.atomic():
        locked = _lock_contract_for_time(contract, by)
        if not payment_methods.has_saved_card(locked.client_id):
            raise Conflict(_("The client has not saved a card yet: time can be billed once they add one on their "
                             "billing page."), code="no_saved_card")
        _check_day(locked, day, minutes)
        _week_open(locked, day)
        return TimeEntry.objects.create(contract=locked, date=day, minutes=minutes, memo=memo.strip()[:500])


def time_entry_update(*, entry: TimeEntry, by: User, data: dict[str, Any]) -> TimeEntry:
    """Changes an entry while its week (and the week it moves to) is open."""
    with transaction.atomic():
        locked_contract = _lock_contract_for_time(entry.contract, by)
        locked = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        _week_open(locked_contract, locked.date)
        day = data.get("date", locked.date)
        minutes = data.get("minutes", locked.minutes)
        _check_day(locked_contract, day, minutes, leaving_out=locked.pk)
        _week_open(locked_contract, day)
        locked.date, locked.minutes = day, minutes
        if "memo" in data:
            locked.memo = (data["memo"] or "").strip()[:500]
        locked.save()
    return locked


def time_entry_delete(*, entry: TimeEntry, by: User) -> None:
    with transaction.atomic():
        locked_contract = _lock_contract_for_time(entry.contract, by)
        locked = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        _week_open(locked_contract, locked.date)
        locked.delete()


# --- closing a week -----------------------------------------------------------------------------


def _lock(invoice: WeeklyInvoice) -> WeeklyInvoice:
    return WeeklyInvoice.objects.select_for_update().select_related(
        "contract", "contract__client", "contract__freelancer").get(pk=invoice.pk)


def week_close(*, contract: Contract, week_start: date, now: datetime | None = None) -> WeeklyInvoice | None:
    """Closes a week that has ended: its invoice moves from open to in review with the week's figures fixed.
    Idempotent: a week already closed is returned as it is; a week without time has no invoice (None)."""
    now = now or timezone.now()
    if week_start_of(week_start) != week_start or week_start + timedelta(days=7) > today_utc(now):
        raise Conflict(_("A week is closed once it has ended."), code="week_not_ended")
    with transaction.atomic():
        locked_contract = Contract.objects.select_for_update().get(pk=contract.pk)
        invoice = WeeklyInvoice.objects.select_for_update().filter(contract=locked_contract,
                                                                   week_start=week_start).first()
        if invoice is None or invoice.status != _I.OPEN:
            return invoice
        entries = TimeEntry.objects.filter(contract=locked_contract, date__gte=week_start,
                                           date__lt=week_start + timedelta(days=7))
        minutes = entries.aggregate(total=Sum("minutes"))["total"] or 0
        if minutes == 0:  # every entry was deleted: nothing to bill, no invoice
            invoice.delete()
            return None
        invoice.contract = locked_contract
        apply(invoice, "close", table=INVOICE_MOVES, actor=SYSTEM, history=WeeklyInvoiceStatusChange, by=None)
        invoice.weekly_limit_hours = locked_contract.weekly_limit_hours
        invoice.hourly_rate = _rate(locked_contract)
        invoice.minutes = minutes
        invoice.billable_minutes = billable(minutes, invoice.weekly_limit_hours)
        invoice.amount = amount_for(invoice.billable_minutes, invoice.hourly_rate)
        invoice.fee_percent = Decimal(str(settings.PLATFORM_FEE_PERCENT))
        invoice.closed_at = now
        invoice.review_ends_at = _midnight(week_start + timedelta(days=7 + REVIEW_DAYS))
        invoice.save()
        hours = lazy(decimal_text, str)(Decimal(invoice.billable_minutes) / 60)  # "1.50", "1,50" when shown
        _tell(locked_contract.client, NotificationKind.PAYMENT_RECEIVED,
              text_lazy(gettext_lazy("Hours for the week of %(week)s: %(amount)s"),
                        week=date_lazy(week_start, "d F"), amount=Money.of(invoice.amount, invoice.currency)),
              invoice, message=text_lazy(gettext_lazy("%(hours)s billable hours. Review them by %(day)s; your saved "
                                                      "card is charged then unless you dispute them."),
                                         hours=hours, day=date_lazy(invoice.review_ends_at, "l d F, H:i T")))
        _tell(locked_contract.freelancer, NotificationKind.PAYMENT_RECEIVED,
              text_lazy(gettext_lazy("Your week of %(week)s is closed: %(hours)s billable hours"),
                        week=date_lazy(week_start, "d F"), hours=hours), invoice,
              message=gettext_lazy("The client reviews it until Friday; you are paid once their card is charged."))
    return invoice


def weeks_close_due(now: datetime | None = None) -> dict[str, int]:
    """The Monday job: closes every open week that has ended (last week, and any a missed run left)."""
    now = now or timezone.now()
    this_week = week_start_of(today_utc(now))
    closed = 0
    due = WeeklyInvoice.objects.filter(status=_I.OPEN, week_start__lt=this_week).select_related("contract")
    for invoice in due.order_by("pk"):
        result = week_close(contract=invoice.contract, week_start=invoice.week_start, now=now)
        if result is not None and result.closed_at == now:
            closed += 1
    return {"closed": closed}


def reviews_remind_due(now: datetime | None = None) -> dict[str, int]:
    """Tells clients, once per invoice, that a review ends within a day (checked again under the lock)."""
    now = now or timezone.now()
    reminded = 0
    soon = WeeklyInvoice.objects.filter(status=_I.IN_REVIEW, reminder_sent_at__isnull=True,
                                        review_ends_at__gt=now, review_ends_at__lte=now + REMIND_BEFORE)
    for invoice in soon.order_by("pk"):
        with transaction.atomic():
            locked = _lock(invoice)
            if (locked.status != _I.IN_REVIEW or locked.reminder_sent_at is not None or locked.review_ends_at is None
                    or not now < locked.review_ends_at <= now + REMIND_BEFORE):
                continue
            locked.reminder_sent_at = now
            locked.save(update_fields=["reminder_sent_at", "updated_at"])
            _tell(locked.contract.client, NotificationKind.MILESTONE_SUBMITTED,
                  text_lazy(gettext_lazy("Your review of the week of %(week)s ends soon"),
                            week=date_lazy(locked.week_start, "d F")),
                  locked, message=text_lazy(
                      gettext_lazy("Your saved card is charged %(amount)s on %(day)s unless you dispute the hours."),
                      amount=Money.of(locked.amount, locked.currency),
                      day=date_lazy(locked.review_ends_at, "l d F, H:i T")))
            reminded += 1
    return {"reminded": reminded}


# --- review, dispute, resolution ----------------------------------------------------------------


def _authorized(invoice: WeeklyInvoice, action: str, by: User) -> str:
    contract = invoice.contract
    actor = role_of(contract, by)
    authorize(INVOICE_MOVES, action, actor, party=contract.is_party(by))
    return actor


def invoice_dispute(*, invoice: WeeklyInvoice, by: User, reason: str, now: datetime | None = None) -> WeeklyInvoice:
    """The client disputes a week during its review: nothing is charged until staff decide."""
    now = now or timezone.now()
    _authorized(invoice, "dispute", by)
    if not reason.strip():
        raise _invalid("reason", _("Say what is wrong with the hours."))
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.status == _I.IN_REVIEW and locked.review_ends_at and now >= locked.review_ends_at:
            raise Conflict(_("The review of this week has ended."), code="review_ended")
        payments.operation_guard(subject_type=SUBJECT, subject_id=locked.pk)
        apply(locked, "dispute", table=INVOICE_MOVES, actor=CLIENT, history=WeeklyInvoiceStatusChange, by=by,
              note=reason.strip()[:2000])
        locked.dispute_reason = reason.strip()
        locked.disputed_at = now
        locked.save()
        audit("invoice.dispute", target=locked, actor=by, old={"status": _I.IN_REVIEW}, new={"status": _I.DISPUTED})
        for person in (locked.contract.freelancer, locked.contract.client):
            notify(user=person, kind=NotificationKind.DISPUTE_OPENED,
                   title=text_lazy(gettext_lazy("Hours for the week of %(week)s are disputed"),
                                   week=date_lazy(locked.week_start, "d F")),
                   message=reason[:300],
                   data={"contract_id": locked.contract_id, "invoice_id": locked.pk},
                   email_template="dispute_opened",
                   email_context={"contract_title": locked.contract.title, "contract_url": _url(locked.contract),
                                  "resolution": ""})
    return locked


def invoice_resolve(*, invoice: WeeklyInvoice, by: User, resolution: str, freelancer_amount: Decimal | None = None,
                    note: str = "") -> WeeklyInvoice:
    """Staff decide a disputed week: release (charge and pay in full), refund (cancel: nothing is charged) or
    split (the freelancer's part is charged and paid, the rest never charged)."""
    if not by.is_staff:
        raise _not_found()
    if resolution not in RESOLUTION_ACTIONS:
        raise _invalid("resolution", _("Choose release, refund or split."))
    action = RESOLUTION_ACTIONS[resolution]
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.status != _I.DISPUTED or locked.resolution:
            raise Conflict(_("This week is not waiting for a decision."), code="already_resolved")
        if not may(INVOICE_MOVES, locked.status, action, STAFF):
            raise Conflict(_("This week does not allow that."), code="invalid_transition")
        if resolution == Dispute.Resolution.SPLIT and (
                freelancer_amount is None or not Decimal("0") < freelancer_amount < locked.amount):
            raise _invalid("freelancer_amount", _("Between 0 and %(amount)s.")
                           % {"amount": locked.amount})
        locked.resolution = resolution
        locked.freelancer_amount = freelancer_amount if resolution == Dispute.Resolution.SPLIT else None
        locked.resolution_note = note
        locked.resolved_by = by
        locked.resolved_at = timezone.now()
        if resolution == Dispute.Resolution.REFUND:
            apply(locked, action, table=INVOICE_MOVES, actor=STAFF, history=WeeklyInvoiceStatusChange, by=by,
                  note=note[:2000])
        locked.save()
        audit("invoice.resolve", target=locked, actor=by, old={"status": _I.DISPUTED},
              new={"resolution": resolution, "freelancer_amount": str(freelancer_amount or "")})
        label = uncapitalised_lazy(Dispute.Resolution(resolution).label)
        for person in (locked.contract.client, locked.contract.freelancer):
            notify(user=person, kind=NotificationKind.DISPUTE_RESOLVED,
                   title=text_lazy(gettext_lazy("Disputed hours resolved: %(label)s"), label=label),
                   message=note[:300] or locked.shown_note,
                   data={"contract_id": locked.contract_id, "invoice_id": locked.pk},
                   email_template="dispute_resolved",
                   email_context={"contract_title": locked.contract.title, "contract_url": _url(locked.contract),
                                  "resolution": label})
    if resolution != Dispute.Resolution.REFUND:
        _charge(locked, action=action, by=by, actor=STAFF)
    locked.refresh_from_db()
    return locked


def invoice_approve(*, invoice: WeeklyInvoice, by: User) -> WeeklyInvoice:
    """The client approves the week now: their saved card is charged at once. A decline answers 402."""
    _authorized(invoice, "approve", by)
    outcome = _charge(invoice, action="approve", by=by, actor=CLIENT)
    invoice.refresh_from_db()
    if outcome is not None and not outcome.succeeded:
        raise payments.PaymentError(_("%(error)s The week is not paid; save another card and try again.")
                                    % {"error": outcome.error},
                                    code="card_declined")
    return invoice


# --- charging -----------------------------------------------------------------------------------


def _due(invoice: WeeklyInvoice, action: str, actor: str, now: datetime) -> bool:
    """Under the lock: whether `action` may charge the invoice now."""
    if not may(INVOICE_MOVES, invoice.status, action, actor):
        return False
    if action == "charge":
        return invoice.review_ends_at is not None and invoice.review_ends_at <= now and not invoice.payment_error
    if action in ("resolve_release", "resolve_split"):
        return bool(invoice.resolution) and RESOLUTION_ACTIONS.get(invoice.resolution) == action and (
            actor == STAFF or not invoice.payment_error)
    return True


def _charge(invoice: WeeklyInvoice, *, action: str, by: User | None, actor: str,
            now: datetime | None = None) -> payments.Outcome | None:
    """Charges the invoice's amount due to the client's newest saved card, off-session, if `action` is still
    allowed under the lock. Returns the outcome (None if there was nothing to do). No lock is held while
    Stripe is asked; a charge on its way already (another job, a double click) raises PaymentInProgress."""
    now = now or timezone.now()
    contract = invoice.contract
    customer = payments.customer_for(contract.client)
    card = payment_methods.default_card(contract.client_id)
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.status == _I.PAID and action == "approve":
            raise Conflict(_("This week is already paid."), code="already_paid")
        if not _due(locked, action, actor, now):
            if actor == SYSTEM:
                return None
            raise Conflict(_("A week that is %(status)s cannot be paid now.")
                           % {"status": locked.get_status_display().lower()},
                           code="invalid_transition")
        left = payments.operation_open(subject_type=SUBJECT, subject_id=locked.pk)
        if left is not None:
            operation = payments.operation_take_over(left)
        else:
            if card is None:
                _charge_failed(locked, gettext_lazy("There is no saved card to charge."))
                return None
            locked.charge_attempts += 1
            locked.payment_error = ""
            locked.save(update_fields=["charge_attempts", "payment_error", "updated_at"])
            due = to_minor(locked.amount_due)
            operation = payment_methods.off_session_charge_begin(
                payer=contract.client, customer_id=customer, card=card, amount_minor=due, currency=locked.currency,
                idempotency_key=f"hourly-invoice-{locked.pk}-{locked.charge_attempts}",
                metadata={"purpose": CHARGE, "invoice_id": str(locked.pk), "contract_id": str(contract.pk),
                          PAYER_TOLD_KEY: "yes"},
                description=_in_language_of(contract.client, text_lazy(
                    gettext_lazy("Hours for the week of %(week)s (%(contract)s)"),
                    week=date_lazy(locked.week_start, "j F Y"), contract=contract.title)),
                purpose=CHARGE, subject_type=SUBJECT, subject_id=locked.pk,
                context={"action": action, "actor": actor, "by_id": by.pk if by else None},
            )
    outcome = payments.operation_run(operation)
    if not outcome.succeeded:
        asks = payment_methods.charge_awaiting_card_holder(subject_type=SUBJECT, subject_id=invoice.pk) is not None
        with transaction.atomic():
            _charge_failed(_lock(invoice), outcome.error or gettext_lazy("The card was declined."), bank_asks=asks)
    return outcome


def _in_language_of(person: User, text: "str | Promise") -> str:
    """`text` as `person` reads it: for texts stored once for one person, such as a payment's description."""
    with recipient_locale(person):
        return str(text)


def _charge_failed(invoice: WeeklyInvoice, error: "str | Promise", *, bank_asks: bool = False) -> None:
    """A locked invoice's charge did not go through: written down, the client told; it waits for a new card, or,
    when the bank wants the card holder, for the client to confirm the charge on the week's page."""
    invoice.payment_error = str(error)[:500]
    invoice.save(update_fields=["payment_error", "updated_at"])
    if bank_asks:
        message = text_lazy(gettext_lazy("%(error)s Confirm the payment with your bank on the week's page."),
                            error=error)
    else:
        message = text_lazy(gettext_lazy("%(error)s Save another card on your billing page and the week is charged "
                                         "again."), error=error)
    _tell(invoice.contract.client, NotificationKind.PAYMENT_FAILED,
          text_lazy(gettext_lazy("We could not charge your card for the week of %(week)s"),
                    week=date_lazy(invoice.week_start, "d F")),
          invoice, message=message)


# --- the client confirms a charge their bank asked about (3-D Secure) -----------------------------


def _waiting_for_bank(invoice: WeeklyInvoice) -> bool:
    """Under the lock: whether the week waits for a charge its client is to confirm with their bank."""
    if not invoice.payment_error:
        return False
    if invoice.status == _I.IN_REVIEW:
        return True
    return invoice.status == _I.DISPUTED and RESOLUTION_ACTIONS.get(invoice.resolution) in (
        "resolve_release", "resolve_split")


def bank_confirmation_waiting(invoice: WeeklyInvoice) -> bool:
    """Whether the week's last charge waits for its client to confirm it with their bank (for the pages)."""
    return _waiting_for_bank(invoice) and payment_methods.charge_awaiting_card_holder(
        subject_type=SUBJECT, subject_id=invoice.pk) is not None


def invoice_confirm_begin(*, invoice: WeeklyInvoice, by: User) -> Any:
    """The client confirms, present, the week's charge their bank refused while they were away: the same
    PaymentIntent of the same payment operation is confirmed on-session (so the week can never be charged twice).
    Returns the PaymentIntent: `requires_action` while the bank's check is to be done, then
    `invoice_confirm_finish`. Refused (409) when the week waits for no such confirmation."""
    _authorized(invoice, "approve", by)
    with transaction.atomic():
        locked = _lock(invoice)
        operation = payment_methods.charge_awaiting_card_holder(subject_type=SUBJECT, subject_id=locked.pk)
        if operation is None or not _waiting_for_bank(locked):
            raise Conflict(_("This week has no payment waiting for your bank."), code="invalid_transition")
        payment_methods.charge_hold_for_card_holder(operation)
    intent = payment_methods.charge_confirm_on_session(operation)
    if intent.status == "succeeded":  # the bank did not ask this time
        invoice_confirm_finish(invoice=locked, by=by)
    return intent


def invoice_confirm_test_bank(*, invoice: WeeklyInvoice, by: User) -> WeeklyInvoice:
    """The emulator's stand-in of the bank's 3-D Secure page, then `invoice_confirm_finish`."""
    _authorized(invoice, "approve", by)
    operation = payment_methods.charge_awaiting_card_holder(subject_type=SUBJECT, subject_id=invoice.pk)
    if operation is not None:
        payment_methods.charge_authenticate_test(operation)
    return invoice_confirm_finish(invoice=invoice, by=by)


def invoice_confirm_finish(*, invoice: WeeklyInvoice, by: User) -> WeeklyInvoice:
    """After the bank's check: the week is booked as paid if the PaymentIntent succeeded (the booking of an
    off-session success, once); if the bank did not confirm, the week waits as before."""
    _authorized(invoice, "approve", by)
    operation = payment_methods.charge_awaiting_card_holder(subject_type=SUBJECT, subject_id=invoice.pk)
    if operation is None:
        invoice.refresh_from_db()
        if invoice.status == _I.PAID:
            return invoice
        raise Conflict(_("This week has no payment waiting for your bank."), code="invalid_transition")
    intent = payment_methods.charge_confirmed_book(operation)
    invoice.refresh_from_db()
    if invoice.status != _I.PAID:
        raise payments.PaymentError(_("Your bank did not confirm the payment. The week is not paid; confirm it "
                                      "again or save another card."), code="card_declined")
    logger.info("Week %s paid after its client confirmed %s", invoice.pk, intent.id)
    return invoice


def invoices_charge_due(now: datetime | None = None) -> dict[str, int]:
    """The job after the reviews end: charges every invoice whose review is over (and every dispute decided to
    be paid whose earlier charge failed, once a new card is saved). Each is decided again under its lock."""
    now = now or timezone.now()
    counts = {"charged": 0, "failed": 0, "skipped": 0}
    reviewed = WeeklyInvoice.objects.filter(status=_I.IN_REVIEW, review_ends_at__lte=now, payment_error="")
    resolved = WeeklyInvoice.objects.filter(status=_I.DISPUTED, payment_error="").exclude(resolution="")
    for invoice in (reviewed | resolved).select_related("contract", "contract__client").order_by("pk"):
        action = "charge" if invoice.status == _I.IN_REVIEW else RESOLUTION_ACTIONS[invoice.resolution]
        try:
            outcome = _charge(invoice, action=action, by=None, actor=SYSTEM, now=now)
        except (PaymentInProgress, PaymentProviderUnavailable):
            counts["skipped"] += 1  # another worker is charging it, or Stripe is away: reconciliation finishes
            continue
        if outcome is None:
            counts["skipped"] += 1
        else:
            counts["charged" if outcome.succeeded else "failed"] += 1
    return counts


@receiver(payment_signals.payment_operation_booked, dispatch_uid="contracts.hourly_charge_booked")
def _on_charge_booked(sender: Any, operation: Any, stripe_object: Any, **kwargs: Any) -> None:
    """The client's card was charged for an invoice: book it and pay the freelancer, in the booking's
    transaction, under the invoice's lock."""
    if operation.subject_type != SUBJECT:
        return
    invoice = WeeklyInvoice.objects.select_for_update().select_related(
        "contract", "contract__client", "contract__freelancer").get(pk=int(operation.subject_id))
    if invoice.status == _I.PAID:
        return
    if stripe_object.status != "succeeded":
        invoice.payment_intent_id = stripe_object.id
        _charge_failed(invoice, gettext_lazy("Your bank asks you to confirm this payment."))
        return
    contract = invoice.contract
    context = operation.context
    by = User.objects.filter(pk=context.get("by_id")).first() if context.get("by_id") else None
    week_of = date_lazy(invoice.week_start, "j F Y")
    # A payment's titles are stored in its owner's language: only they see its receipt and statement lines.
    title = text_lazy(gettext_lazy("Week of %(start)s"), start=week_of)
    description = text_lazy(gettext_lazy("Hours for the week of %(week)s"), week=week_of)
    payment, _created = payments.funding_record(
        payer=contract.client, payment_intent_id=stripe_object.id, amount_minor=stripe_object.amount,
        currency=stripe_object.currency, contract_id=contract.pk, milestone_id=None,
        description=_in_language_of(contract.client, description), contract_title=contract.title,
        milestone_title=_in_language_of(contract.client, title))
    release = payments.release_record(
        payee=contract.freelancer, gross_minor=stripe_object.amount, currency=stripe_object.currency,
        contract_id=contract.pk, milestone_id=None,
        reference=f"release:invoice:{invoice.pk}", description=_in_language_of(contract.freelancer, description),
        fee_percent=invoice.fee_percent, contract_title=contract.title,
        milestone_title=_in_language_of(contract.freelancer, title))
    apply(invoice, context.get("action", "charge"), table=INVOICE_MOVES, actor=context.get("actor", SYSTEM),
          history=WeeklyInvoiceStatusChange, by=by)
    invoice.payment_intent_id = stripe_object.id
    invoice.charged_amount = Decimal(stripe_object.amount) / 100
    invoice.payment_error = ""
    invoice.paid_at = timezone.now()
    invoice.save()
    net = Money(release.amount, release.currency)
    notify(user=contract.freelancer, kind=NotificationKind.PAYMENT_RECEIVED,
           title=text_lazy(gettext_lazy("You earned %(amount)s for the week of %(week)s"), amount=net, week=week_of),
           data={"payment_id": release.pk, "contract_id": contract.pk, "invoice_id": invoice.pk},
           email_template="payment_received",
           email_context={"amount": net, "contract_title": contract.title,
                          "receipt_url": f"{settings.FRONTEND_URL}/payments/{release.pk}/receipt/"})
    paid = Money(payment.amount, payment.currency)
    notify(user=contract.client, kind=NotificationKind.PAYMENT_RECEIVED,
           title=text_lazy(gettext_lazy("You paid %(amount)s for the week of %(week)s"), amount=paid, week=week_of),
           data={"payment_id": payment.pk, "contract_id": contract.pk, "invoice_id": invoice.pk},
           email_template="payment_sent",
           email_context={"amount": paid, "contract_title": contract.title,
                          "receipt_url": f"{settings.FRONTEND_URL}/payments/{payment.pk}/receipt/"})


@receiver(payment_signals.payment_method_saved, dispatch_uid="contracts.hourly_card_saved")
def _on_card_saved(sender: Any, user_id: int, **kwargs: Any) -> None:
    """A client saved a card: their weeks waiting after a failed charge are tried again."""
    waiting = WeeklyInvoice.objects.filter(contract__client_id=user_id, status__in=[_I.IN_REVIEW, _I.DISPUTED]
                                           ).exclude(payment_error="")
    for invoice in waiting.order_by("pk"):
        with transaction.atomic():
            locked = _lock(invoice)
            if not locked.payment_error:
                continue
            locked.payment_error = ""
            locked.save(update_fields=["payment_error", "updated_at"])
        action = "charge" if locked.status == _I.IN_REVIEW else RESOLUTION_ACTIONS.get(locked.resolution, "")
        if not action:
            continue
        try:
            _charge(locked, action=action, by=None, actor=SYSTEM)
        except Exception:  # the job tries again on its next run
            logger.exception("Could not charge week %s again after a new card", locked.pk)

def invoice_for_week(contract: Contract, week_start: date) -> WeeklyInvoice | None:
    return WeeklyInvoice.objects.filter(contract=contract, week_start=week_start).first()



def dashboard_summary(user: User) -> dict[str, Any]:
    """Hours and money on the user's hourly contracts, for their dashboard: this week's logged time, what
    weeks await review, and what was paid (the client's spend, or the freelancer's gross), per currency."""
    contracts = Contract.objects.filter(contract_type="hourly").filter(
        models.Q(client=user) | models.Q(freelancer=user))
    if not contracts.exists():
        return {}
    week = week_start_of(today_utc())
    minutes = TimeEntry.objects.filter(contract__in=contracts, date__gte=week).aggregate(t=Sum("minutes"))["t"] or 0
    paid = (WeeklyInvoice.objects.filter(contract__in=contracts, status=_I.PAID).order_by().values("currency")
            .annotate(total=Sum("charged_amount")))
    in_review = WeeklyInvoice.objects.filter(contract__in=contracts, status=_I.IN_REVIEW).count()
    return {"contracts": contracts.count(), "week_minutes": minutes,
            "week_hours": f"{minutes // 60} h {minutes % 60:02d} min", "in_review": in_review,
            "paid": [money_text(to_minor(row["total"]), row["currency"]) for row in paid]}
