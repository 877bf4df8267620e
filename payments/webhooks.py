"""Stripe webhooks, received through dj-stripe (signature-verified, stored once per event id).

Webhooks are the truth about Stripe, but they arrive late, twice and out of order: each handler
re-fetches the object by id and acts only on what it finds now, through idempotent services. If a
handler raises, dj-stripe rolls the event back, so Stripe's next delivery runs it again.
"""

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from djstripe.signals import WEBHOOK_SIGNALS

from . import billing, services, signals, stripe_events


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


# --- what Stripe did on its own (payments/stripe_events.py) ------------------------------------------

DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
                  "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated")


@receiver(WEBHOOK_SIGNALS["payment_intent.succeeded"], dispatch_uid="megilance.payment_intent.fee")
def payment_intent_fee(sender: Any, event: Any, **kwargs: Any) -> None:
    intent = services.payment_intent_retrieve(_object_id(event))
    if intent.status == "succeeded":
        stripe_events.payment_intent_fee_book(intent)


@receiver([WEBHOOK_SIGNALS[name] for name in DISPUTE_EVENTS], dispatch_uid="megilance.chargeback")
def chargeback(sender: Any, event: Any, **kwargs: Any) -> None:
    stripe_events.dispute_sync(_object_id(event))


@receiver(WEBHOOK_SIGNALS["charge.refunded"], dispatch_uid="megilance.charge.refunded")
def charge_refunded(sender: Any, event: Any, **kwargs: Any) -> None:
    stripe_events.charge_refunds_sync(_object_id(event))


@receiver(WEBHOOK_SIGNALS["transfer.reversed"], dispatch_uid="megilance.transfer.reversed")
def transfer_reversed(sender: Any, event: Any, **kwargs: Any) -> None:
    stripe_events.transfer_reversals_sync(_object_id(event))


@receiver(signals.payment_intent_failed, dispatch_uid="megilance.payment_failed.tell_payer")
def tell_payer_of_failure(sender: Any, payment_intent: Any, error_message: str, **kwargs: Any) -> None:
    stripe_events.payment_failed_tell(payment_intent, error_message)


@receiver(WEBHOOK_SIGNALS["account.updated"], dispatch_uid="megilance.account.updated")
def account_updated(sender: Any, event: Any, **kwargs: Any) -> None:
    services.connect_updated(_object_id(event))


# --- Client Pro (payments/billing.py): every subscription or invoice event re-fetches and syncs ---------

SUBSCRIPTION_EVENTS = ("customer.subscription.created", "customer.subscription.updated",
                       "customer.subscription.deleted")
INVOICE_EVENTS = ("invoice.payment_succeeded", "invoice.payment_failed")


@receiver([WEBHOOK_SIGNALS[name] for name in SUBSCRIPTION_EVENTS], dispatch_uid="megilance.billing.subscription")
def subscription_changed(sender: Any, event: Any, **kwargs: Any) -> None:
    billing.sync(_object_id(event))


@receiver([WEBHOOK_SIGNALS[name] for name in INVOICE_EVENTS], dispatch_uid="megilance.billing.invoice")
def invoice_paid_or_failed(sender: Any, event: Any, **kwargs: Any) -> None:
    billing.sync_invoice(_object_id(event))


def _mirror_quietly(handler: Any) -> Any:
    """dj-stripe's own copy of a Stripe object, in its tables (which MegiLance does not read), runs
    in a savepoint: if it fails (dj-stripe needs fields the local emulator does not send, or does not know
    a newer API version's shape), that is logged and the plan's sync above still runs and commits."""

    def mirror(sender: Any, event: Any, **kwargs: Any) -> None:
        try:
            with transaction.atomic():
                handler(sender=sender, event=event, **kwargs)
        except Exception:
            logging.getLogger(__name__).warning("dj-stripe could not mirror %s %s", event.type, event.id,
                                                exc_info=True)

    return mirror


def _quiet_djstripe_mirrors() -> None:
    from djstripe.event_handlers import (
        handle_charge_dispute_event,
        handle_charge_event,
        handle_customer_event,
        handle_customer_subscription_event,
        handle_other_event,
        handle_payment_method_event,
    )
    from djstripe.models import Event

    def handler_of(name: str) -> Any:
        if name.startswith("customer.subscription."):
            return handle_customer_subscription_event
        if name.startswith("charge.dispute."):
            return handle_charge_dispute_event
        if name.startswith("charge."):
            return handle_charge_event
        if name in ("customer.created", "customer.updated", "customer.deleted"):
            return handle_customer_event
        if name.startswith("payment_method."):
            return handle_payment_method_event
        return handle_other_event

    # Also customers and payment methods: an event about one that Stripe no longer has (deleted since) must not
    # fail the delivery, or Stripe would send it again for days.
    mirrored = ("customer.subscription.", "invoice.", "charge.", "transfer.", "customer.created",
                "customer.updated", "customer.deleted", "payment_method.")
    for name in [name for name in WEBHOOK_SIGNALS if name.startswith(mirrored)]:
        handler = handler_of(name)
        if WEBHOOK_SIGNALS[name].disconnect(handler, sender=Event):
            WEBHOOK_SIGNALS[name].connect(_mirror_quietly(handler), sender=Event, weak=False,
                                          dispatch_uid=f"megilance.djstripe-mirror.{name}")


_quiet_djstripe_mirrors()
