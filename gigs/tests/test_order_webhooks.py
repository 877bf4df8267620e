"""Stripe's signed webhooks about orders: a payment that asked for 3-D Secure starts the order once (events
delivered once, then again in reverse), and a chargeback on an order's payment is shown to staff."""

import time

import pytest

from contracts.tests.test_stripe_facts import deliver as deliver_events
from contracts.tests.test_stripe_facts import events, priced, wait_events  # noqa: F401  (fixtures)
from contracts.tests.test_webhooks import about, captured_events, deliver, wait_for  # noqa: F401  (fixtures)
from gigs.models import Order
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from messaging.models import Notification
from payments.models import LedgerTransaction
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import THREE_D_SECURE_CARD, assert_ledger_balanced, card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]


def test_a_three_d_secure_payment_is_finished_by_the_webhook(client, client_user, freelancer_user, client_for,
                                                            captured_events, stripe_emulator):  # noqa: F811
    service = make_service(freelancer_user)
    started = client_for(client_user).post("/api/orders", {
        "service_id": service.pk, "tier": "basic", "requirements": "Acme.",
        "payment_method": card(THREE_D_SECURE_CARD)}, format="json")
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["status"] == "pending_payment" and body["payment"]["status"] == "requires_action"
    order = Order.objects.get(pk=body["id"])
    stripe_emulator.request("POST", f"/v1/payment_intents/{order.payment_intent_id}/_authenticate",
                            [("client_secret", body["payment"]["client_secret"]), ("success", "true")])
    wait_for(captured_events, "payment_intent.succeeded", order.payment_intent_id)
    time.sleep(1.5)  # every event of this payment has arrived
    mine = about(list(captured_events), order.payment_intent_id)
    for raw, signature in mine + list(reversed(mine)):
        assert deliver(client, raw, signature).status_code == 200
    order.refresh_from_db()
    assert order.status == "in_progress" and order.due_at is not None
    assert LedgerTransaction.objects.filter(kind="funding", order_id=order.pk).count() == 1
    assert Notification.objects.filter(user=freelancer_user, data__order_id=order.pk).count() == 1
    assert_ledger_balanced()


def test_a_chargeback_on_an_order_is_shown_to_staff(client, client_user, freelancer_user, events,  # noqa: F811
                                                    priced):  # noqa: F811
    order = place_order(client_user, make_service(freelancer_user), tier="basic")
    charge = stripe_sdk().PaymentIntent.retrieve(order.payment_intent_id)["latest_charge"]
    charge = charge if isinstance(charge, str) else charge["id"]
    dispute = priced.request("POST", f"/_config/charges/{charge}/dispute", [("reason", "fraudulent")])
    deliver_events(client, wait_events(events, "charge.dispute.created", dispute["id"]))
    assert Order.objects.get(pk=order.pk).chargeback == "open"
    priced.request("POST", f"/_config/disputes/{dispute['id']}/close", [("outcome", "won")])
    closed = wait_events(events, "charge.dispute.closed", dispute["id"])
    deliver_events(client, closed + closed)
    assert Order.objects.get(pk=order.pk).chargeback == "won"
    assert_ledger_balanced()
