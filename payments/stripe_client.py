"""The one way this code base reaches Stripe: the SDK with the platform's key.

With `STRIPE_API_BASE` set (the local emulator under `make run` and in tests) every call goes there instead.
Every call has a client timeout (`STRIPE_TIMEOUT_SECONDS`) and is retried on network errors
(`STRIPE_MAX_NETWORK_RETRIES`, with the same idempotency key, so a retry never moves money twice): a Stripe
that does not answer costs a request seconds, not minutes.
"""

from typing import Any

import stripe
from django.conf import settings

_clients: dict[float, Any] = {}


def _http_client(timeout: float) -> Any:
    """One HTTP client per timeout, kept for the process (it pools its connections)."""
    client = _clients.get(timeout)
    if client is None:
        client = _clients[timeout] = stripe.RequestsClient(timeout=timeout, verify_ssl_certs=stripe.verify_ssl_certs,
                                                               proxy=stripe.proxy)
    return client


def sdk() -> Any:
    """The Stripe SDK, set up with the platform's key, its timeout and retries, and, when configured, the
    emulator's address."""
    stripe.api_key = settings.STRIPE_SECRET_KEY
    if settings.STRIPE_API_BASE:
        stripe.api_base = settings.STRIPE_API_BASE
    stripe.max_network_retries = int(settings.STRIPE_MAX_NETWORK_RETRIES)
    stripe.default_http_client = _http_client(float(settings.STRIPE_TIMEOUT_SECONDS))
    return stripe


def longest_wait() -> float:
    """The longest a Stripe call can take before it gives up: every try timing out, with the SDK's pauses."""
    tries = int(settings.STRIPE_MAX_NETWORK_RETRIES) + 1
    return float(settings.STRIPE_TIMEOUT_SECONDS) * tries + stripe.HTTPClient.MAX_DELAY * (tries - 1)
