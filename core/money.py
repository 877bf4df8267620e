"""Money is exact: Decimal with two places for people, integer minor units for Stripe and the ledger."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

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


def money_text(minor: int, currency: str, language: str | None = None) -> str:
    """150000, "usd" -> "1,500.00 USD" for people to read, in the active language ("1.500,00 $" in German).

    Records that outlive the request (ledger descriptions) pass language="en"."""
    return money_display(from_minor(minor), currency, language)


def percent_text(percent: int | Decimal) -> str:
    """Decimal("10.00") -> "10", Decimal("12.50") -> "12.5": a percentage as people write it."""
    text = f"{Decimal(str(percent)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Money for people, in their language ---------------------------------------------------------------
# English keeps the form the product has always shown ("1,500.00 USD": unambiguous between dollars). German and
# Spanish follow the Unicode CLDR patterns for those languages: the amount, a no-break space, then the currency's
# symbol ("1.500,00 €", "1.500,00 $"); Spanish groups thousands only from five digits ("1500,00 €",
# "15.000,00 €") and writes the dollar "US$" and the pound "GB£".

CURRENCIES = [("usd", _("US dollar")), ("eur", _("Euro")), ("gbp", _("Pound sterling"))]
NBSP = "\u00a0"
_SYMBOLS = {
    "de": {"USD": "$", "EUR": "€", "GBP": "£"},
    "es": {"USD": "US$", "EUR": "€", "GBP": "GB£"},
}
# language: (group separator, decimal separator, minimum digits before grouping starts)
_SEPARATORS = {"de": (".", ",", 4), "es": (".", ",", 5)}


def _language(language: str | None) -> str:
    from django.utils.translation import get_language

    code = (language or get_language() or "en").lower()
    return code.split("-")[0].split("_")[0]


def _grouped(integer_digits: str, separator: str, min_digits: int) -> str:
    if len(integer_digits) < min_digits:
        return integer_digits
    groups: list[str] = []
    while len(integer_digits) > 3:
        groups.insert(0, integer_digits[-3:])
        integer_digits = integer_digits[:-3]
    groups.insert(0, integer_digits)
    return separator.join(groups)


def decimal_text(amount: Decimal, language: str | None = None) -> str:
    """Decimal("1500.00") -> "1,500.00" (en), "1.500,00" (de), "1500,00" (es): two places, grouped as people read."""
    lang = _language(language)
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    if lang not in _SEPARATORS:
        return f"{value:,.2f}"
    group, point, min_digits = _SEPARATORS[lang]
    sign = "-" if value < 0 else ""
    integer, fraction = f"{abs(value):.2f}".split(".")
    return f"{sign}{_grouped(integer, group, min_digits)}{point}{fraction}"


def money_display(amount: Decimal, currency: str, language: str | None = None) -> str:
    """An amount (Decimal, in the currency's units) as the language writes money; the active language by default."""
    lang = _language(language)
    code = currency.upper()
    if lang not in _SYMBOLS:
        return f"{decimal_text(amount, 'en')} {code}"
    return f"{decimal_text(amount, lang)}{NBSP}{_SYMBOLS[lang].get(code, code)}"


class Money:
    """An amount that turns into text only when shown, in the language active then: pages, notifications and
    e-mails built for one person and shown to another come out in the reader's language (messaging's `notify`
    and core/mail.py render under the recipient's language)."""

    def __init__(self, minor: int, currency: str) -> None:
        self.minor = int(minor)
        self.currency = currency

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> "Money":
        return cls(to_minor(amount), currency)

    def __str__(self) -> str:
        return money_text(self.minor, self.currency)

    def __repr__(self) -> str:
        return f"Money({self.minor}, {self.currency!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.minor, self.currency.lower()) == (other.minor, other.currency.lower())

    def __hash__(self) -> int:
        return hash((self.minor, self.currency.lower()))


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in another currency at `rate` (quote units per base unit), rounded half-up to the cent."""
    return (Decimal(amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)
