"""The rules: what makes an account or a payment look like fraud, each worth the points `RISK_POINTS` gives it.

An account's reasons come from what it and the accounts around it did (sign-ups and cards from one address or
device, declined cards, cards issued abroad, attempts to take contact off the platform); a payment adds its
own (a new account moving a large amount). Scores are the sum of the points, at most 100. Every rule runs a
fixed number of queries.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from messaging.models import Violation
from payments.models import Payment

from .models import RiskSignal

CARD_KINDS = [RiskSignal.Kind.CARD, RiskSignal.Kind.CARD_DECLINED]


@dataclass(frozen=True)
class Reason:
    rule: str
    points: int
    detail: str


@dataclass(frozen=True)
class Score:
    points: int
    reasons: list[Reason]

    @property
    def high(self) -> bool:
        return self.points >= settings.RISK_HOLD_SCORE

    def reasons_json(self) -> list[dict[str, Any]]:
        return [asdict(reason) for reason in self.reasons]


def _reason(rule: str, detail: str) -> Reason:
    return Reason(rule=rule, points=int(settings.RISK_POINTS[rule]), detail=detail)


def score_of(reasons: list[Reason]) -> Score:
    return Score(points=min(100, sum(reason.points for reason in reasons)), reasons=reasons)


def _window() -> timedelta:
    return timedelta(hours=settings.RISK_WINDOW_HOURS)


# --- the account's rules ----------------------------------------------------------------------------


def _signup_velocity(user: User) -> list[Reason]:
    """Many accounts signed up from the address or the device this one signed up from, around the same time."""
    signup = RiskSignal.objects.filter(user=user, kind=RiskSignal.Kind.SIGNUP).order_by("created_at").first()
    if signup is None:
        return []
    around = RiskSignal.objects.filter(kind=RiskSignal.Kind.SIGNUP, created_at__gte=signup.created_at - _window(),
                                       created_at__lte=signup.created_at + _window())
    counts = {"by_ip": around.filter(ip_address=signup.ip_address).count() if signup.ip_address else 0,
              "by_device": around.filter(device_id=signup.device_id).count() if signup.device_id else 0}
    reasons = []
    hours = settings.RISK_WINDOW_HOURS
    if counts["by_ip"] > settings.RISK_SIGNUPS_PER_IP:
        reasons.append(_reason("signup_ip", _("%(n)d accounts signed up from the address %(ip)s within %(h)d hours.")
                               % {"n": counts["by_ip"], "ip": signup.ip_address, "h": hours}))
    if counts["by_device"] > settings.RISK_SIGNUPS_PER_DEVICE:
        reasons.append(_reason("signup_device", _("%(n)d accounts signed up from one device within %(h)d hours.")
                               % {"n": counts["by_device"], "h": hours}))
    return reasons


def _card_velocity(user: User, now: datetime) -> list[Reason]:
    """Many different cards tried from an address or a device this account paid from, recently."""
    since = now - _window()
    mine = RiskSignal.objects.filter(user=user, kind__in=CARD_KINDS, created_at__gte=since)
    sources = Q(ip_address__in=mine.exclude(ip_address=None).values("ip_address")) | Q(
        device_id__in=mine.exclude(device_id="").values("device_id"))
    tried = RiskSignal.objects.filter(sources, kind__in=CARD_KINDS, created_at__gte=since).exclude(card_fingerprint="")
    by_ip = (tried.exclude(ip_address=None).values("ip_address")
             .annotate(cards=Count("card_fingerprint", distinct=True)).order_by("-cards").first())
    by_device = (tried.exclude(device_id="").values("device_id")
                 .annotate(cards=Count("card_fingerprint", distinct=True)).order_by("-cards").first())
    most = max((row["cards"] for row in (by_ip, by_device) if row), default=0)
    if most > settings.RISK_CARDS_PER_SOURCE:
        return [_reason("card_velocity", _("%(n)d different cards were used from one address or device within "
                                           "%(h)d hours.") % {"n": most, "h": settings.RISK_WINDOW_HOURS})]
    return []


def _failed_cards(user: User, now: datetime) -> list[Reason]:
    declined = RiskSignal.objects.filter(user=user, kind=RiskSignal.Kind.CARD_DECLINED,
                                         created_at__gte=now - _window()).count()
    if declined >= settings.RISK_FAILED_CARDS:
        return [_reason("failed_cards", _("%(n)d card payments were declined within %(h)d hours.")
                        % {"n": declined, "h": settings.RISK_WINDOW_HOURS})]
    return []


def _card_country(user: User) -> list[Reason]:
    """Cards issued in another country than the one the account gives."""
    if not user.country:
        return []
    countries = sorted(set(RiskSignal.objects.filter(user=user, kind__in=CARD_KINDS).exclude(card_country="")
                           .exclude(card_country__iexact=user.country).values_list("card_country", flat=True)))
    if countries:
        return [_reason("card_country", _("Cards issued in %(cards)s; the profile says %(profile)s.")
                        % {"cards": ", ".join(countries), "profile": user.country.upper()})]
    return []


def _off_platform_contact(user: User) -> list[Reason]:
    attempts = Violation.objects.filter(user=user).exclude(resolution="dismissed").count()
    if attempts >= settings.RISK_CONTACT_VIOLATIONS:
        return [_reason("off_platform_contact", _("%(n)d attempts to share contact details or links before a "
                                                  "contract.") % {"n": attempts})]
    return []


def account_score(user: User, *, now: datetime | None = None) -> Score:
    now = now or timezone.now()
    return score_of([*_signup_velocity(user), *_card_velocity(user, now), *_failed_cards(user, now),
                     *_card_country(user), *_off_platform_contact(user)])


# --- the payment's own rule --------------------------------------------------------------------------


def _new_account_large_amount(payment: Payment, user: User) -> list[Reason]:
    age = payment.created_at - user.date_joined
    large = settings.RISK_LARGE_AMOUNT * 100
    if age < timedelta(days=settings.RISK_NEW_ACCOUNT_DAYS) and payment.amount >= large:
        return [_reason("new_account_large_amount",
                        _("An account %(days)d days old moved %(amount)s %(currency)s (at least %(large)d).")
                        % {"days": age.days, "amount": f"{payment.amount / 100:.2f}",
                           "currency": payment.currency.upper(), "large": settings.RISK_LARGE_AMOUNT})]
    return []


def payment_score(payment: Payment, *, account: Score | None = None) -> Score:
    """The payment's account's reasons (computed unless given) and the payment's own."""
    user = payment.user
    account = account if account is not None else account_score(user)
    return score_of([*account.reasons, *_new_account_large_amount(payment, user)])
