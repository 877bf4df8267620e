"""Hourly contracts made through the real services, and figures computed apart from the code under test."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from contracts.services import proposal_accept
from marketplace.tests.factories import make_project, make_proposal

# A Monday, so weeks are easy to read: week 1 is 2 to 8 November 2026, week 2 is 9 to 15, week 3 16 to 22.
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def make_hourly_contract(client, freelancer, rate: str = "47.35"):
    project = make_project(client, budget_type="hourly", budget_min=Decimal("30.00"), budget_max=Decimal("60.00"),
                           title="Maintain our Django booking site by the hour")
    proposal = make_proposal(freelancer, project, bid_amount=Decimal(rate))
    return proposal_accept(proposal=proposal, by=client)


def cents(minutes: int, rate: str) -> int:
    """What `minutes` at `rate` an hour come to, in cents, rounded half-up: with fractions, not Decimal."""
    exact = Fraction(minutes) * Fraction(rate) / 60 * 100
    whole = exact.numerator // exact.denominator
    return whole + (1 if exact - whole >= Fraction(1, 2) else 0)


def fee_cents(gross: int, percent: int = 10) -> int:
    return int((Decimal(gross) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"
