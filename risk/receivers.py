"""The fraud checks listen to what accounts, messaging and payments report, and answer payments' question
before each payout (`payments/holds.py`). None of those apps knows this one."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from accounts.signals import user_registered
from messaging.signals import violation_recorded
from payments import holds
from payments import signals as payment_signals
from payments.models import Payment, PaymentOperation, StripeCustomer

from . import services
from .models import RiskSignal

logger = logging.getLogger(__name__)
NEIGHBOURS = 50


def _safely(work: Callable[[], None]) -> None:
    """A fraud check must never break what the member was doing: its failure is logged, not raised."""
    try:
        work()
    except Exception:
        logger.exception("A fraud check failed")


def _after_commit(work: Callable[[], None]) -> None:
    transaction.on_commit(lambda: _safely(work))


def _on_registered(sender: Any, user: User, **kwargs: Any) -> None:
    def work() -> None:
        signup = services.signal_record(kind=RiskSignal.Kind.SIGNUP, user=user)
        services.account_assess(user=user)
        # The accounts that signed up from the same address or device are looked at again with this one.
        window = timedelta(hours=settings.RISK_WINDOW_HOURS)
        same = Q(ip_address=signup.ip_address) if signup.ip_address else Q(pk__in=[])
        if signup.device_id:
            same |= Q(device_id=signup.device_id)
        neighbours = (RiskSignal.objects.filter(same, kind=RiskSignal.Kind.SIGNUP,
                                                created_at__gte=signup.created_at - window)
                      .exclude(user=user).select_related("user").order_by("-created_at")[:NEIGHBOURS])
        for other in {signal.user for signal in neighbours}:
            services.account_assess(user=other)

    _after_commit(work)


def _on_violation(sender: Any, violation: Any, **kwargs: Any) -> None:
    user = violation.user

    def work() -> None:
        services.account_assess(user=user)

    _after_commit(work)


def _payer_of_intent(intent: Any) -> User | None:
    customer = intent.get("customer")
    customer_id = customer if isinstance(customer, str) else (customer or {}).get("id", "")
    link = StripeCustomer.objects.filter(stripe_customer_id=customer_id).select_related("user").first() \
        if customer_id else None
    return link.user if link is not None else None


def _card_declined(*, payer: User, intent_id: str, payment_method: Any, amount: int | None, currency: str) -> None:
    method_id = payment_method if isinstance(payment_method, str) else (payment_method or {}).get("id", "")
    reference = f"{intent_id}:{method_id}"
    if RiskSignal.objects.filter(kind=RiskSignal.Kind.CARD_DECLINED, stripe_reference=reference).exists():
        return
    services.signal_record(kind=RiskSignal.Kind.CARD_DECLINED, user=payer, card=services.card_details(method_id),
                           amount=amount, currency=currency, stripe_reference=reference)
    services.account_assess(user=payer)


def _card_used(*, payer: User, intent: Any) -> None:
    """A card paid: written down once per PaymentIntent, then the payer and the payment assessed."""
    if RiskSignal.objects.filter(kind=RiskSignal.Kind.CARD, stripe_reference=intent["id"]).exists():
        return
    services.signal_record(kind=RiskSignal.Kind.CARD, user=payer,
                           card=services.card_details(intent.get("payment_method")),
                           amount=intent.get("amount"), currency=intent.get("currency") or "",
                           stripe_reference=intent["id"])
    account = services.account_assess(user=payer)
    payment = Payment.objects.filter(stripe_payment_intent=intent["id"], kind=Payment.Kind.FUNDING,
                                     user=payer).select_related("user").first()
    if payment is not None:
        services.payment_assess(payment=payment, account=account)


def _on_charge_declined(sender: Any, operation: PaymentOperation, payment_method: str, **kwargs: Any) -> None:
    payer = User.objects.filter(pk=operation.context.get("payer_id")).first()
    if payer is not None:
        _safely(lambda: _card_declined(payer=payer, intent_id=operation.stripe_id or operation.idempotency_key,
                                       payment_method=payment_method, amount=operation.amount,
                                       currency=operation.currency))


def _on_intent_failed(sender: Any, payment_intent: Any, **kwargs: Any) -> None:
    payer = _payer_of_intent(payment_intent)
    if payer is not None:
        error = payment_intent.get("last_payment_error") or {}
        method = error.get("payment_method") or payment_intent.get("payment_method")
        _after_commit(lambda: _card_declined(payer=payer, intent_id=payment_intent["id"], payment_method=method,
                                             amount=payment_intent.get("amount"),
                                             currency=payment_intent.get("currency") or ""))


def _on_operation_booked(sender: Any, operation: PaymentOperation, stripe_object: Any, **kwargs: Any) -> None:
    if operation.kind != PaymentOperation.Kind.CHARGE or stripe_object is None:
        return
    if stripe_object.get("status") != "succeeded":
        return
    payer = User.objects.filter(pk=operation.context.get("payer_id")).first()
    if payer is not None:
        _after_commit(lambda: _card_used(payer=payer, intent=stripe_object))


def _on_intent_succeeded(sender: Any, payment_intent: Any, **kwargs: Any) -> None:
    payer = _payer_of_intent(payment_intent)
    if payer is not None:
        _after_commit(lambda: _card_used(payer=payer, intent=payment_intent))


def connect() -> None:
    user_registered.connect(_on_registered, dispatch_uid="risk.user_registered")
    violation_recorded.connect(_on_violation, dispatch_uid="risk.violation_recorded")
    payment_signals.charge_declined.connect(_on_charge_declined, dispatch_uid="risk.charge_declined")
    payment_signals.payment_intent_failed.connect(_on_intent_failed, dispatch_uid="risk.payment_intent_failed")
    payment_signals.payment_operation_booked.connect(_on_operation_booked, dispatch_uid="risk.operation_booked")
    payment_signals.payment_intent_succeeded.connect(_on_intent_succeeded, dispatch_uid="risk.intent_succeeded")
    holds.register_payout_check(services.payout_hold_reason)
