"""The one way this code base reaches Stripe: the SDK with the platform's key.

With `STRIPE_API_BASE` set (the local emulator under `make run` and in tests) every call goes there instead.
"""

from typing import Any

import stripe
from django.conf import settings


def sdk() -> Any:
    """The Stripe SDK, set up with the platform's key and, when configured, the emulator's address."""
    stripe.api_key = settings.STRIPE_SECRET_KEY
    if settings.STRIPE_API_BASE:
        stripe.api_base = settings.STRIPE_API_BASE
    return stripe
