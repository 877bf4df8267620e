"""Money on pages, in the reader's language, with an approximation in their display currency.

    {% load money %}
    {{ project.budget_max|money:project.currency }}        "1,500.00 USD" / "1.500,00 $" / "1500,00 US$"
    {% approx project.budget_max project.currency %}      " (approx. 1,380.00 EUR)", or nothing
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.money import convert, money_display
from core.rates import rate_between

register = template.Library()
EN_DASH = "\u2013"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(value: Any, currency: str) -> str:
    """A Decimal amount in the currency's units, written as the active language writes money."""
    amount = _decimal(value)
    return "" if amount is None else money_display(amount, currency or "usd")


@register.simple_tag(takes_context=True)
def approx(context: template.Context, value: Any, currency: str, minor: bool = False, upper: Any = None
           ) -> SafeString | str:
    """The amount in the signed-in reader's display currency, labelled approximate; nothing when they chose no
    display currency, it is the amount's own, or staff recorded no rate. `minor=True` for integer minor units;
    `upper` for a range (a budget from ... to ...)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    display = getattr(user, "display_currency", "") if user is not None and user.is_authenticated else ""
    amount = _decimal(value)
    if request is None or not display or amount is None or not currency or display.lower() == str(currency).lower():
        return ""
    rates = getattr(request, "_approx_rates", None)
    if rates is None:
        rates = {}
        request._approx_rates = rates  # one look-up per currency pair and page
    key = (str(currency).lower(), display.lower())
    if key not in rates:
        rates[key] = rate_between(*key)
    rate = rates[key]
    if rate is None:
        return ""
    scale = Decimal(100) if minor else Decimal(1)
    text = money_display(convert(amount / scale, rate), display)
    high = _decimal(upper)
    if high is not None and high != amount:
        text = EN_DASH.join(money_display(convert(edge / scale, rate), display) for edge in (amount, high))
    return format_html(' <span class="approx">({} {})</span>', gettext("approx."), text)
