"""The fraud checks' writes: signals recorded, scores kept, cases opened, and the staff's decisions on them.

A score at `RISK_HOLD_SCORE` or more opens a case (one open case per account at a time); while a case is open,
or fraud was confirmed, the account's payouts stay held (`payout_hold_reason`, the check payments asks before
each transfer). Clearing a case releases them; confirming fraud suspends the account. Every decision is audited.
"""

import logging
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import user_set_active
from core.audit import audit
from core.exceptions import Conflict
from messaging.models import Violation
from payments import stripe_client
from payments.models import Payment
from payments.services import payouts_queue

from . import context
from .models import AccountRisk, PaymentRisk, RiskCase, RiskSignal
from .scoring import Score, account_score, payment_score

logger = logging.getLogger(__name__)


# --- signals ----------------------------------------------------------------------------------------


def signal_record(*, kind: str, user: User, ip_address: str | None = None, device_id: str | None = None,
                  card: dict[str, str] | None = None, amount: int | None = None, currency: str = "",
                  stripe_reference: str = "") -> RiskSignal:
    """Writes down what the account did, from the current request's address and device unless given."""
    card = card or {}
    return RiskSignal.objects.create(
        kind=kind, user=user,
        ip_address=ip_address if ip_address is not None else context.current_ip(),
        device_id=(device_id if device_id is not None else context.current_device())[:64],
        card_fingerprint=card.get("fingerprint", "")[:64], card_country=(card.get("country") or "")[:2].upper(),
        amount=amount, currency=currency, stripe_reference=stripe_reference[:255])


def card_details(payment_method: Any) -> dict[str, str]:
    """The card's fingerprint and issuing country, as Stripe describes the PaymentMethod (empty if it cannot)."""
    method_id = payment_method if isinstance(payment_method, str) else (payment_method or {}).get("id", "")
    if not method_id:
        return {}
    try:
        method = stripe_client.sdk().PaymentMethod.retrieve(method_id)
    except stripe.StripeError:
        logger.warning("Could not look up payment method %s for the fraud checks", method_id, exc_info=True)
        return {}
    card = method.get("card") or {}
    return {"fingerprint": card.get("fingerprint") or "", "country": card.get("country") or ""}


# --- scores and cases ---------------------------------------------------------------------------------


def account_assess(*, user: User) -> Score:
    """Computes the account's score, keeps it, and opens a case when it is high."""
    score = account_score(user)
    AccountRisk.objects.update_or_create(user=user, defaults={"score": score.points,
                                                              "reasons": score.reasons_json()})
    if score.high and not _cleared_since_last_activity(user):
        case_open(user=user, score=score)
    return score


def payment_assess(*, payment: Payment, account: Score | None = None) -> Score:
    """Computes the payment's score, keeps it, and opens a case about its account when it is high."""
    score = payment_score(payment, account=account)
    PaymentRisk.objects.update_or_create(payment=payment, defaults={"score": score.points,
                                                                    "reasons": score.reasons_json()})
    if score.high and not _cleared_since_last_activity(payment.user):
        case_open(user=payment.user, score=score, payment=payment)
    return score


def _cleared_since_last_activity(user: User) -> bool:
    """Staff cleared a case after the last thing the account did that the rules read: the same facts do not
    hold its payouts again."""
    cleared = (RiskCase.objects.filter(user=user, status=RiskCase.Status.CLEARED)
               .aggregate(at=Max("decided_at"))["at"])
    if cleared is None:
        return False
    latest = [RiskSignal.objects.filter(user=user).aggregate(at=Max("created_at"))["at"],
              Violation.objects.filter(user=user).aggregate(at=Max("created_at"))["at"],
              Payment.objects.filter(user=user, kind=Payment.Kind.RELEASE,
                                     payout_status=Payment.PayoutStatus.HELD).aggregate(at=Max("created_at"))["at"]]
    return all(moment is None or moment <= cleared for moment in latest)


def case_open(*, user: User, score: Score, payment: Payment | None = None) -> RiskCase:
    """The account's open case (a new one, audited, when it had none): staff find it in the admin."""
    existing = RiskCase.objects.filter(user=user, status=RiskCase.Status.OPEN).first()
    if existing is not None:
        if score.points > existing.score:
            RiskCase.objects.filter(pk=existing.pk).update(score=score.points, reasons=score.reasons_json())
            existing.refresh_from_db()
        return existing
    try:
        with transaction.atomic():
            case = RiskCase.objects.create(user=user, payment=payment, score=score.points,
                                           reasons=score.reasons_json())
    except IntegrityError:  # opened at the same moment by another event
        return RiskCase.objects.get(user=user, status=RiskCase.Status.OPEN)
    audit("risk.case_open", target=case, actor=None, new={"user_id": user.pk, "score": score.points,
                                                         "rules": [r.rule for r in score.reasons],
                                                         "payment_id": payment.pk if payment else None})
    return case


def payout_hold_reason(user_id: int) -> str | None:
    """Payments' question before transferring a freelancer's payouts: why they must stay held, or None.

    An open case or confirmed fraud holds them; otherwise the account and each of its held releases are
    assessed now, and a high score opens a case and holds them."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    decided = RiskCase.objects.filter(user=user, status__in=[RiskCase.Status.OPEN, RiskCase.Status.FRAUD]).first()
    if decided is None:
        account = account_assess(user=user)
        held = Payment.objects.filter(user=user, kind=Payment.Kind.RELEASE, payout_status=Payment.PayoutStatus.HELD)
        for payment in held.select_related("user").order_by("pk")[:100]:
            payment_assess(payment=payment, account=account)
        decided = RiskCase.objects.filter(user=user, status=RiskCase.Status.OPEN).first()
    if decided is None:
        return None
    if decided.status == RiskCase.Status.FRAUD:
        return _("Held: fraud was confirmed on this account (case %(id)d).") % {"id": decided.pk}
    return _("Held for a fraud review (case %(id)d, score %(score)d).") % {"id": decided.pk, "score": decided.score}


# --- staff decisions --------------------------------------------------------------------------------


def _decide(case: RiskCase, *, by: User, status: str, note: str) -> RiskCase:
    locked = RiskCase.objects.select_for_update().get(pk=case.pk)
    if locked.status != RiskCase.Status.OPEN:
        raise Conflict(_("This case was already decided (%(status)s).") % {"status": locked.get_status_display()},
                       code="case_decided")
    locked.status, locked.decided_by, locked.decided_at, locked.note = status, by, timezone.now(), note
    locked.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return locked


def case_clear(*, case: RiskCase, by: User, note: str = "") -> RiskCase:
    """Staff found nothing wrong: the case closes and the account's held payouts are sent (after commit)."""
    with transaction.atomic():
        decided = _decide(case, by=by, status=RiskCase.Status.CLEARED, note=note)
        audit("risk.case_clear", target=decided, actor=by, old={"status": RiskCase.Status.OPEN},
              new={"status": decided.status, "note": note})
        payouts_queue(decided.user_id)
    return decided


def case_confirm_fraud(*, case: RiskCase, by: User, note: str = "") -> RiskCase:
    """Staff confirmed fraud: the case closes as fraud, the account is suspended and its payouts stay held."""
    with transaction.atomic():
        decided = _decide(case, by=by, status=RiskCase.Status.FRAUD, note=note)
        audit("risk.case_fraud", target=decided, actor=by, old={"status": RiskCase.Status.OPEN},
              new={"status": decided.status, "note": note})
        user_set_active(user=decided.user, active=False)
    return decided
