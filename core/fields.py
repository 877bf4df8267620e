"""Serializer fields every app's API shares."""

import re
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY_PATTERN = r"^\d{1,10}(\.\d{1,2})?$"
_MONEY_RE = re.compile(MONEY_PATTERN)


@extend_schema_field({"type": "string", "pattern": MONEY_PATTERN, "example": "1500.00",
                      "description": "A decimal string with at most two places, e.g. `1500.00`."})
class MoneyField(serializers.DecimalField):
    """An amount of money as people write it: a decimal string with at most two places ("1500", "1500.5",
    "1500.00"). Numbers in JSON, exponents ("1e3"), signs and more than two places are refused, so no
    amount is ever guessed from a float."""

    default_error_messages = {
        "money": "Enter an amount as a string of digits with at most two decimal places, like \"1500.00\".",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str) or not _MONEY_RE.fullmatch(data):
            self.fail("money")
        return super().to_internal_value(data)
