"""Escrow holdings: the money steps every thing paid into escrow shares, whatever it is.

A milestone of a contract and an order of a service both hold a client's money in escrow until the work is
accepted. What differs is the record around the money (its status machine, who is told what); the money
itself moves the same way for both, here:

- `charge_begin` writes down the card charge that funds a holding, under the holder's row lock;
- `funding_record` books a succeeded PaymentIntent once (a wrong amount, or a second payment for a holding
  already funded, goes back to the card);
- `release` books escrow to the seller less the fee fixed at funding;
- `refund_begin` / `refund_run` write down a refund under the lock and ask Stripe outside any transaction;
- `split_part` checks staff's split of a dispute.

Each kind of holder (`"milestone"`, `"order"`) registers a `HolderKind` when its app loads: payments tells
what Stripe did through its signals, and the receivers below hand it to the kind whose subject it is, in
the booking's transaction. Contracts never imports the apps above it for this: they register themselves.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.db import transaction
from django.dispatch import receiver
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from core.exceptions import ApplicationError
from core.locale import recipient_locale, text_lazy
from core.money import from_minor
from payments import services as payments
from payments import signals as payment_signals
from payments import stripe_events
from payments.models import Payment, PaymentOperation

logger = logging.getLogger(__name__)

DUPLICATE_REFUND = "duplicate_refund"
AWAITING_THE_PAYER = ("requires_payment_method", "requires_confirmation", "requires_action")


@dataclass(frozen=True)
class Holding:
    """The money a holder keeps in escrow, as the shared steps need it.

    `links` is what the payments rows, the ledger and the Stripe metadata record the money was for:
    `contract_id`, `milestone_id`, `contract_title`, `milestone_title` for a milestone; `order_id` and
    `order_title` for an order."""

    subject_type: str
    subject_id: int
    payer: User
    payee: User
    amount_minor: int
    currency: str
    title: str
    fee_percent: Decimal
    payment_intent_id: str = ""
    links: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.subject_type}:{self.subject_id}"

    def ids(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.links.items() if name.endswith("_id") and value}


class HolderKind(Protocol):
    """What a kind of holder answers when Stripe has done something for one of its holdings."""

    subject_type: str

    def funding_succeeded(self, subject_id: int, payment_intent: Any) -> None:
        """A PaymentIntent for the holding succeeded (webhook, reconciliation): lock the holder and record it."""

    def operation_booked(self, operation: PaymentOperation, stripe_object: Any) -> None:
        """Stripe did the holding's operation: move the holder, in the booking's transaction."""


_KINDS: dict[str, HolderKind] = {}


def register(kind: HolderKind) -> None:
    _KINDS[kind.subject_type] = kind


def in_language_of(person: User, text: "str | Promise") -> str:
    """`text` (a lazy translation, or a plain string kept as it is) as `person` reads it. A payment's description
    is stored once, for the one member whose payments list, receipt and statement show it."""
    with recipient_locale(person):
        return str(text)


# --- funding ------------------------------------------------------------------------------------


def charge_begin(holding: Holding, *, by: User, customer_id: str, payment_method: str | None, attempt: int,
                 purpose: str, description: "str | Promise") -> PaymentOperation:
    """Writes down the card charge that funds a holding, in the caller's transaction under its row lock.
    The key changes with each attempt (a declined card is followed by a new one)."""
    return payments.charge_begin(
        payer=by, customer_id=customer_id, amount_minor=holding.amount_minor, currency=holding.currency,
        payment_method=payment_method, idempotency_key=f"fund-{holding.subject_type}-{holding.subject_id}-{attempt}",
        metadata={"purpose": purpose, **holding.ids()}, description=in_language_of(by, description), purpose=purpose,
        subject_type=holding.subject_type, subject_id=holding.subject_id,
    )


def charge_run(operation: PaymentOperation, *, what: str) -> Any:
    """Asks Stripe for a written-down charge outside any transaction and books it. A declined card raises
    PaymentError (402); returns the PaymentIntent otherwise (it may still await the payer)."""
    outcome = payments.operation_run(operation)
    if outcome.declined:
        message = (gettext("%(error)s The order is not funded.") if what == "order"
                   else gettext("%(error)s The milestone is not funded."))
        raise payments.PaymentError(message % {"error": outcome.error}, code="card_declined")
    if not outcome.succeeded:
        raise payments.PaymentError(outcome.error or gettext("The payment details are not valid."),
                                    code="invalid_payment")
    return outcome.stripe_object


def last_intent(payment_intent_id: str) -> Any:
    """A holding's last PaymentIntent as Stripe has it now (asked outside locks), or None."""
    return payments.payment_intent_fetch(payment_intent_id) if payment_intent_id else None


def funding_record(holding: Holding, intent: Any, *, pending: bool,
                   description: "str | Promise") -> Payment | None:
    """Books a succeeded PaymentIntent for a locked holder, once. Returns the new funding payment when the
    holder is to move to funded now; None when it was booked before, did not match (returned in full once
    the lock is let go, staff told), or came for a holding no longer `pending` (given straight back)."""
    if intent.amount != holding.amount_minor or intent.currency != holding.currency:
        logger.error("PaymentIntent %s does not match %s", intent.id, holding.key)
        expected, currency, intent_id = holding.amount_minor, holding.currency, intent.id
        transaction.on_commit(lambda: stripe_events.unexpected_payment_return(
            payment_intent_id=intent_id, expected_minor=expected, expected_currency=currency))
        return None
    payment, created = payments.funding_record(
        payer=holding.payer, payment_intent_id=intent.id, amount_minor=intent.amount, currency=intent.currency,
        description=in_language_of(holding.payer, description), **holding.links)
    if not created:
        return None
    if not pending:
        # A second PaymentIntent succeeded for a holding already funded (an abandoned 3-D Secure attempt
        # finished late): give that money straight back, through Stripe once this transaction has committed.
        operation = payments.refund_begin(
            payer=holding.payer, payment_intent_id=intent.id, amount_minor=intent.amount, currency=intent.currency,
            reference=f"refund:duplicate:{intent.id}",
            description=in_language_of(holding.payer, text_lazy(
                gettext_lazy("Duplicate payment for “%(title)s” returned"), title=holding.title)),
            purpose=DUPLICATE_REFUND, subject_type=holding.subject_type, subject_id=holding.subject_id,
            **holding.links)
        transaction.on_commit(lambda: payments.operation_settle_later(operation.pk))
        return None
    return payment


# --- release and refund -------------------------------------------------------------------------


def release(holding: Holding, gross_minor: int, *, description: "str | Promise") -> Payment:
    """Escrow to the seller, less the fee fixed at funding; once per holding (its ledger reference)."""
    return payments.release_record(
        payee=holding.payee, gross_minor=gross_minor, currency=holding.currency, fee_percent=holding.fee_percent,
        reference=f"release:{holding.key}", description=in_language_of(holding.payee, description),
        **holding.links)


def refund_begin(holding: Holding, amount_minor: int, *, purpose: str, description: "str | Promise",
                 decision: dict[str, Any]) -> PaymentOperation:
    """Writes down the refund of (part of) a locked holder's escrow; the holder moves once it is booked."""
    return payments.refund_begin(
        payer=holding.payer, payment_intent_id=holding.payment_intent_id, amount_minor=amount_minor,
        currency=holding.currency, reference=f"refund:{holding.key}",
        description=in_language_of(holding.payer, description), purpose=purpose,
        subject_type=holding.subject_type, subject_id=holding.subject_id, decision=decision, **holding.links)


def refund_run(operation: PaymentOperation) -> None:
    """Asks Stripe for a written-down refund, outside any transaction, and books it (moving the holder)."""
    outcome = payments.operation_run(operation)
    if not outcome.succeeded:
        raise payments.PaymentError(gettext("The refund was refused: %(error)s Nothing changed.")
                                    % {"error": outcome.error},
                                    code="refund_failed")


def no_money_in_flight(holding_type: str, subject_id: int, purposes: tuple[str, ...]) -> None:
    """Under the holder's lock: refuses (409) while a charge or refund of it is on its way to Stripe."""
    payments.operation_guard(subject_type=holding_type, subject_id=subject_id, purposes=purposes)


def split_part(total_minor: int, freelancer_amount: Decimal | None) -> int:
    """Staff's split of a disputed holding: the seller's part in minor units, strictly between 0 and all."""
    from core.money import to_minor

    part = to_minor(freelancer_amount) if freelancer_amount is not None else -1
    if not 0 < part < total_minor:
        raise ApplicationError(
            gettext("Invalid input: the freelancer's part must be between 0 and %(total)s.")
            % {"total": from_minor(total_minor)},
            code="validation_error", errors={"freelancer_amount": [gettext("Between 0 and the amount in escrow.")]})
    return part


# --- what Stripe did, handed to the kind of holder it is for -------------------------------------


def _subject_of(metadata: dict[str, Any]) -> tuple[str, int] | None:
    subject = str(metadata.get("subject") or "")
    kind, _, pk = subject.partition(":")
    if kind in _KINDS and pk.isdigit():
        return kind, int(pk)
    # PaymentIntents written down before the subject was part of the metadata name their milestone.
    if str(metadata.get("milestone_id", "")).isdigit() and "milestone" in _KINDS:
        return "milestone", int(metadata["milestone_id"])
    return None


@receiver(payment_signals.payment_intent_succeeded, dispatch_uid="contracts.holdings_funding")
def _on_payment_intent_succeeded(sender: Any, payment_intent: Any, **kwargs: Any) -> None:
    """A webhook (or reconciliation) says a PaymentIntent succeeded: its holder records it, once."""
    metadata = payment_intent.get("metadata") or {}
    subject = _subject_of(metadata)
    if subject is None or not str(metadata.get("purpose", "")).endswith("funding"):
        return
    kind, pk = subject
    with transaction.atomic():
        _KINDS[kind].funding_succeeded(pk, payment_intent)


@receiver(payment_signals.payment_operation_booked, dispatch_uid="contracts.holdings_operation_booked")
def _on_operation_booked(sender: Any, operation: PaymentOperation, stripe_object: Any, **kwargs: Any) -> None:
    """Stripe did what a holding's operation asked: its holder moves, in the booking's transaction."""
    kind = _KINDS.get(operation.subject_type)
    if kind is None or operation.purpose == DUPLICATE_REFUND:
        return
    kind.operation_booked(operation, stripe_object)
