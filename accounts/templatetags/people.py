"""How people look on a page: an avatar (their photo, or their initials in a coloured circle) and a rating
drawn as five stars that screen readers read as "4.5 out of 5".

    {% load people %}
    {% avatar user %}            {% avatar proposal.freelancer size=40 %}
    {% stars freelancer.rating_avg %}
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()

# Background colours for initials, each dark enough for white text (contrast 4.5:1 or more).
PALETTE = ("#0b5cad", "#1f6f43", "#8a3b12", "#6b2fa0", "#a3185a", "#0f6a78", "#5b4a00", "#37474f")


def initials_of(user: Any) -> str:
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    letters = (first[:1] + last[:1]) or (getattr(user, "email", "") or "?")[:1]
    return letters.upper()


def colour_of(user: Any) -> str:
    return PALETTE[(getattr(user, "pk", 0) or 0) % len(PALETTE)]


@register.inclusion_tag("accounts/_avatar.html")
def avatar(user: Any, size: int = 40, label: bool = False) -> dict[str, Any]:
    """The person's photo, else their initials. Decorative unless `label` (their name is next to it mostly)."""
    photo = getattr(user, "avatar", None)
    name = user.get_full_name() if hasattr(user, "get_full_name") else str(user)
    return {
        "url": photo.url if photo else "",
        "initials": initials_of(user),
        "colour": colour_of(user),
        "size": int(size),
        "font_size": max(11, int(size) * 2 // 5),
        "name": name,
        "label": label,
    }


def _rounded_half(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return (number * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2


@register.inclusion_tag("accounts/_stars.html")
def stars(rating: Any, count: int | None = None) -> dict[str, Any]:
    """Five stars filled to the rating (to the nearest half), with the number for those who read it."""
    if rating is None or rating == "":
        return {"rating": None}
    half = _rounded_half(rating)
    if half is None:
        return {"rating": None}
    half = max(Decimal(0), min(Decimal(5), half))
    shown = Decimal(str(rating)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{shown.normalize():f}" if shown == shown.to_integral() else f"{shown:f}"
    return {
        "rating": text,
        "percent": int(half * 20),
        "count": count,
    }
