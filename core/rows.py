"""Writing list rows straight from `values()` dictionaries, as DRF's fields would write them.

A list of a hundred rows through a `ModelSerializer` builds a model instance and runs a dozen field objects per
row; the functions here do the same conversions once per value. Each list that uses them keeps its serializer
for the schema and for single objects, and a test compares the two outputs on the same rows.
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

CENT = Decimal("0.01")


def datetime_text(value: datetime | None) -> str | None:
    """As DRF's `DateTimeField`: in the current time zone, ISO 8601, UTC written as `Z`."""
    if value is None:
        return None
    if settings.USE_TZ and timezone.is_aware(value):
        value = value.astimezone(timezone.get_current_timezone())
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def date_text(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def decimal_text(value: Decimal | float | None, places: Decimal = CENT) -> str | None:
    """As DRF's `DecimalField` with two places (strings, never floats); a float (an average) is read from its
    shortest text first, as DRF does."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    return format(number.quantize(places), "f")
