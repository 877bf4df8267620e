"""Milestones and the money in them: fund, submit, approve (release), request changes, refund, dispute.

Each step locks the milestone row, checks the move against MILESTONE_MOVES, records it, and
moves money through payments' services, whose ledger references and Stripe idempotency keys are derived
from the milestone's id: two clicks, two tabs or a retried request never charge, release or refund twice.
A step that needs Stripe (funding, a refund, a dispute's refund or split) checks its move under the lock,
writes the payment operation down, asks Stripe outside any transaction, and makes the move when the
operation is booked.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.audit import audit
from core.exceptions import ApplicationError, Conflict
from core.locale import text_lazy, uncapitalised_lazy
from core.money import Money, to_minor
from core.status import CLIENT, FREELANCER, PREVIOUS, STAFF, SYSTEM, Move, apply, authorize, may, moves, only, refused
from core.uploads import file_check
from messaging.models import NotificationKind
from messaging.notifications import notify
from payments import services as payments
from payments.models import Payment

from . import holdings
from .models import (
    Contract,
    ContractStatus,
    Dispute,
    DisputeStatusChange,
    Milestone,
    MilestoneStatus,
    MilestoneStatusChange,
    Submission,
    SubmissionFile,
)
from .services import contract_act, role_of

logger = logging.getLogger(__name__)

_M = MilestoneStatus
# Every move a milestone may make, by whom. A disputed milestone accepts only staff's resolution and the
# opener's withdrawal (back to the status it had before the dispute).
MILESTONE_MOVES: dict[tuple[str, str], Move] = moves(
    (_M.PENDING, "fund", _M.FUNDED, (CLIENT,)),  # the client pays now, or Stripe tells us later
    (_M.FUNDED, "submit", _M.SUBMITTED, (FREELANCER,)),
    (_M.SUBMITTED, "request_changes", _M.FUNDED, (CLIENT,)),
    (_M.SUBMITTED, "approve", _M.RELEASED, (CLIENT,)),
    (_M.SUBMITTED, "auto_release", _M.RELEASED, (SYSTEM,)),
    # The client asks for a refund (the milestone stays where it is); the freelancer or staff give it back.
    (_M.FUNDED, "request_refund", _M.FUNDED, (CLIENT,)),
    (_M.SUBMITTED, "request_refund", _M.SUBMITTED, (CLIENT,)),
    ((_M.FUNDED, _M.SUBMITTED), "refund", _M.REFUNDED, (FREELANCER, STAFF)),
    ((_M.FUNDED, _M.SUBMITTED), "open_dispute", _M.DISPUTED, (CLIENT, FREELANCER)),
    (_M.DISPUTED, "resolve_release", _M.RELEASED, (STAFF,)),
    (_M.DISPUTED, "resolve_refund", _M.REFUNDED, (STAFF,)),
    (_M.DISPUTED, "resolve_split", _M.RELEASED, (STAFF,)),
    (_M.DISPUTED, "withdraw_dispute", PREVIOUS, (CLIENT, FREELANCER)),
)

_D = Dispute.Status
DISPUTE_MOVES: dict[tuple[str, str], Move] = moves(
    (_D.OPEN, "resolve", _D.RESOLVED, (STAFF,)),
    (_D.OPEN, "withdraw", _D.WITHDRAWN, (CLIENT, FREELANCER)),  # the one who opened it
    # While it is open both parties answer and add evidence, and staff add notes; the status stays.
    (_D.OPEN, "answer", _D.OPEN, (CLIENT, FREELANCER, STAFF)),
)
# The milestone action each resolution takes.
RESOLUTION_ACTIONS: dict[str, str] = {Dispute.Resolution.RELEASE: "resolve_release",
                                      Dispute.Resolution.REFUND: "resolve_refund",
                                      Dispute.Resolution.SPLIT: "resolve_split"}
REMINDER_DAYS_BEFORE = 5


def _not_found() -> ApplicationError:
    return ApplicationError(gettext("Not found."), code="not_found", status_code=404)


def _lock(milestone: Milestone) -> Milestone:
    return Milestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)


def _only(role: str) -> ApplicationError:
    return only({role})


def _allowed(milestone: Milestone, action: str, by: User | None) -> str:
    """Who may ask for `action` on this milestone at all (404 outside the contract, 403 for the other party);
    returns the caller's role. The status is checked under the lock, by `_move`."""
    contract = milestone.contract
    actor = role_of(contract, by)
    authorize(MILESTONE_MOVES, action, actor, party=contract.is_party(by))
    return actor


def _move(milestone: Milestone, action: str, by: User | None, note: str = "", *, actor: str = "",
          back_to: str = "") -> None:
    """Takes `action` on a locked milestone, checked against MILESTONE_MOVES and recorded (409 if not allowed)."""
    apply(milestone, action, table=MILESTONE_MOVES, actor=actor or role_of(milestone.contract, by),
          history=MilestoneStatusChange, by=by, back_to=back_to, note=note[:2000])


def _check(obj: Milestone | Dispute, action: str, actor: str,
           table: dict[tuple[str, str], Move] = MILESTONE_MOVES) -> None:
    """Under the lock: whether `action` is allowed now (409 if not), for a move made once money has moved."""
    if not may(table, obj.status, action, actor):
        raise refused(obj)


def _holding(milestone: Milestone) -> holdings.Holding:
    """The milestone's escrow, as the shared money steps work on it."""
    contract = milestone.contract
    return holdings.Holding(
        subject_type=SUBJECT, subject_id=milestone.pk, payer=contract.client, payee=contract.freelancer,
        amount_minor=to_minor(milestone.amount), currency=milestone.currency, title=milestone.title,
        fee_percent=milestone.fee_percent_applied, payment_intent_id=milestone.payment_intent_id,
        links={"contract_id": contract.pk, "milestone_id": milestone.pk, "contract_title": contract.title,
               "milestone_title": milestone.title})


def _url(contract: Contract) -> str:
    return f"{settings.FRONTEND_URL}/contracts/{contract.pk}/"


def _tell(user: User, kind: str, title: "str | Promise", milestone: Milestone, template: str,
          message: "str | Promise" = "") -> None:
    contract = milestone.contract
    notify(user=user, kind=kind, title=title, message=message,
           data={"contract_id": contract.pk, "milestone_id": milestone.pk}, email_template=template,
           email_context={"milestone_title": milestone.title, "contract_title": contract.title,
                          "contract_url": _url(contract), "amount": Money.of(milestone.amount, milestone.currency)})


# --- creating milestones ------------------------------------------------------------------------


def milestone_create(*, contract: Contract, by: User, data: dict[str, Any]) -> Milestone:
    if not contract.is_party(by):
        raise _not_found()
    if by.pk != contract.client_id:
        raise _only("client")
    if contract.status != ContractStatus.ACTIVE:
        raise Conflict(gettext("Milestones can be added while the contract is active."), code="contract_not_active")
    currency = data.get("currency") or contract.currency
    if currency != contract.currency:
        code = contract.currency.upper()
        raise ApplicationError(gettext("Invalid input: this contract is in %(currency)s.") % {"currency": code},
                               code="validation_error",
                               errors={"currency": [gettext("Use %(currency)s.") % {"currency": code}]})
    with transaction.atomic():
        position = contract.milestones.count()
        milestone = Milestone.objects.create(
            contract=contract, title=data["title"].strip(), description=(data.get("description") or "").strip(),
            amount=data["amount"], currency=currency, due_date=data.get("due_date"), position=position,
        )
        MilestoneStatusChange.objects.create(milestone=milestone, from_status="", to_status=MilestoneStatus.PENDING,
                                             changed_by=by)
    return milestone


# --- funding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundResult:
    """How an attempt to fund a milestone ended, as the API and the pages both tell it.

    `status` is "succeeded" once the milestone is funded, else Stripe's status of the PaymentIntent
    ("requires_action" for 3-D Secure, "processing", "requires_payment_method", "requires_confirmation").
    `client_secret` is what Stripe.js confirms the PaymentIntent with; None once funded.
    """

    milestone: Milestone
    status: str
    client_secret: str | None
    payment_intent_id: str

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


# What a payment operation is for, as payments hands it back; money for a milestone moves one at a time.
SUBJECT = "milestone"
FUNDING = "escrow_funding"
REFUND = "milestone_refund"
DISPUTE_REFUND = "dispute_refund"
DISPUTE_SPLIT = "dispute_split"
DUPLICATE_REFUND = holdings.DUPLICATE_REFUND
MONEY_IN_FLIGHT = (FUNDING, REFUND, DISPUTE_REFUND, DISPUTE_SPLIT)
AWAITING_THE_PAYER = holdings.AWAITING_THE_PAYER


def _no_money_in_flight(milestone: Milestone) -> None:
    """Under the milestone's lock: refuses (409) while a charge or refund of it is on its way to Stripe."""
    holdings.no_money_in_flight(SUBJECT, milestone.pk, MONEY_IN_FLIGHT)


def _funded(milestone: Milestone) -> FundResult:
    return FundResult(milestone=milestone, status="succeeded", client_secret=None,
                      payment_intent_id=milestone.payment_intent_id)


def _last_attempt(milestone: Milestone) -> Any:
    """The PaymentIntent of the milestone's last funding attempt, as Stripe has it now (asked outside locks)."""
    intent_id = Milestone.objects.filter(pk=milestone.pk).values_list("payment_intent_id", flat=True).first()
    return holdings.last_intent(intent_id or "")


def milestone_fund(*, milestone: Milestone, by: User, payment_method: str | None) -> FundResult:
    """Charges the client into escrow. With a payment method the card is charged now; without one the
    answer carries the PaymentIntent's client secret for Stripe Elements, and the webhook finishes it.
    A declined card raises PaymentError (402) and leaves the milestone unfunded.

    The charge is written down under the milestone's lock, asked of Stripe outside any transaction, and
    booked in a transaction of its own. A Stripe that does not answer raises PaymentProviderUnavailable (503)
    and changes nothing visible; the next attempt, or reconciliation, asks again with the same key. The last
    attempt is reused while it may still succeed: a processing PaymentIntent is waited for, one awaiting the
    payer is handed back, and a canceled one is replaced.
    """
    contract = milestone.contract
    _allowed(milestone, "fund", by)
    intent = _last_attempt(milestone)
    customer = payments.customer_for(by) if intent is None or intent.status not in ("succeeded", "processing") else ""
    with transaction.atomic():
        locked = _lock(milestone)
        if locked.status != MilestoneStatus.PENDING:
            raise Conflict(gettext("This milestone is already funded."), code="already_funded")
        if locked.contract.status != ContractStatus.ACTIVE:
            raise Conflict(gettext("Milestones can be funded while the contract is active."),
                           code="contract_not_active")
        left = payments.operation_open(subject_type=SUBJECT, subject_id=locked.pk, purposes=MONEY_IN_FLIGHT)
        if left is not None:
            # An attempt Stripe did not answer (or a process that died): asked again with its own key.
            operation = payments.operation_take_over(left)
        elif intent is not None and intent.status == "succeeded":
            _funding_succeeded(locked, intent)
            return _funded(locked)
        elif intent is not None and intent.status == "processing":
            return FundResult(milestone=locked, status="processing", client_secret=None, payment_intent_id=intent.id)
        elif intent is not None and intent.status in AWAITING_THE_PAYER and not payment_method:
            return FundResult(milestone=locked, status=intent.status, client_secret=intent.client_secret,
                              payment_intent_id=intent.id)
        else:
            locked.funding_attempts += 1
            locked.save(update_fields=["funding_attempts", "updated_at"])
            operation = holdings.charge_begin(
                _holding(locked), by=by, customer_id=customer, payment_method=payment_method,
                attempt=locked.funding_attempts, purpose=FUNDING,
                description=text_lazy(_("Escrow for “%(milestone)s” (%(contract)s)"),
                                      milestone=locked.title, contract=contract.title))
    try:
        intent = holdings.charge_run(operation, what="milestone")
    finally:
        locked.refresh_from_db()
    if locked.status == MilestoneStatus.FUNDED:
        return _funded(locked)
    return FundResult(milestone=locked, status=intent.status, client_secret=intent.client_secret,
                      payment_intent_id=intent.id)


def _funding_succeeded(milestone: Milestone, intent: Any) -> None:
    """Records a succeeded PaymentIntent for a locked milestone, once. The first PaymentIntent to succeed
    funds a pending milestone, whichever attempt it was; one succeeding after that is given back."""
    contract = milestone.contract
    payment = holdings.funding_record(_holding(milestone), intent, pending=milestone.status == MilestoneStatus.PENDING,
                                      description=text_lazy(_("Escrow for “%(milestone)s”"), milestone=milestone.title))
    if payment is None:
        return
    _move(milestone, "fund", contract.client, actor=CLIENT)
    milestone.payment_intent_id = intent.id
    milestone.funded_at = timezone.now()
    milestone.fee_percent = Decimal(str(settings.PLATFORM_FEE_PERCENT))  # fixed now, taken at release
    milestone.save(update_fields=["status", "payment_intent_id", "funded_at", "fee_percent", "updated_at"])
    _tell(contract.freelancer, NotificationKind.MILESTONE_FUNDED, format_lazy(_("“{title}” is funded: start work"),
                                                                        title=milestone.title),
          milestone, "milestone_funded")
    notify(user=contract.client, kind=NotificationKind.PAYMENT_RECEIVED,
           title=format_lazy(_("You paid {amount} into escrow"), amount=Money(payment.amount, payment.currency)),
           data={"payment_id": payment.pk, "contract_id": contract.pk}, email_template="payment_sent",
           email_context={"amount": Money(payment.amount, payment.currency), "contract_title": contract.title,
                          "receipt_url": f"{settings.FRONTEND_URL}/payments/{payment.pk}/receipt/"})


class _Milestones:
    """Milestones as a kind of escrow holder: what they do when Stripe has done something for one."""

    subject_type = SUBJECT

    def funding_succeeded(self, subject_id: int, payment_intent: Any) -> None:
        milestone = Milestone.objects.select_for_update().select_related(
            "contract", "contract__client", "contract__freelancer").filter(pk=subject_id).first()
        if milestone is not None:
            _funding_succeeded(milestone, payment_intent)

    def operation_booked(self, operation: Any, stripe_object: Any) -> None:
        _on_operation_booked(operation, stripe_object)


holdings.register(_Milestones())


def _on_operation_booked(operation: Any, stripe_object: Any) -> None:
    """Stripe did what a milestone's operation asked: move the milestone, in the booking's transaction."""
    milestone = Milestone.objects.select_for_update().select_related(
        "contract", "contract__client", "contract__freelancer").filter(pk=int(operation.subject_id)).first()
    if milestone is None:
        logger.error("Payment operation %s is for a milestone that does not exist", operation.idempotency_key)
        return
    if operation.purpose == FUNDING:
        if stripe_object.status == "succeeded":
            _funding_succeeded(milestone, stripe_object)
        elif milestone.status == MilestoneStatus.PENDING:
            milestone.payment_intent_id = stripe_object.id  # the attempt the payer is to finish
            milestone.save(update_fields=["payment_intent_id", "updated_at"])
        return
    decision = operation.context
    by = User.objects.filter(pk=decision.get("by_id")).first() if decision.get("by_id") else None
    if operation.purpose == REFUND:
        before = milestone.status
        _refunded(milestone, by, operation.amount, decision.get("note", ""), action=decision.get("action", "refund"),
                  actor=decision.get("actor", ""))
        audit("milestone.refund", target=milestone, actor=by, old={"status": before},
              new={"status": milestone.status})
        return
    dispute = Dispute.objects.select_for_update().select_related("contract").get(pk=decision["dispute_id"])
    action = RESOLUTION_ACTIONS[decision["resolution"]]
    if operation.purpose == DISPUTE_REFUND:
        _refunded(milestone, by, operation.amount, decision.get("note") or "dispute resolved: refunded",
                  action=action, actor=STAFF)
    else:
        _release(milestone, by, int(decision["freelancer_minor"]), decision.get("note") or "dispute resolved: split",
                 action=action, actor=STAFF)
    freelancer_amount = Decimal(decision["freelancer_amount"]) if decision.get("freelancer_amount") else None
    _dispute_close(dispute, by, decision["resolution"], freelancer_amount, decision.get("note", ""))


# --- the work -----------------------------------------------------------------------------------


def milestone_submit(*, milestone: Milestone, by: User, note: str, files: list[UploadedFile]) -> Milestone:
    """The freelancer delivers funded work; the client's review window (and its automatic approval) starts."""
    contract = milestone.contract
    _allowed(milestone, "submit", by)
    for upload in files:
        file_check(upload, field="files")
    with transaction.atomic():
        locked = _lock(milestone)
        _move(locked, "submit", by, note)
        locked.submitted_at = timezone.now()
        locked.auto_release_at = locked.submitted_at + timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS)
        locked.reminder_sent_at = None
        locked.save(update_fields=["status", "submitted_at", "auto_release_at", "reminder_sent_at", "updated_at"])
        submission = Submission.objects.create(milestone=locked, note=note.strip())
        for upload in files:
            kind = file_check(upload, field="files")
            stored = SubmissionFile(submission=submission, original_name=(upload.name or "file")[:255],
                                    content_type=kind.content_type, size=upload.size or 0)
            stored.file.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
            stored.save()
        _tell(contract.client, NotificationKind.MILESTONE_SUBMITTED,
              format_lazy(_("{name} submitted “{title}”"), name=by.get_full_name(), title=locked.title), locked,
              "milestone_submitted",
              message=format_lazy(_("Approve it or ask for changes within {days} days; after that it is approved "
                                    "for you."), days=settings.ESCROW_AUTO_RELEASE_DAYS))
    return locked


def milestone_request_changes(*, milestone: Milestone, by: User, note: str) -> Milestone:
    contract = milestone.contract
    _allowed(milestone, "request_changes", by)
    with transaction.atomic():
        locked = _lock(milestone)
        if locked.status != MilestoneStatus.SUBMITTED:
            raise Conflict(gettext("Changes can be requested on submitted work."), code="invalid_transition")
        _move(locked, "request_changes", by, note)
        locked.auto_release_at = None
        locked.save(update_fields=["status", "auto_release_at", "updated_at"])
        _tell(contract.freelancer, NotificationKind.MILESTONE_CHANGES, format_lazy(_("Changes requested on “{title}”"),
                                                                                   title=locked.title),
              locked, "milestone_changes_requested", message=note[:500])
    return locked


def milestone_approve(*, milestone: Milestone, by: User | None) -> Milestone:
    """The client approves submitted work: escrow is released to the freelancer less the milestone's fee.

    `by=None` is the automatic approval, which acts only if the work is still submitted and due."""
    if by is None:
        milestone_auto_release(milestone=milestone, now=timezone.now())
        return milestone
    _allowed(milestone, "approve", by)
    with transaction.atomic():
        locked = _lock(milestone)
        if locked.status == MilestoneStatus.RELEASED:
            raise Conflict(gettext("This milestone is already approved and paid."), code="already_released")
        if locked.status != MilestoneStatus.SUBMITTED:
            raise Conflict(gettext("A milestone that is %(status)s cannot be approved: only submitted work is.")
                           % {"status": str(locked.get_status_display()).lower()}, code="invalid_transition")
        _no_money_in_flight(locked)
        _release(locked, by, to_minor(locked.amount), action="approve")
    return locked


def milestone_auto_release(*, milestone: Milestone, now: Any) -> bool:
    """Approves work the client left alone until its `auto_release_at`. Decided under the row lock: work sent
    back, submitted again (a new window), disputed, or on a contract that is not active since the job chose it
    is left alone. Returns whether it released."""
    with transaction.atomic():
        locked = _lock(milestone)
        due = (locked.status == MilestoneStatus.SUBMITTED and locked.auto_release_at is not None
               and locked.auto_release_at <= now and locked.contract.status == ContractStatus.ACTIVE)
        if not due:
            return False
        _release(locked, None, to_minor(locked.amount), note="automatic approval", action="auto_release")
    return True


def _release(milestone: Milestone, by: User | None, gross_minor: int, note: str = "", *, action: str,
             actor: str = "") -> None:
    """Moves a locked milestone by `action` and releases `gross_minor` of its escrow, less the fee fixed at
    funding, to the freelancer."""
    contract = milestone.contract
    _move(milestone, action, by, note, actor=actor)
    milestone.released_at = timezone.now()
    milestone.auto_release_at = None
    milestone.save(update_fields=["status", "released_at", "auto_release_at", "updated_at"])
    payment_text = text_lazy(_("Payment for “%(milestone)s”"), milestone=milestone.title)
    release = holdings.release(_holding(milestone), gross_minor, description=payment_text)
    net = Money(release.amount, release.currency)
    notify(user=contract.freelancer, kind=NotificationKind.PAYMENT_RECEIVED,
           title=format_lazy(_("You earned {amount} for “{title}”"), amount=net, title=milestone.title),
           data={"payment_id": release.pk, "contract_id": contract.pk},
           email_template="payment_received",
           email_context={"amount": net, "contract_title": contract.title,
                          "receipt_url": f"{settings.FRONTEND_URL}/payments/{release.pk}/receipt/"})
    _tell(contract.client, NotificationKind.MILESTONE_APPROVED, format_lazy(_("“{title}” is approved and paid"),
                                                                          title=milestone.title),
          milestone, "milestone_approved")


# --- refunds and disputes -----------------------------------------------------------------------


def milestone_refund(*, milestone: Milestone, by: User, note: str = "") -> Milestone:
    """Returns a funded, unreleased milestone to the client's card.

    The freelancer may give it back at any time; the client asks, and it happens when the freelancer
    agrees (the freelancer's refund) or staff decide.
    """
    if role_of(milestone.contract, by) == CLIENT:
        return _refund_request(milestone, by, note)
    actor = _allowed(milestone, "refund", by)
    with transaction.atomic():
        locked = _lock(milestone)
        if locked.status == MilestoneStatus.DISPUTED:
            raise Conflict(gettext("This milestone is in dispute: staff settle it by resolving the dispute."),
                           code="in_dispute")
        if locked.status not in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED):
            raise Conflict(gettext("Only funded milestones that are not paid out can be refunded."),
                           code="invalid_transition")
        _no_money_in_flight(locked)
        _check(locked, "refund", actor)
        operation = _refund_begin(locked, to_minor(locked.amount), REFUND,
                                  {"by_id": by.pk if by else None, "note": note, "action": "refund", "actor": actor})
    _refund_run(operation)
    locked.refresh_from_db()
    return locked


def _refund_begin(milestone: Milestone, amount_minor: int, purpose: str, decision: dict[str, Any]) -> Any:
    """Writes down the refund of (part of) a locked milestone's escrow; the milestone moves once it is booked."""
    description = text_lazy(_("Refund of the client's share of “%(milestone)s”") if purpose == DISPUTE_SPLIT
                            else _("Refund for “%(milestone)s”"), milestone=milestone.title)
    return holdings.refund_begin(_holding(milestone), amount_minor, purpose=purpose, description=description,
                                 decision=decision)


_refund_run = holdings.refund_run


def _refund_request(milestone: Milestone, by: User, note: str) -> Milestone:
    """The client asks for a funded milestone's money back; the freelancer is asked to agree."""
    with transaction.atomic():
        locked = _lock(milestone)
        if locked.status not in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED):
            raise Conflict(gettext("Only funded milestones that are not paid out can be refunded."),
                           code="invalid_transition")
        if locked.refund_requested_at is None:
            _move(locked, "request_refund", by, f"refund requested: {note}", actor=CLIENT)
            locked.refund_requested_at = timezone.now()
            locked.save(update_fields=["refund_requested_at", "updated_at"])
            _tell(locked.contract.freelancer, NotificationKind.MILESTONE_CHANGES,
                  format_lazy(_("{name} asks for a refund of “{title}”"), name=by.get_full_name(), title=locked.title),
                  locked, "milestone_changes_requested",
                  message=note[:500] or _("Agree by refunding it from the contract page, or talk it over in chat."))
    return locked


def _refunded(milestone: Milestone, by: User | None, amount_minor: int, note: str = "", *, action: str,
              actor: str = "") -> None:
    """A locked milestone's refund is booked: it moves to refunded by `action` and the client is told."""
    contract = milestone.contract
    _move(milestone, action, by, note, actor=actor)
    milestone.refunded_at = timezone.now()
    milestone.auto_release_at = None
    milestone.save(update_fields=["status", "refunded_at", "auto_release_at", "updated_at"])
    refund = Payment.objects.filter(kind=Payment.Kind.REFUND, milestone_id=milestone.pk).order_by("-id").first()
    notify(user=contract.client, kind=NotificationKind.PAYMENT_RECEIVED,
           title=format_lazy(_("{amount} refunded for “{title}”"), amount=Money(amount_minor, milestone.currency),
                             title=milestone.title),
           data={"payment_id": refund.pk if refund else None, "contract_id": contract.pk})


def dispute_open(*, contract: Contract, milestone: Milestone, by: User, reason: str,
                 evidence: UploadedFile | None = None) -> Dispute:
    """Either party disputes a funded or submitted milestone: releases and auto-approval stop, and the milestone
    then accepts nothing but staff's resolution or the opener's withdrawal."""
    if milestone.contract_id != contract.pk:
        raise _not_found()
    _allowed(milestone, "open_dispute", by)
    if not reason.strip():
        raise ApplicationError(gettext("Invalid input: say what went wrong."), code="validation_error",
                               errors={"reason": ["Say what went wrong."]})
    if evidence is not None:
        file_check(evidence, field="evidence")
    with transaction.atomic():
        locked = _lock(milestone)
        if locked.status not in (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED):
            raise Conflict(gettext("Disputes are opened on funded or submitted milestones."), code="invalid_transition")
        _no_money_in_flight(locked)
        before = locked.status
        _move(locked, "open_dispute", by, reason)
        locked.auto_release_at = None
        locked.save(update_fields=["status", "auto_release_at", "updated_at"])
        dispute = Dispute(contract=contract, milestone=locked, opened_by=by, reason=reason.strip(),
                          milestone_status_before=before)
        if evidence is not None:
            dispute.evidence.save(f"dispute-{locked.pk}-{evidence.name}"[:100], evidence, save=False)
        dispute.save()
        DisputeStatusChange.objects.create(dispute=dispute, from_status="", to_status=Dispute.Status.OPEN,
                                           changed_by=by)
        contract_act(contract=contract, action="open_dispute", by=by)
        other = contract.freelancer if by.pk == contract.client_id else contract.client
        for person in (other, by):
            notify(user=person, kind=NotificationKind.DISPUTE_OPENED,
                   title=format_lazy(_("Dispute opened on “{title}”"), title=locked.title),
                   message=reason[:300], data={"contract_id": contract.pk, "dispute_id": dispute.pk},
                   email_template="dispute_opened",
                   email_context={"contract_title": contract.title, "contract_url": _url(contract),
                                  "resolution": ""})
    return dispute


def dispute_resolve(*, dispute: Dispute, by: User, resolution: str, freelancer_amount: Decimal | None = None,
                    note: str = "") -> Dispute:
    """Staff decide: release to the freelancer, refund to the client, or split the milestone's amount."""
    if not by.is_staff:
        raise _not_found()
    if resolution not in RESOLUTION_ACTIONS:
        raise ApplicationError(gettext("Invalid input: choose release, refund or split."), code="validation_error",
                               errors={"resolution": [gettext("Choose release, refund or split.")]})
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().select_related("contract").get(pk=dispute.pk)
        if dispute.status != Dispute.Status.OPEN:
            raise Conflict(gettext("This dispute is already %(status)s.")
                           % {"status": str(dispute.get_status_display()).lower()}, code="already_resolved")
        milestone = _lock(dispute.milestone)
        _no_money_in_flight(milestone)
        total = to_minor(milestone.amount)
        action = RESOLUTION_ACTIONS[resolution]
        # Both moves are checked now (409 before any money moves) and made once the money has moved.
        _check(dispute, "resolve", STAFF, table=DISPUTE_MOVES)
        _check(milestone, action, STAFF)
        decision = {"by_id": by.pk, "note": note, "resolution": resolution, "dispute_id": dispute.pk}
        if resolution == Dispute.Resolution.RELEASE:
            _release(milestone, by, total, note or "dispute resolved: released", action=action, actor=STAFF)
            _dispute_close(dispute, by, resolution, None, note)
            return dispute
        if resolution == Dispute.Resolution.REFUND:
            operation = _refund_begin(milestone, total, DISPUTE_REFUND, decision)
        else:
            part = holdings.split_part(total, freelancer_amount)
            operation = _refund_begin(milestone, total - part, DISPUTE_SPLIT, {
                **decision, "freelancer_minor": part, "freelancer_amount": str(freelancer_amount)})
    # The client's money goes back through Stripe outside the locks; the booking resolves the dispute.
    _refund_run(operation)
    dispute.refresh_from_db()
    return dispute


def _dispute_close(dispute: Dispute, by: User | None, resolution: str, freelancer_amount: Decimal | None,
                   note: str) -> None:
    """Records staff's decision on a locked dispute whose money has moved, and tells both parties."""
    apply(dispute, "resolve", table=DISPUTE_MOVES, actor=STAFF, history=DisputeStatusChange, by=by)
    dispute.resolution = resolution
    dispute.freelancer_amount = freelancer_amount if resolution == Dispute.Resolution.SPLIT else None
    dispute.resolution_note = note
    dispute.resolved_by = by
    dispute.resolved_at = timezone.now()
    dispute.save()
    audit("dispute.resolve", target=dispute, actor=by, old={"status": "open"},
          new={"resolution": resolution, "freelancer_amount": str(freelancer_amount or "")})
    contract = dispute.contract
    if not contract.disputes.filter(status=Dispute.Status.OPEN).exists():
        contract_act(contract=contract, action="close_dispute", by=by)
    how = uncapitalised_lazy(Dispute.Resolution(resolution).label)  # in each recipient's language
    for person in (contract.client, contract.freelancer):
        notify(user=person, kind=NotificationKind.DISPUTE_RESOLVED,
               title=text_lazy(_("Dispute resolved: %(how)s"), how=how),
               message=note[:300] or dispute.shown_note, data={"contract_id": contract.pk, "dispute_id": dispute.pk},
               email_template="dispute_resolved",
               email_context={"contract_title": contract.title, "contract_url": _url(contract),
                              "resolution": how})


def dispute_withdraw(*, dispute: Dispute, by: User) -> Dispute:
    """The party who opened a dispute takes it back: the milestone returns to the status it had before (submitted
    work gets a new review window), its money stays in escrow, and the contract is active again once no other
    dispute is open. 404 outside the contract, 403 for the other party, 409 once the dispute is closed."""
    contract = dispute.contract
    if not contract.is_party(by):
        raise _not_found()
    if by.pk != dispute.opened_by_id:
        raise ApplicationError(gettext("Only the person who opened the dispute can withdraw it."),
                               code="permission_denied",
                               status_code=403)
    actor = role_of(contract, by)
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().select_related("contract").get(pk=dispute.pk)
        if dispute.status != Dispute.Status.OPEN:
            raise Conflict(gettext("This dispute is already %(status)s.")
                           % {"status": str(dispute.get_status_display()).lower()}, code="already_resolved")
        milestone = _lock(dispute.milestone)
        _no_money_in_flight(milestone)
        apply(dispute, "withdraw", table=DISPUTE_MOVES, actor=actor, history=DisputeStatusChange, by=by)
        dispute.save(update_fields=["status"])
        _move(milestone, "withdraw_dispute", by, "dispute withdrawn", actor=actor,
              back_to=dispute.milestone_status_before)
        fields = ["status", "updated_at"]
        if milestone.status == MilestoneStatus.SUBMITTED:
            milestone.auto_release_at = timezone.now() + timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS)
            milestone.reminder_sent_at = None
            fields += ["auto_release_at", "reminder_sent_at"]
        milestone.save(update_fields=fields)
        audit("dispute.withdraw", target=dispute, actor=by, old={"status": "open"}, new={"status": dispute.status})
        if not contract.disputes.filter(status=Dispute.Status.OPEN).exists():
            contract_act(contract=contract, action="close_dispute", by=by)
        other = contract.freelancer if by.pk == contract.client_id else contract.client
        notify(user=other, kind=NotificationKind.DISPUTE_RESOLVED,
               title=format_lazy(_("{name} withdrew the dispute on “{title}”"), name=by.get_full_name(),
                                 title=milestone.title),
               message=format_lazy(_("The milestone is {status} again."),
                                   status=milestone.get_status_display().lower()),
               data={"contract_id": contract.pk, "dispute_id": dispute.pk})
    return dispute


# --- time ---------------------------------------------------------------------------------------


def auto_release_due(now: Any = None) -> dict[str, int]:
    """Approves submitted work the client left alone for ESCROW_AUTO_RELEASE_DAYS, and reminds them 5 days
    before. The selections only propose: each milestone is decided again under its row lock, since the client
    may have asked for changes, the freelancer submitted again or someone opened a dispute meanwhile."""
    now = now or timezone.now()
    released = reminded = 0
    due = Milestone.objects.filter(status=MilestoneStatus.SUBMITTED, auto_release_at__lte=now,
                                   contract__status=ContractStatus.ACTIVE)
    for milestone in due.select_related("contract").order_by("pk"):
        if milestone_auto_release(milestone=milestone, now=now):
            released += 1
    remind = Milestone.objects.filter(
        status=MilestoneStatus.SUBMITTED, reminder_sent_at__isnull=True, contract__status=ContractStatus.ACTIVE,
        auto_release_at__lte=now + timedelta(days=REMINDER_DAYS_BEFORE), auto_release_at__gt=now,
    ).select_related("contract", "contract__client").order_by("pk")
    for milestone in remind:
        if _remind(milestone, now):
            reminded += 1
    return {"released": released, "reminded": reminded}


def _remind(milestone: Milestone, now: Any) -> bool:
    """Tells the client their approval is near, once per submission, if it still is (checked under the lock)."""
    with transaction.atomic():
        locked = _lock(milestone)
        window_open = (locked.auto_release_at is not None
                       and now < locked.auto_release_at <= now + timedelta(days=REMINDER_DAYS_BEFORE))
        if (locked.reminder_sent_at is not None or locked.status != MilestoneStatus.SUBMITTED or not window_open
                or locked.contract.status != ContractStatus.ACTIVE):
            return False
        locked.reminder_sent_at = now
        locked.save(update_fields=["reminder_sent_at"])
        days = max(1, round((locked.auto_release_at - now).total_seconds() / 86400))
        contract = locked.contract
        notify(user=contract.client, kind=NotificationKind.MILESTONE_SUBMITTED,
               title=format_lazy(ngettext_lazy("“{title}” will be approved automatically in {days} day",
                                               "“{title}” will be approved automatically in {days} days", days),
                                 title=locked.title, days=days),
               message=_("Review the work, approve it or ask for changes before then."),
               data={"contract_id": contract.pk, "milestone_id": locked.pk},
               email_template="milestone_auto_release_reminder",
               email_context={"milestone_title": locked.title, "contract_title": contract.title,
                              "contract_url": _url(contract), "days": days,
                              "auto_release_at": locked.auto_release_at,
                              "amount": Money.of(locked.amount, locked.currency)})
    return True
