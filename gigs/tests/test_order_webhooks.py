"""An order paid with a card that asks for 3-D Secure: the buyer passes the bank's check in the browser, and
Stripe's signed webhook (delivered once, then again in reverse) starts the order, once."""

import time

import pytest

from contracts.tests.test_webhooks import about, captured_events, deliver, wait_for  # noqa: F401  (fixtures)
from gigs.models import Order
from gigs.tests.order_factories import make_service, stripe_settings  # noqa: F401
from messaging.models import Notification
from payments.models import LedgerTransaction
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
    events = about(list(captured_events), order.payment_intent_id)
    for raw, signature in events + list(reversed(events)):
        assert deliver(client, raw, signature).status_code == 200
    order.refresh_from_db()
    assert order.status == "in_progress" and order.due_at is not None
    assert LedgerTransaction.objects.filter(kind="funding", order_id=order.pk).count() == 1
    assert Notification.objects.filter(user=freelancer_user, data__order_id=order.pk).count() == 1
    assert_ledger_balanced()
