"""Approximate amounts in a person's display currency, from the exchange rates staff keep in the admin."""

from decimal import Decimal

from .models import ExchangeRate
from .money import convert


def rate_between(base: str, quote: str) -> Decimal | None:
    """Quote units per base unit from the newest rate staff recorded for the pair (either direction), or None."""
    base, quote = base.lower(), quote.lower()
    direct = ExchangeRate.objects.filter(base=base, quote=quote).order_by("-date", "-id").first()
    inverse = ExchangeRate.objects.filter(base=quote, quote=base).order_by("-date", "-id").first()
    if direct is not None and (inverse is None or direct.date >= inverse.date):
        return direct.rate
    if inverse is not None:
        return Decimal(1) / inverse.rate
    return None


def approximate(amount: Decimal, currency: str, display_currency: str) -> Decimal | None:
    """`amount` of `currency` in `display_currency` (half-up to the cent); None for the same currency or no rate."""
    if not display_currency or not currency or display_currency.lower() == currency.lower():
        return None
    rate = rate_between(currency, display_currency)
    if rate is None:
        return None
    return convert(amount, rate)
