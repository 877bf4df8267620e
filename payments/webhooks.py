"""Stripe webhooks, received through dj-stripe (signature-verified, stored once per event id).

Webhooks are the truth about Stripe, but they arrive late, twice and out of order: each handler
re-fetches the object by id and acts only on what it finds now, through idempotent services. If a
handler raises, dj-stripe rolls the event back, so Stripe's next delivery runs it again.
"""

from typing import Any

from django.dispatch import receiver
from djstripe.signals import WEBHOOK_SIGNALS

from . import services, signals


def _object_id(event: Any) -> str:
    return event.data["object"]["id"]


@receiver(WEBHOOK_SIGNALS["payment_intent.succeeded"], dispatch_uid="megilance.payment_intent.succeeded")
def payment_intent_succeeded(sender: Any, event: Any, **kwargs: Any) -> None:
    intent = services.payment_intent_retrieve(_object_id(event))
    if intent.status == "succeeded":
        signals.payment_intent_succeeded.send(sender=services, payment_intent=intent)


@receiver(WEBHOOK_SIGNALS["payment_intent.payment_failed"], dispatch_uid="megilance.payment_intent.failed")
def payment_intent_failed(sender: Any, event: Any, **kwargs: Any) -> None:
    intent = services.payment_intent_retrieve(_object_id(event))
    if intent.status != "succeeded":
        error = (intent.get("last_payment_error") or {}).get("message") or "The card was declined."
        signals.payment_intent_failed.send(sender=services, payment_intent=intent, error_message=error)


@receiver(WEBHOOK_SIGNALS["account.updated"], dispatch_uid="megilance.account.updated")
def account_updated(sender: Any, event: Any, **kwargs: Any) -> None:
    services.connect_updated(_object_id(event))
