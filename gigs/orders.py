"""Orders of services: placed and paid into escrow, delivered, revised, accepted (released less the fee),
cancelled (refunded), disputed and resolved by staff, and completed automatically when a delivery is left
unanswered.

Each step locks the order row, checks the move against ORDER_MOVES, records it in the order's history and
its timeline (`OrderEvent`), and moves the money through the escrow steps milestones use
(`contracts.holdings`): the same ledger movements, the same payment operations written down under the lock
and asked of Stripe outside any transaction, the same idempotency keys derived from our ids. Two clicks, two
tabs or twenty simultaneous requests move money once; the reconciler finishes what a crash left.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from contracts import holdings
from contracts.escrow import DISPUTE_MOVES
from core.audit import audit
from core.exceptions import ApplicationError, Conflict
from core.locale import date_lazy, text_lazy, uncapitalised_lazy
from core.money import Money, money_text, to_minor
from core.status import CLIENT, FREELANCER, PREVIOUS, STAFF, SYSTEM, Move, apply, authorize, may, moves
from core.uploads import file_check
from messaging.models import NotificationKind
from messaging.notifications import notify
from payments import services as payments
from payments import signals as payment_signals

from .models import (
    Order,
    OrderDelivery,
    OrderDeliveryFile,
    OrderDispute,
    OrderDisputeStatusChange,
    OrderEvent,
    OrderStatus,
    OrderStatusChange,
    Service,
    ServiceStatus,
)

_O = OrderStatus
# Every move an order may make, by whom. Cancelling before delivery takes both parties (the first asks, the
# status stays; the second agrees and the buyer is refunded), or the buyer alone once the order is late.
ORDER_MOVES: dict[tuple[str, str], Move] = moves(
    (_O.PENDING_PAYMENT, "pay", _O.IN_PROGRESS, (CLIENT,)),  # paid now, or Stripe tells us later
    (_O.PENDING_PAYMENT, "cancel", _O.CANCELLED, (CLIENT,)),  # never paid: nothing to refund
    ((_O.IN_PROGRESS, _O.REVISION_REQUESTED), "deliver", _O.DELIVERED, (FREELANCER,)),
    (_O.DELIVERED, "request_revision", _O.REVISION_REQUESTED, (CLIENT,)),
    (_O.DELIVERED, "accept", _O.COMPLETED, (CLIENT,)),
    (_O.DELIVERED, "auto_complete", _O.COMPLETED, (SYSTEM,)),
    (_O.IN_PROGRESS, "request_cancel", _O.IN_PROGRESS, (CLIENT, FREELANCER)),
    (_O.IN_PROGRESS, "cancel", _O.CANCELLED, (CLIENT, FREELANCER)),
    ((_O.IN_PROGRESS, _O.DELIVERED, _O.REVISION_REQUESTED), "open_dispute", _O.DISPUTED, (CLIENT, FREELANCER)),
    (_O.DISPUTED, "resolve_release", _O.COMPLETED, (STAFF,)),
    (_O.DISPUTED, "resolve_refund", _O.CANCELLED, (STAFF,)),
    (_O.DISPUTED, "resolve_split", _O.COMPLETED, (STAFF,)),
    (_O.DISPUTED, "withdraw_dispute", PREVIOUS, (CLIENT, FREELANCER)),
)
RESOLUTION_ACTIONS: dict[str, str] = {OrderDispute.Resolution.RELEASE: "resolve_release",
                      OrderDispute.Resolution.REFUND: "resolve_refund",
                      OrderDispute.Resolution.SPLIT: "resolve_split"}

SUBJECT = "order"
FUNDING = "order_funding"
REFUND = "order_refund"
DISPUTE_REFUND = "order_dispute_refund"
DISPUTE_SPLIT = "order_dispute_split"
MONEY_IN_FLIGHT = (FUNDING, REFUND, DISPUTE_REFUND, DISPUTE_SPLIT)


# --- small pieces -------------------------------------------------------------------------------


def _not_found() -> ApplicationError:
    return ApplicationError(_("Not found."), code="not_found", status_code=404)


def role_of(order: Order, user: User | None) -> str:
    """The part the user plays in the order: client (the buyer), freelancer (the seller), staff, or "" for
    anyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    if user.pk == order.buyer_id:
        return CLIENT
    if user.pk == order.seller_id:
        return FREELANCER
    return STAFF if user.is_staff else ""


def _allowed(order: Order, action: str, by: User | None) -> str:
    """Who may ask for `action` at all (404 outside the order, 403 for the other party); returns the role."""
    actor = role_of(order, by)
    authorize(ORDER_MOVES, action, actor, party=order.is_party(by))
    return actor


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("buyer", "seller").get(pk=order.pk)


def _move(order: Order, action: str, by: User | None, note: str = "", *, actor: str = "", back_to: str = "") -> None:
    apply(order, action, table=ORDER_MOVES, actor=actor or role_of(order, by), history=OrderStatusChange, by=by,
          back_to=back_to, note=note[:2000])


def _check(order: Order, action: str, actor: str) -> None:
    """Under the lock: whether `action` is allowed now (409 if not), for a move made once money has moved."""
    if not may(ORDER_MOVES, order.status, action, actor):
        raise Conflict(_("An order that is %(status)s does not allow this.")
                       % {"status": order.get_status_display().lower()}, code="invalid_transition")


def _event(order: Order, kind: str, by: User | None, text: str = "", delivery: OrderDelivery | None = None) -> None:
    OrderEvent.objects.create(order=order, kind=kind, actor=by, text=text[:10000], delivery=delivery)


def _payment_text(order: Order) -> Promise:
    """The order's payments' description; `holdings` writes it in the language of the member whose payment it is."""
    return text_lazy(gettext_lazy("Order #%(number)s: %(title)s"), number=order.pk, title=order.title)


def _refund_text(order: Order, *, share: bool = False) -> Promise:
    template = (gettext_lazy("Refund of the buyer's share of order #%(number)s: %(title)s") if share
                else gettext_lazy("Refund for order #%(number)s: %(title)s"))
    return text_lazy(template, number=order.pk, title=order.title)


def _no_money_in_flight(order: Order) -> None:
    holdings.no_money_in_flight(SUBJECT, order.pk, MONEY_IN_FLIGHT)


def _holding(order: Order) -> holdings.Holding:
    """The order's escrow, as the shared money steps work on it."""
    percent = order.fee_percent if order.fee_percent is not None else Decimal(str(settings.PLATFORM_FEE_PERCENT))
    return holdings.Holding(
        subject_type=SUBJECT, subject_id=order.pk, payer=order.buyer, payee=order.seller,
        amount_minor=to_minor(order.total), currency=order.currency, title=order.title, fee_percent=percent,
        payment_intent_id=order.payment_intent_id, links={"order_id": order.pk, "order_title": order.title})


def order_url(order: Order) -> str:
    return f"{settings.FRONTEND_URL}/orders/{order.pk}/"


def _tell(user: User, kind: str, title: "str | Promise", order: Order, message: "str | Promise" = "") -> None:
    """Tells one party about a step of the order, in the app and by e-mail (by their preferences)."""
    notify(user=user, kind=kind, title=title, message=message, data={"order_id": order.pk},
           email_template="order_update",
           email_context={"order_title": order.title, "order_url": order_url(order),
                          "amount": Money.of(order.total, order.currency)})


def _other(order: Order, by: User) -> User:
    return order.seller if by.pk == order.buyer_id else order.buyer


def due_at_for(order: Order, start: datetime) -> datetime:
    return start + timedelta(days=order.delivery_days)


# --- placing and paying -------------------------------------------------------------------------


@dataclass(frozen=True)
class PayResult:
    """How an attempt to pay for an order ended: `status` "succeeded" once paid, else Stripe's status of the
    PaymentIntent (e.g. "requires_action" for 3-D Secure) with the `client_secret` Stripe.js confirms it with."""

    order: Order
    status: str
    client_secret: str | None
    payment_intent_id: str

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def order_create(*, buyer: User, service: Service, tier: str, extra_ids: list[int], requirements: str) -> Order:
    """Writes the order down, waiting for payment: the package and extras copied as they are now."""
    if not getattr(buyer, "is_authenticated", False) or buyer.user_type != "client":
        raise ApplicationError(_("Only clients can order services."), code="permission_denied", status_code=403)
    if service.status != ServiceStatus.ACTIVE:
        raise _not_found()
    if service.seller_id == buyer.pk:
        raise ApplicationError(_("You cannot order your own service."), code="permission_denied", status_code=403)
    package = service.packages.filter(tier=tier).first()
    if package is None:
        raise ApplicationError(_("Invalid input: this service has no such package."), code="validation_error",
                               errors={"tier": [_("Choose one of the service's packages.")]})
    wanted = set(extra_ids)
    extras = list(service.extras.filter(pk__in=wanted).order_by("pk"))
    if len(extras) != len(wanted):
        raise ApplicationError(_("Invalid input: an extra is not offered with this service."),
                               code="validation_error", errors={"extras": [_("Choose among the service's extras.")]})
    requirements = requirements.strip()
    if service.requirements.strip() and not requirements:
        raise ApplicationError(_("Invalid input: answer the seller's questions."), code="validation_error",
                               errors={"requirements": [_("Answer the seller's questions.")]})
    total = package.price + sum((extra.price for extra in extras), Decimal("0"))
    with transaction.atomic():
        order = Order.objects.create(
            service=service, buyer=buyer, seller_id=service.seller_id, tier=package.tier,
            service_title=service.title, package_title=package.title, package_description=package.description,
            package_price=package.price, package_delivery_days=package.delivery_days,
            revisions_allowed=package.revisions, total=total, currency=service.currency,
            extras=[{"id": extra.pk, "title": extra.title, "price": f"{extra.price:.2f}",
                     "delivery_days": extra.delivery_days} for extra in extras],
            delivery_days=package.delivery_days + sum(extra.delivery_days for extra in extras),
            requirements_questions=service.requirements, requirements=requirements,
        )
        OrderStatusChange.objects.create(order=order, from_status="", to_status=_O.PENDING_PAYMENT, changed_by=buyer)
        _event(order, OrderEvent.Kind.PLACED, buyer,
               f"{order.package_title} · {money_text(to_minor(total), order.currency)}")
        if requirements:
            _event(order, OrderEvent.Kind.REQUIREMENTS, buyer, requirements)
    return order


def order_place(*, buyer: User, service: Service, tier: str, extra_ids: list[int], requirements: str,
                payment_method: str | None) -> PayResult:
    """A client orders a package (and extras) and pays into escrow. A declined card raises PaymentError (402):
    the order stays waiting for payment, and may be paid from its page."""
    order = order_create(buyer=buyer, service=service, tier=tier, extra_ids=extra_ids, requirements=requirements)
    return order_pay(order=order, by=buyer, payment_method=payment_method)


def _paid(order: Order) -> PayResult:
    return PayResult(order=order, status="succeeded", client_secret=None, payment_intent_id=order.payment_intent_id)


def order_pay(*, order: Order, by: User, payment_method: str | None) -> PayResult:
    """Charges the buyer into escrow, as a milestone is funded: written down under the order's lock, asked
    of Stripe outside any transaction, booked in a transaction of its own. Without a payment method the
    answer carries the PaymentIntent's client secret for Stripe Elements."""
    _allowed(order, "pay", by)
    stored = Order.objects.filter(pk=order.pk).values_list("payment_intent_id", flat=True).first() or ""
    intent = holdings.last_intent(stored)
    customer = payments.customer_for(by) if intent is None or intent.status not in ("succeeded", "processing") else ""
    with transaction.atomic():
        locked = _lock(order)
        if locked.status != _O.PENDING_PAYMENT:
            raise Conflict(_("This order is already paid."), code="already_funded")
        left = payments.operation_open(subject_type=SUBJECT, subject_id=locked.pk, purposes=MONEY_IN_FLIGHT)
        if left is not None:
            operation = payments.operation_take_over(left)
        elif intent is not None and intent.status == "succeeded":
            _funding_succeeded(locked, intent)
            return _paid(locked)
        elif intent is not None and intent.status == "processing":
            return PayResult(order=locked, status="processing", client_secret=None, payment_intent_id=intent.id)
        elif intent is not None and intent.status in holdings.AWAITING_THE_PAYER and not payment_method:
            return PayResult(order=locked, status=intent.status, client_secret=intent.client_secret,
                             payment_intent_id=intent.id)
        else:
            locked.funding_attempts += 1
            locked.save(update_fields=["funding_attempts", "updated_at"])
            operation = holdings.charge_begin(
                _holding(locked), by=by, customer_id=customer, payment_method=payment_method,
                attempt=locked.funding_attempts, purpose=FUNDING,
                description=_payment_text(locked))
    try:
        intent = holdings.charge_run(operation, what="order")
    finally:
        locked.refresh_from_db()
    if locked.status != _O.PENDING_PAYMENT:
        return _paid(locked)
    return PayResult(order=locked, status=intent.status, client_secret=intent.client_secret,
                     payment_intent_id=intent.id)


def _funding_succeeded(order: Order, intent: Any) -> None:
    """Records a succeeded PaymentIntent for a locked order, once: the order starts and its due date runs.
    A payment for an order no longer waiting for one (paid already, or cancelled) goes back to the card."""
    payment = holdings.funding_record(_holding(order), intent, pending=order.status == _O.PENDING_PAYMENT,
                                      description=_payment_text(order))
    if payment is None:
        return
    now = timezone.now()
    _move(order, "pay", order.buyer, actor=CLIENT)
    order.payment_intent_id = intent.id
    order.paid_at = now
    order.due_at = due_at_for(order, now)
    order.fee_percent = Decimal(str(settings.PLATFORM_FEE_PERCENT))  # fixed now, taken at acceptance
    order.save(update_fields=["status", "payment_intent_id", "paid_at", "due_at", "fee_percent", "updated_at"])
    _event(order, OrderEvent.Kind.PAID, order.buyer, money_text(payment.amount, payment.currency))
    _tell(order.seller, NotificationKind.MILESTONE_FUNDED,
          text_lazy(gettext_lazy("New order: %(title)s"), title=order.title), order,
          message=text_lazy(gettext_lazy("Due %(date)s. Read the buyer's requirements and start the work."),
                            date=date_lazy(order.due_at, "d F Y, H:i T")))
    paid = Money(payment.amount, payment.currency)
    notify(user=order.buyer, kind=NotificationKind.PAYMENT_RECEIVED,
           title=text_lazy(gettext_lazy("You paid %(amount)s into escrow"), amount=paid),
           data={"payment_id": payment.pk, "order_id": order.pk}, email_template="payment_sent",
           email_context={"amount": paid,
                          "receipt_url": f"{settings.FRONTEND_URL}/payments/{payment.pk}/receipt/"})


class _Orders:
    """Orders as a kind of escrow holder: what they do when Stripe has done something for one."""

    subject_type = SUBJECT

    def funding_succeeded(self, subject_id: int, payment_intent: Any) -> None:
        order = Order.objects.select_for_update().select_related("buyer", "seller").filter(pk=subject_id).first()
        if order is not None:
            _funding_succeeded(order, payment_intent)

    def operation_booked(self, operation: Any, stripe_object: Any) -> None:
        order = Order.objects.select_for_update().select_related("buyer", "seller").filter(
            pk=int(operation.subject_id)).first()
        if order is None:
            return
        if operation.purpose == FUNDING:
            if stripe_object.status == "succeeded":
                _funding_succeeded(order, stripe_object)
            elif order.status == _O.PENDING_PAYMENT:
                order.payment_intent_id = stripe_object.id  # the attempt the payer is to finish
                order.save(update_fields=["payment_intent_id", "updated_at"])
            return
        decision = operation.context
        by = User.objects.filter(pk=decision.get("by_id")).first() if decision.get("by_id") else None
        if operation.purpose == REFUND:
            _refunded(order, by, operation.amount, decision.get("note", ""), action="cancel",
                      actor=decision.get("actor", ""))
            return
        dispute = OrderDispute.objects.select_for_update().get(pk=decision["dispute_id"])
        action = RESOLUTION_ACTIONS[decision["resolution"]]
        if operation.purpose == DISPUTE_REFUND:
            _refunded(order, by, operation.amount, decision.get("note") or "dispute resolved: refunded",
                      action=action, actor=STAFF)
        else:
            order.refunded_minor = operation.amount
            _release(order, by, int(decision["freelancer_minor"]), decision.get("note") or "dispute resolved: split",
                     action=action, actor=STAFF)
        amount = Decimal(decision["freelancer_amount"]) if decision.get("freelancer_amount") else None
        _dispute_close(dispute, order, by, decision["resolution"], amount, decision.get("note", ""))


holdings.register(_Orders())


# --- the work -----------------------------------------------------------------------------------


def order_deliver(*, order: Order, by: User, note: str, files: list[UploadedFile]) -> Order:
    """The seller delivers; the buyer's review window (and the automatic completion) starts."""
    _allowed(order, "deliver", by)
    for upload in files:
        file_check(upload, field="files")
    if not note.strip() and not files:
        raise ApplicationError(_("Invalid input: say what you deliver, or attach files."), code="validation_error",
                               errors={"note": [_("Say what you deliver, or attach files.")]})
    with transaction.atomic():
        locked = _lock(order)
        _move(locked, "deliver", by, note)
        locked.delivered_at = timezone.now()
        locked.auto_complete_at = locked.delivered_at + timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS)
        locked.cancel_requested_by = None
        locked.save(update_fields=["status", "delivered_at", "auto_complete_at", "cancel_requested_by",
                                   "updated_at"])
        delivery = OrderDelivery.objects.create(order=locked, note=note.strip())
        for upload in files:
            kind = file_check(upload, field="files")
            stored = OrderDeliveryFile(delivery=delivery, original_name=(upload.name or "file")[:255],
                                       content_type=kind.content_type, size=upload.size or 0)
            stored.file.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
            stored.save()
        _event(locked, OrderEvent.Kind.DELIVERED, by, note.strip(), delivery=delivery)
        _tell(locked.buyer, NotificationKind.MILESTONE_SUBMITTED,
              text_lazy(gettext_lazy("%(name)s delivered your order “%(title)s”"), name=by.get_full_name(),
                        title=locked.title),
              locked, message=text_lazy(gettext_lazy("Accept it or ask for a revision within %(days)s days; after that "
                                                     "it is accepted for you."),
                                        days=settings.ORDER_AUTO_COMPLETE_DAYS))
    return locked


def order_request_revision(*, order: Order, by: User, reason: str) -> Order:
    """The buyer sends a delivery back, at most as many times as the package allows."""
    _allowed(order, "request_revision", by)
    if not reason.strip():
        raise ApplicationError(_("Invalid input: say what to change."), code="validation_error",
                               errors={"reason": [_("Say what to change.")]})
    with transaction.atomic():
        locked = _lock(order)
        _check(locked, "request_revision", CLIENT)
        if locked.revisions_used >= locked.revisions_allowed:
            raise Conflict(_("The package includes %(n)s revisions, and all are used: accept the delivery or open "
                             "a dispute.") % {"n": locked.revisions_allowed}, code="no_revisions_left")
        _move(locked, "request_revision", by, reason)
        locked.revisions_used += 1
        locked.auto_complete_at = None
        locked.save(update_fields=["status", "revisions_used", "auto_complete_at", "updated_at"])
        _event(locked, OrderEvent.Kind.REVISION, by, reason.strip())
        _tell(locked.seller, NotificationKind.MILESTONE_CHANGES,
              text_lazy(gettext_lazy("Revision requested on “%(title)s”"), title=locked.title), locked,
              message=reason[:500])
    return locked


def order_accept(*, order: Order, by: User) -> Order:
    """The buyer accepts the delivery: escrow is released to the seller less the fee fixed at payment."""
    _allowed(order, "accept", by)
    with transaction.atomic():
        locked = _lock(order)
        if locked.status == _O.COMPLETED:
            raise Conflict(_("This order is already accepted and paid."), code="already_released")
        _check(locked, "accept", CLIENT)
        _no_money_in_flight(locked)
        _release(locked, by, to_minor(locked.total), action="accept")
        _event(locked, OrderEvent.Kind.ACCEPTED, by)
    return locked


def order_auto_complete(*, order: Order, now: datetime) -> bool:
    """Accepts a delivery the buyer left alone until its `auto_complete_at`, decided again under the lock (a
    revision asked, a dispute opened since the job chose it leave it alone). Returns whether it completed."""
    with transaction.atomic():
        locked = _lock(order)
        due = (locked.status == _O.DELIVERED and locked.auto_complete_at is not None
               and locked.auto_complete_at <= now)
        if not due or payments.operation_open(subject_type=SUBJECT, subject_id=locked.pk,
                                              purposes=MONEY_IN_FLIGHT) is not None:
            return False
        _release(locked, None, to_minor(locked.total), "automatic acceptance", action="auto_complete",
                 actor=SYSTEM)
        _event(locked, OrderEvent.Kind.AUTO_COMPLETED, None)
    return True


def auto_complete_due(now: datetime | None = None) -> dict[str, int]:
    """Completes deliveries left unanswered for ORDER_AUTO_COMPLETE_DAYS (the Celery beat task)."""
    now = now or timezone.now()
    completed = 0
    due = Order.objects.filter(status=_O.DELIVERED, auto_complete_at__lte=now).order_by("pk")
    for order in due:
        if order_auto_complete(order=order, now=now):
            completed += 1
    return {"completed": completed}


def _release(order: Order, by: User | None, gross_minor: int, note: str = "", *, action: str,
             actor: str = "") -> None:
    """Moves a locked order by `action` and releases `gross_minor` of its escrow, less the fee, to the seller."""
    _move(order, action, by, note, actor=actor)
    order.completed_at = timezone.now()
    order.auto_complete_at = None
    order.released_minor = gross_minor
    order.save(update_fields=["status", "completed_at", "auto_complete_at", "released_minor", "refunded_minor",
                              "updated_at"])
    Service.objects.filter(pk=order.service_id).update(orders_completed=F("orders_completed") + 1)
    release = holdings.release(_holding(order), gross_minor, description=_payment_text(order))
    net = Money(release.amount, release.currency)
    notify(user=order.seller, kind=NotificationKind.PAYMENT_RECEIVED,
           title=text_lazy(gettext_lazy("You earned %(amount)s for order “%(title)s”"), amount=net, title=order.title),
           data={"payment_id": release.pk, "order_id": order.pk}, email_template="payment_received",
           email_context={"amount": net,
                          "receipt_url": f"{settings.FRONTEND_URL}/payments/{release.pk}/receipt/"})
    _tell(order.buyer, NotificationKind.MILESTONE_APPROVED,
          text_lazy(gettext_lazy("Order “%(title)s” is completed and the seller paid"), title=order.title), order)


# --- cancelling ---------------------------------------------------------------------------------


def _late(order: Order) -> bool:
    return order.due_at is not None and timezone.now() > order.due_at


def order_cancel(*, order: Order, by: User, reason: str = "") -> Order:
    """Cancels an order. Not paid yet: the buyer cancels at once. In progress: by agreement (the first party
    asks, the second agrees) or by the buyer alone once it is late; the buyer is refunded in full."""
    actor = _allowed(order, "cancel", by)
    with transaction.atomic():
        locked = _lock(order)
        if locked.status == _O.PENDING_PAYMENT:
            _no_money_in_flight(locked)
            _move(locked, "cancel", by, reason or "cancelled before payment")
            locked.cancelled_at = timezone.now()
            locked.save(update_fields=["status", "cancelled_at", "updated_at"])
            _event(locked, OrderEvent.Kind.CANCELLED, by, reason)
            return locked
        _check(locked, "cancel", actor)
        _no_money_in_flight(locked)
        agreed = locked.cancel_requested_by_id is not None and locked.cancel_requested_by_id != by.pk
        if not agreed and not (actor == CLIENT and _late(locked)):
            if locked.cancel_requested_by_id == by.pk:
                raise Conflict(_("You already asked to cancel: the other party has to agree."),
                               code="cancel_already_requested")
            _move(locked, "request_cancel", by, reason or "cancellation requested")
            locked.cancel_requested_by = by
            locked.save(update_fields=["status", "cancel_requested_by", "updated_at"])
            _event(locked, OrderEvent.Kind.CANCEL_REQUESTED, by, reason)
            _tell(_other(locked, by), NotificationKind.MILESTONE_CHANGES,
                  text_lazy(gettext_lazy("%(name)s asks to cancel order “%(title)s”"), name=by.get_full_name(),
                            title=locked.title),
                  locked, message=gettext_lazy("Agree by cancelling it from the order page; the buyer is refunded in "
                                               "full."))
            return locked
        operation = holdings.refund_begin(
            _holding(locked), to_minor(locked.total), purpose=REFUND,
            description=_refund_text(locked),
            decision={"by_id": by.pk, "note": reason or ("cancelled by agreement" if agreed else "cancelled: late"),
                      "actor": actor})
    holdings.refund_run(operation)
    locked.refresh_from_db()
    return locked


def _refunded(order: Order, by: User | None, amount_minor: int, note: str, *, action: str, actor: str) -> None:
    """A locked order's refund is booked: it is cancelled and the buyer told."""
    _move(order, action, by, note, actor=actor)
    order.cancelled_at = timezone.now()
    order.auto_complete_at = None
    order.refunded_minor = amount_minor
    order.save(update_fields=["status", "cancelled_at", "auto_complete_at", "refunded_minor", "updated_at"])
    _event(order, OrderEvent.Kind.CANCELLED, by, note)
    _event(order, OrderEvent.Kind.REFUNDED, None, money_text(amount_minor, order.currency))
    for person in (order.buyer, order.seller):
        _tell(person, NotificationKind.PAYMENT_RECEIVED,
              text_lazy(gettext_lazy("Order “%(title)s” is cancelled: %(amount)s refunded to the buyer"),
                        title=order.title, amount=Money(amount_minor, order.currency)), order)


# --- disputes -----------------------------------------------------------------------------------


def order_dispute_open(*, order: Order, by: User, reason: str) -> OrderDispute:
    """Either party disputes a paid order that is not finished: it then accepts nothing but staff's resolution
    or the opener's withdrawal."""
    _allowed(order, "open_dispute", by)
    if not reason.strip():
        raise ApplicationError(_("Invalid input: say what went wrong."), code="validation_error",
                               errors={"reason": [_("Say what went wrong.")]})
    with transaction.atomic():
        locked = _lock(order)
        _check(locked, "open_dispute", role_of(locked, by))
        _no_money_in_flight(locked)
        before = locked.status
        _move(locked, "open_dispute", by, reason)
        locked.auto_complete_at = None
        locked.status_before_dispute = before
        locked.save(update_fields=["status", "auto_complete_at", "status_before_dispute", "updated_at"])
        dispute = OrderDispute.objects.create(order=locked, opened_by=by, reason=reason.strip(),
                                              order_status_before=before)
        OrderDisputeStatusChange.objects.create(orderdispute=dispute, from_status="",
                                                to_status=OrderDispute.Status.OPEN, changed_by=by)
        _event(locked, OrderEvent.Kind.DISPUTED, by, reason.strip())
        for person in (locked.buyer, locked.seller):
            notify(user=person, kind=NotificationKind.DISPUTE_OPENED,
                   title=text_lazy(gettext_lazy("Dispute opened on order “%(title)s”"), title=locked.title),
                   message=reason[:300],
                   data={"order_id": locked.pk, "order_dispute_id": dispute.pk}, email_template="order_update",
                   email_context={"order_title": locked.title, "order_url": order_url(locked)})
    return dispute


def order_dispute_resolve(*, dispute: OrderDispute, by: User, resolution: str,
                          freelancer_amount: Decimal | None = None, note: str = "") -> OrderDispute:
    """Staff decide: release to the seller, refund the buyer, or split the order's total."""
    if not by.is_staff:
        raise _not_found()
    if resolution not in RESOLUTION_ACTIONS:
        raise ApplicationError(_("Invalid input: choose release, refund or split."), code="validation_error",
                               errors={"resolution": [_("Choose release, refund or split.")]})
    with transaction.atomic():
        dispute = OrderDispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.status != OrderDispute.Status.OPEN:
            raise Conflict(_("This dispute is already %(status)s.")
                           % {"status": dispute.get_status_display().lower()}, code="already_resolved")
        order = _lock(dispute.order)
        _no_money_in_flight(order)
        total = to_minor(order.total)
        action = RESOLUTION_ACTIONS[resolution]
        if not may(DISPUTE_MOVES, dispute.status, "resolve", STAFF):
            raise Conflict(_("This dispute cannot be resolved now."), code="invalid_transition")
        _check(order, action, STAFF)
        decision = {"by_id": by.pk, "note": note, "resolution": resolution, "dispute_id": dispute.pk}
        if resolution == OrderDispute.Resolution.RELEASE:
            _release(order, by, total, note or "dispute resolved: released", action=action, actor=STAFF)
            _dispute_close(dispute, order, by, resolution, None, note)
            return dispute
        if resolution == OrderDispute.Resolution.REFUND:
            operation = holdings.refund_begin(_holding(order), total, purpose=DISPUTE_REFUND,
                                              description=_refund_text(order),
                                              decision=decision)
        else:
            part = holdings.split_part(total, freelancer_amount)
            operation = holdings.refund_begin(
                _holding(order), total - part, purpose=DISPUTE_SPLIT,
                description=_refund_text(order, share=True),
                decision={**decision, "freelancer_minor": part, "freelancer_amount": str(freelancer_amount)})
    holdings.refund_run(operation)
    dispute.refresh_from_db()
    return dispute


def _dispute_close(dispute: OrderDispute, order: Order, by: User | None, resolution: str,
                   freelancer_amount: Decimal | None, note: str) -> None:
    apply(dispute, "resolve", table=DISPUTE_MOVES, actor=STAFF, history=OrderDisputeStatusChange, by=by)
    dispute.resolution = resolution
    dispute.freelancer_amount = freelancer_amount if resolution == OrderDispute.Resolution.SPLIT else None
    dispute.resolution_note = note
    dispute.resolved_by = by
    dispute.resolved_at = timezone.now()
    dispute.save()
    audit("order_dispute.resolve", target=dispute, actor=by, old={"status": "open"},
          new={"resolution": resolution, "freelancer_amount": str(freelancer_amount or "")})
    # The timeline keeps staff's own words only: the decision itself is shown from the dispute, in each reader's
    # language (a label stored now would be in the staff member's).
    _event(order, OrderEvent.Kind.DISPUTE_RESOLVED, by, note.strip())
    how = uncapitalised_lazy(OrderDispute.Resolution(resolution).label)
    for person in (order.buyer, order.seller):
        notify(user=person, kind=NotificationKind.DISPUTE_RESOLVED,
               title=text_lazy(gettext_lazy("Dispute on order “%(title)s” resolved: %(how)s"), title=order.title,
                               how=how),
               message=note[:300] or dispute.shown_note, data={"order_id": order.pk, "order_dispute_id": dispute.pk},
               email_template="order_update",
               email_context={"order_title": order.title, "order_url": order_url(order)})


def order_dispute_withdraw(*, dispute: OrderDispute, by: User) -> OrderDispute:
    """The opener takes the dispute back: the order returns to where it was (a delivery gets a new window)."""
    order = dispute.order
    if not order.is_party(by):
        raise _not_found()
    if by.pk != dispute.opened_by_id:
        raise ApplicationError(_("Only the person who opened the dispute can withdraw it."),
                               code="permission_denied", status_code=403)
    actor = role_of(order, by)
    with transaction.atomic():
        dispute = OrderDispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.status != OrderDispute.Status.OPEN:
            raise Conflict(_("This dispute is already %(status)s.")
                           % {"status": dispute.get_status_display().lower()}, code="already_resolved")
        locked = _lock(order)
        _no_money_in_flight(locked)
        apply(dispute, "withdraw", table=DISPUTE_MOVES, actor=actor, history=OrderDisputeStatusChange, by=by)
        dispute.save(update_fields=["status"])
        _move(locked, "withdraw_dispute", by, "dispute withdrawn", actor=actor, back_to=dispute.order_status_before)
        fields = ["status", "updated_at"]
        if locked.status == _O.DELIVERED:
            locked.auto_complete_at = timezone.now() + timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS)
            fields.append("auto_complete_at")
        locked.save(update_fields=fields)
        _event(locked, OrderEvent.Kind.DISPUTE_WITHDRAWN, by)
        _tell(_other(locked, by), NotificationKind.DISPUTE_RESOLVED,
              text_lazy(gettext_lazy("%(name)s withdrew the dispute on order “%(title)s”"), name=by.get_full_name(),
                        title=locked.title), locked)
    return dispute


# --- talking ------------------------------------------------------------------------------------


def order_message_add(*, order: Order, by: User, text: str) -> OrderEvent:
    """A message on the order's timeline from either party; the other is told."""
    if not order.is_party(by):
        raise _not_found()
    text = text.strip()
    if not text:
        raise ApplicationError(_("Invalid input: write a message."), code="validation_error",
                               errors={"text": [_("Write a message.")]})
    with transaction.atomic():
        event = OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.MESSAGE, actor=by, text=text[:5000])
        notify(user=_other(order, by), kind=NotificationKind.MESSAGE_RECEIVED,
               title=text_lazy(gettext_lazy("%(name)s wrote on order “%(title)s”"), name=by.get_full_name(),
                               title=order.title),
               message=text[:300], data={"order_id": order.pk})
    return event


# --- what card holders do -------------------------------------------------------------------------


def _on_chargeback(sender: Any, payment_intent_id: str, dispute_id: str, status: str, metadata: dict[str, Any],
                   **kwargs: Any) -> None:
    """A chargeback on the payment of an order: the order shows it to staff (open, won, lost). The money itself is
    booked by payments; staff settle the order."""
    order_id = str(metadata.get("order_id") or "")
    if metadata.get("purpose") != FUNDING or not order_id.isdigit():
        return
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=int(order_id)).first()
        if order is None or order.chargeback == status:
            return
        before = order.chargeback
        if before in ("won", "lost") and status == "open":
            return  # a late "created" event after the decision
        order.chargeback = status
        order.save(update_fields=["chargeback", "updated_at"])
        audit("order.chargeback", target=order, old={"chargeback": before},
              new={"chargeback": status, "dispute_id": dispute_id, "payment_intent_id": payment_intent_id})


payment_signals.chargeback_changed.connect(_on_chargeback, dispatch_uid="gigs.order_chargeback")
