"""Money is exact: Decimal with two places for people, integer minor units for Stripe and the ledger."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_minor(amount: Decimal | str | int) -> int:
    """Decimal("1500.00") -> 150000. Refuses fractions of a cent rather than rounding them away."""
    value = Decimal(str(amount))
    if value != value.quantize(CENT):
        raise ValueError(f"{amount} has more than two decimal places")
    return int(value * 100)


def from_minor(minor: int) -> Decimal:
    return (Decimal(minor) / 100).quantize(CENT)


def fee_minor(gross_minor: int, percent: int | Decimal) -> int:
    """The platform fee: `percent` of the gross, rounded half-up to the cent."""
    return int((Decimal(gross_minor) * Decimal(str(percent)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money_text(minor: int, currency: str) -> str:
    """150000, "usd" -> "1,500.00 USD" for people to read."""
    return f"{from_minor(minor):,.2f} {currency.upper()}"


def percent_text(percent: int | Decimal) -> str:
    """Decimal("10.00") -> "10", Decimal("12.50") -> "12.5": a percentage as people write it."""
    text = f"{Decimal(str(percent)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
