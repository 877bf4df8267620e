"""Webhooks are the truth about Stripe: real signed events from the emulator, delivered once, twice, in
reverse order, or while Stripe cannot be reached, all end in the same state."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from contracts.models import Milestone
from contracts.tests.factories import make_contract
from devtools.webhook_setup import endpoint_path, local_endpoint
from payments.models import LedgerTransaction
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import THREE_D_SECURE_CARD, add_milestone, assert_ledger_balanced, card, fund

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


class _Capture(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append((body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def captured_events(stripe_emulator):
    """Every webhook the emulator sends during the test, signed with our endpoint's secret."""
    _Capture.received = []
    server = HTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = local_endpoint()
    stripe_emulator.register_webhook("capture", f"http://127.0.0.1:{server.server_port}/", endpoint.secret)
    yield _Capture.received
    server.shutdown()


def about(events, intent_id):
    """The events about our PaymentIntent or its customer (late events of other tests may arrive too)."""
    intent = stripe_sdk().PaymentIntent.retrieve(intent_id)
    ids = {intent_id, intent.customer}
    mine = []
    for body, signature in events:
        obj = json.loads(body)["data"]["object"]
        if obj.get("id") in ids or obj.get("customer") in ids or obj.get("payment_intent") == intent_id:
            mine.append((body, signature))
    return mine


def wait_for(events, event_type, intent_id, count=1, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in about(events, intent_id) if json.loads(e[0])["type"] == event_type]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} webhook arrived; got {[json.loads(e[0])['type'] for e in events]}")


def deliver(client, body, signature):
    endpoint = local_endpoint()
    return client.post(endpoint_path(endpoint), data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature)


@pytest.fixture
def pending_funding(client_user, freelancer_user, client_for, captured_events, stripe_emulator):
    """A milestone paid with a card that needs 3-D Secure: the client passes the bank's check in the
    browser, so only the webhook tells us the payment succeeded."""
    contract = make_contract(client_user, freelancer_user)
    api = client_for(client_user)
    milestone = add_milestone(api, contract.id, "640.00")
    started = fund(api, milestone["id"], card(THREE_D_SECURE_CARD)).json()
    assert started["status"] == "requires_action"
    intent_id = Milestone.objects.get(pk=milestone["id"]).payment_intent_id
    stripe_emulator.request("POST", f"/v1/payment_intents/{intent_id}/_authenticate",
                            [("client_secret", started["client_secret"]), ("success", "true")])
    events = wait_for(captured_events, "payment_intent.succeeded", intent_id)
    return milestone, events, intent_id


def state(milestone_id):
    milestone = Milestone.objects.get(pk=milestone_id)
    return milestone.status, LedgerTransaction.objects.filter(kind="funding", milestone_id=milestone_id).count()


def test_once_in_order(client, pending_funding):
    milestone, events, _ = pending_funding
    assert state(milestone["id"]) == ("pending", 0)
    for body, signature in events:
        assert deliver(client, body, signature).status_code == 200
    assert state(milestone["id"]) == ("funded", 1)
    assert_ledger_balanced()


def test_twice_and_in_reverse_order_ends_the_same(client, pending_funding, captured_events):
    milestone, _, intent_id = pending_funding
    time.sleep(1.5)  # let every event of this payment arrive
    everything = about(list(captured_events), intent_id)
    for body, signature in list(reversed(everything)) + everything:
        assert deliver(client, body, signature).status_code == 200
    assert state(milestone["id"]) == ("funded", 1)
    assert_ledger_balanced()


def test_a_bad_signature_is_refused(client, pending_funding):
    milestone, events, _ = pending_funding
    body, _ = events[0]
    assert deliver(client, body, "t=1,v1=forged").status_code == 400
    assert state(milestone["id"]) == ("pending", 0)


def test_a_handler_that_failed_runs_again_on_redelivery(client, pending_funding, settings, stripe_emulator):
    milestone, events, _ = pending_funding
    body, signature = events[0]
    # Stripe cannot be reached while the event arrives: the handler's re-fetch fails for real.
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    client.raise_request_exception = False
    failed = deliver(client, body, signature)
    assert failed.status_code == 500
    assert state(milestone["id"]) == ("pending", 0)
    settings.STRIPE_API_BASE = stripe.api_base = stripe_emulator.url  # Stripe answers again
    assert deliver(client, body, signature).status_code == 200
    assert state(milestone["id"]) == ("funded", 1)


def test_reconciliation_repairs_a_lost_webhook(pending_funding):
    from payments.tasks import reconcile

    milestone, _, _ = pending_funding  # the webhook never reaches us
    assert reconcile()["payment_intents"] >= 1
    assert state(milestone["id"]) == ("funded", 1)
    reconcile()
    assert state(milestone["id"]) == ("funded", 1)


def test_an_event_about_a_customer_stripe_no_longer_has_is_accepted(client, captured_events, stripe_emulator):
    """Stripe re-sends an event until it is answered 200: one about a since-deleted customer must not fail."""
    customer = stripe_sdk().Customer.create(email="gone@example.com")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        created = [(body, signature) for body, signature in captured_events
                   if json.loads(body)["type"] == "customer.created"
                   and json.loads(body)["data"]["object"]["id"] == customer.id]
        if created:
            break
        time.sleep(0.1)
    assert created, "no customer.created webhook arrived"
    stripe_sdk().Customer.delete(customer.id)
    assert deliver(client, *created[0]).status_code == 200
