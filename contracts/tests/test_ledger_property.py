"""Property: whatever sequence of money operations people attempt (on milestones, and on orders of a service),
and whatever Stripe does on its own meanwhile (its fees, chargebacks opened, won or lost, refunds made in its
dashboard), once Stripe's events are delivered the ledger balances, escrow holds exactly the funded and unsettled
milestones and paid, unfinished orders, Stripe's fees and the platform's losses
are what Stripe's pricing and the card holders' actions make them, and the platform's ledger balance equals what
Stripe (the emulator) holds.

Stripe also fails now and then, for one money call (funding, a refund, a dispute resolved by refund or split):
either it cannot be reached at all, or it does what it was asked and its answer is lost on the way back. Either
way the request answers 503 and changes nothing; once Stripe is back the reconciler finishes the operation, and
each is charged, refunded and booked once."""

import http.client
import json
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from itertools import count
from urllib.parse import urlsplit

import pytest
import stripe
from django.test import Client as PageClient
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contracts.models import Dispute, Milestone
from contracts.tests.factories import make_contract
from devtools.webhook_setup import endpoint_path, local_endpoint
from gigs.models import Order
from gigs.tests.order_factories import PACKAGES, make_service
from payments.customers import customer_id_for
from payments.models import LedgerAccount, LedgerTransaction, Payment, PaymentOperation
from payments.operations import operations_reconcile
from payments.reconciliation import compare
from payments.stripe_client import sdk as stripe_sdk
from payments.tasks import reconcile
from tests.helpers.money import assert_ledger_balanced, balance, emulator_available, escrow_of
from tests.helpers.stripe_emulator import _free_port

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Stripe's US card pricing: 2.9% + 30¢ a charge; 15.00 a dispute, returned when it is won.
CARD_PERCENT_BP, CARD_FIXED, DISPUTE_FEE = 290, 30, 1500


def stripe_card_fee(amount: int) -> int:
    return (amount * CARD_PERCENT_BP + 5_000) // 10_000 + CARD_FIXED


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
def stripe_events(stripe_clean):
    """Stripe's events of the test, captured to be delivered to the webhook endpoint; Stripe's pricing on."""
    stripe_emulator = stripe_clean
    # Stripe sends each event a second after it happened: the last ones of an earlier test go out first, or they
    # would be delivered here about objects the reset has removed.
    time.sleep(1.2)
    server = HTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stripe_emulator.register_webhook("property-capture", f"http://127.0.0.1:{server.server_port}/",
                                     local_endpoint().secret)
    stripe_emulator.request("POST", "/_config/pricing", [("card_percent", str(CARD_PERCENT_BP)),
                                                         ("card_fixed", str(CARD_FIXED)),
                                                         ("dispute_fee", str(DISPUTE_FEE))])
    yield _Capture.received
    stripe_emulator.request("POST", "/_config/pricing", [("card_percent", "0"), ("card_fixed", "0"),
                                                         ("dispute_fee", "0")])
    stripe_emulator.unregister_webhook("property-capture")
    server.shutdown()


# The calls that move money at Stripe: an answer lost on one of these leaves the platform not knowing what it did.
MONEY_CALLS = ("/v1/payment_intents", "/v1/refunds", "/v1/transfers")


class _LosesMoneyAnswers(BaseHTTPRequestHandler):
    """Between the platform and Stripe: every request reaches Stripe, but the answer to a call that moves money
    never comes back (the connection closes), as when a network drops after Stripe acted."""

    upstream = ""
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        target = urlsplit(type(self).upstream)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        connection.request(self.command, self.path, body=body or None, headers=headers)
        answer = connection.getresponse()
        content = answer.read()
        connection.close()
        if self.command == "POST" and self.path.split("?")[0] in MONEY_CALLS:
            self.close_connection = True  # Stripe acted; its answer is lost
            return
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stripe_faults(stripe_emulator):
    """`with stripe_faults("down")`: Stripe cannot be reached (nothing listens there); `with
    stripe_faults("lost")`: Stripe acts on money calls but their answers are lost. Stripe answers again after."""
    _LosesMoneyAnswers.upstream = stripe_emulator.url
    lossy = ThreadingHTTPServer(("127.0.0.1", 0), _LosesMoneyAnswers)
    threading.Thread(target=lossy.serve_forever, daemon=True).start()
    addresses = {"down": f"http://127.0.0.1:{_free_port()}", "lost": f"http://127.0.0.1:{lossy.server_port}"}

    @contextmanager
    def fault(kind: str):
        try:
            with override_settings(STRIPE_API_BASE=addresses[kind], STRIPE_API_HOST=addresses[kind],
                                   STRIPE_MAX_NETWORK_RETRIES=0, STRIPE_TIMEOUT_SECONDS=10.0):
                yield
        finally:
            stripe.api_base = stripe_emulator.url

    yield fault
    lossy.shutdown()
    lossy.server_close()
    stripe.api_base = stripe_emulator.url


def _unchanged_by_a_failure(milestone_id: int) -> tuple:
    """What a failed money request must leave as it was: the milestone, its disputes, the ledger, the payments."""
    milestone = Milestone.objects.get(pk=milestone_id)
    disputes = tuple(Dispute.objects.filter(milestone_id=milestone_id).order_by("pk").values_list("status",
                                                                                                   "resolution"))
    return (milestone.status, milestone.payment_intent_id, milestone.contract.status, disputes,
            LedgerTransaction.objects.count(), Payment.objects.count(), balance(LedgerAccount.PLATFORM_CASH))


_people = count(1)

amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("5000.00"), places=2)
operation = st.one_of(
    st.tuples(st.just("add"), amounts),
    st.tuples(st.sampled_from(["fund", "submit", "approve", "refund", "changes", "dispute"]), st.integers(0, 3)),
    st.tuples(st.just("resolve"), st.integers(0, 3), st.sampled_from(["release", "refund", "split"])),
    # What card holders and Stripe's dashboard do: a chargeback (then won, lost or left open), a refund by hand.
    st.tuples(st.just("chargeback"), st.integers(0, 3), st.sampled_from(["won", "lost", "open"])),
    st.tuples(st.just("outside_refund"), st.integers(0, 3), st.integers(1, 99)),
    # Stripe failing for the milestone's next money call (funding, a refund, a dispute resolved by refund or
    # split): unreachable, or acting with its answer lost.
    st.tuples(st.just("fault"), st.integers(0, 3), st.sampled_from(["down", "lost"]),
              st.sampled_from(["refund", "split"])),
    # Orders of the freelancer's service, paid into the same escrow: placed (a package, with or without an
    # extra), then delivered, sent back, accepted, cancelled by both, disputed and resolved.
    st.tuples(st.just("order"), st.sampled_from(["basic", "standard", "premium"]), st.booleans()),
    st.tuples(st.just("order_step"), st.integers(0, 3),
              st.sampled_from(["deliver", "revise", "accept", "cancel", "dispute"])),
    st.tuples(st.just("order_resolve"), st.integers(0, 3), st.sampled_from(["release", "refund", "split"])),
)
EXTRA_CENTS = 2500  # the service's first extra, "Express delivery", 25.00


@settings(max_examples=16, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=3, max_size=14))
# Besides the generated sequences, each money call meeting each failure at least once.
@example(operations=[("add", Decimal("120.00")), ("fund", 0), ("fault", 0, "down", "refund"),
                     ("fault", 0, "lost", "refund"), ("outside_refund", 0, 50), ("approve", 0)])
@example(operations=[("add", Decimal("250.00")), ("add", Decimal("33.33")), ("fund", 0), ("fund", 1),
                     ("dispute", 0), ("fault", 0, "lost", "split"), ("resolve", 0, "release"),
                     ("chargeback", 1, "lost"), ("fault", 1, "lost", "refund")])
@example(operations=[("add", Decimal("75.10")), ("add", Decimal("19.99")), ("fund", 0), ("dispute", 0),
                     ("fault", 0, "down", "split"), ("fault", 1, "lost", "refund"), ("fund", 1), ("submit", 1),
                     ("approve", 1), ("fault", 0, "down", "refund")])
@example(operations=[("add", Decimal("40.00")), ("add", Decimal("60.00")), ("fund", 0), ("dispute", 0),
                     ("fault", 0, "lost", "refund"), ("fault", 1, "down", "refund"), ("chargeback", 0, "won"),
                     ("resolve", 0, "split")])
@example(operations=[("order", "standard", True), ("order", "basic", False), ("order_step", 0, "deliver"),
                     ("order_step", 0, "revise"), ("order_step", 0, "deliver"), ("order_step", 0, "accept"),
                     ("order_step", 1, "cancel"), ("order", "premium", False), ("order_step", 2, "dispute"),
                     ("order_resolve", 2, "split"), ("add", Decimal("80.00")), ("fund", 0)])
def test_random_money_operations_keep_the_books_right(operations, make_user, client_for, stripe_emulator,
                                                      stripe_events, stripe_faults):
    stripe_events.clear()
    webhooks = PageClient()
    n = next(_people)
    client = make_user("client", email=f"prop-client-{n}@example.com")
    freelancer = make_user("freelancer", email=f"prop-freelancer-{n}@example.com")
    staff = make_user("", is_staff=True, is_superuser=True, email=f"prop-staff-{n}@example.com")
    contract = make_contract(client, freelancer)
    customer_id_for(client)  # the client already pays through Stripe: a fault meets the money call itself
    apis = {"client": client_for(client), "freelancer": client_for(freelancer), "staff": client_for(staff)}
    cash_before, stripe_before = balance(LedgerAccount.PLATFORM_CASH), emulator_available()
    fees_before, losses_before = balance(LedgerAccount.STRIPE_FEES), balance(LedgerAccount.LOSSES)
    operations_before = set(PaymentOperation.objects.values_list("pk", flat=True))
    milestones: list[int] = []
    cents: dict[int, int] = {}  # each milestone's amount in cents, as the test asked for it
    charged: set[int] = set()  # the milestones whose card Stripe is to charge, once
    expected_losses = 0
    expected_dispute_fees = 0
    disputed: set[str] = set()
    service = make_service(freelancer, title=f"Logos {n}")
    order_cents: dict[int, int] = {}  # each order's total in cents, from the package and extra prices

    def money_step(step: str, target: int):
        """The request for a step; None when the step has nothing to act on."""
        if step == "fund":
            return apis["client"].post(f"/api/milestones/{target}/fund", {"payment_method": "pm_card_visa"},
                                       format="json")
        if step == "submit":
            return apis["freelancer"].post(f"/api/milestones/{target}/submit", {"note": "done"}, format="json")
        if step == "approve":
            return apis["client"].post(f"/api/milestones/{target}/approve")
        if step == "refund":
            return apis["freelancer"].post(f"/api/milestones/{target}/refund", {}, format="json")
        if step == "changes":
            return apis["client"].post(f"/api/milestones/{target}/request-changes", {"note": "again"},
                                       format="json")
        if step == "dispute":
            return apis["client"].post(f"/api/contracts/{contract.id}/dispute",
                                       {"milestone_id": target, "reason": "not as agreed"}, format="json")
        dispute = Milestone.objects.get(pk=target).disputes.filter(status="open").first()
        if dispute is None:
            return None
        resolution = step.removeprefix("resolve_")
        body = {"resolution": resolution}
        if resolution == "split":
            if cents[target] < 2:
                return None
            body["freelancer_amount"] = f"{cents[target] // 2 // 100}.{cents[target] // 2 % 100:02d}"
        return apis["staff"].post(f"/api/disputes/{dispute.pk}/resolve", body, format="json")

    def order_step(step: str, target: int) -> list:
        """The requests for a step of an order (cancelling takes both parties)."""
        path = f"/api/orders/{target}"
        if step == "deliver":
            return [apis["freelancer"].post(f"{path}/deliver", {"note": "done"}, format="json")]
        if step == "revise":
            return [apis["client"].post(f"{path}/request-revision", {"reason": "again"}, format="json")]
        if step == "accept":
            return [apis["client"].post(f"{path}/accept")]
        if step == "cancel":
            return [apis["client"].post(f"{path}/cancel", {}, format="json"),
                    apis["freelancer"].post(f"{path}/cancel", {}, format="json")]
        if step == "dispute":
            return [apis["client"].post(f"{path}/dispute", {"reason": "not as agreed"}, format="json")]
        body = {"resolution": step}
        if step == "split":
            half = order_cents[target] // 2
            body["freelancer_amount"] = f"{half // 100}.{half % 100:02d}"
        return [apis["staff"].post(f"{path}/resolve", body, format="json")]

    for op in operations:
        kind = op[0]
        if kind == "order":
            extras = [service.extras.get(title="Express delivery").pk] if op[2] else []
            response = apis["client"].post("/api/orders", {"service_id": service.pk, "tier": op[1], "extras": extras,
                                                           "requirements": "Acme", "payment_method": "pm_card_visa"},
                                           format="json")
            assert response.status_code == 201, response.content
            order_cents[response.json()["id"]] = int(PACKAGES[op[1]][2] * 100) + (EXTRA_CENTS if op[2] else 0)
            assert_ledger_balanced()
            continue
        if kind in ("order_step", "order_resolve"):
            if not order_cents:
                continue
            target = sorted(order_cents)[op[1] % len(order_cents)]
            for response in order_step(op[2], target):
                assert response.status_code in (200, 201, 403, 404, 409), (op, response.status_code, response.content)
            assert_ledger_balanced()
            continue
        if kind == "add":
            response = apis["client"].post(f"/api/contracts/{contract.id}/milestones",
                                           {"title": "Part", "amount": str(op[1])}, format="json")
            assert response.status_code in (201, 409)  # 409: no new milestones while the contract is disputed
            if response.status_code == 201:
                milestones.append(response.json()["id"])
                cents[milestones[-1]] = int(op[1] * 100)
            continue
        if not milestones:
            continue
        target = milestones[op[1] % len(milestones)]
        if kind in ("chargeback", "outside_refund"):
            intent_id = Milestone.objects.get(pk=target).payment_intent_id
            if not intent_id:
                continue
            charge = stripe_sdk().PaymentIntent.retrieve(intent_id)["latest_charge"]
            charge = stripe_sdk().Charge.retrieve(charge if isinstance(charge, str) else charge["id"])
            left = charge["amount"] - charge["amount_refunded"]
            if charge["status"] != "succeeded" or left <= 0 or charge["id"] in disputed:
                continue
            if kind == "outside_refund":
                amount = max(1, left * op[2] // 100)
                stripe_emulator.request("POST", f"/_config/charges/{charge['id']}/refund", [("amount", str(amount))])
                expected_losses += amount
                continue
            dispute = stripe_emulator.request("POST", f"/_config/charges/{charge['id']}/dispute", [])
            disputed.add(charge["id"])
            if op[2] != "won":
                expected_dispute_fees += DISPUTE_FEE
            if op[2] == "lost":
                expected_losses += left
            if op[2] != "open":
                stripe_emulator.request("POST", f"/_config/disputes/{dispute['id']}/close", [("outcome", op[2])])
            continue
        if kind == "fault":
            # Stripe fails for this one call: the request answers 503 (or is refused before Stripe is asked) and
            # nothing the client, the freelancer or staff see changes, the ledger included.
            step = {"pending": "fund", "funded": "refund", "submitted": "refund",
                    "disputed": f"resolve_{op[3]}"}.get(Milestone.objects.get(pk=target).status)
            if step is None:
                continue
            before = _unchanged_by_a_failure(target)
            with stripe_faults(op[2]):
                response = money_step(step, target)
            if response is None:
                continue
            assert response.status_code in (400, 403, 409, 503), (op, response.status_code, response.content)
            if response.status_code == 503:
                assert response.json()["error_type"] == "payment_provider_unavailable", response.json()
                if step == "fund":
                    charged.add(target)  # asked of Stripe: done now (answer lost) or by the reconciler
            assert _unchanged_by_a_failure(target) == before, op
            assert_ledger_balanced()
            continue
        response = money_step(kind if kind != "resolve" else f"resolve_{op[2]}", target)
        if response is None:
            continue
        assert response.status_code in (200, 201, 400, 403, 409), (op, response.status_code, response.content)
        if kind == "fund" and response.status_code == 200:
            charged.add(target)
        assert_ledger_balanced()

    def deliver() -> None:
        """Stripe's events so far reach the webhook endpoint, each twice: redelivery books nothing more."""
        time.sleep(1.3)  # Stripe sends each event a second after it happened
        for body, signature in list(stripe_events) * 2:
            response = webhooks.post(endpoint_path(local_endpoint()), data=body, content_type="application/json",
                                     HTTP_STRIPE_SIGNATURE=signature)
            assert response.status_code == 200, (json.loads(body)["type"], response.content)

    # Stripe answers again: the reconciler finishes what it did not answer for, then its regular run; then
    # Stripe's events of the sequence and of what the reconciler asked arrive (booked ones book nothing more).
    assert operations_reconcile(left_for=timedelta(0))["still_unknown"] == 0
    reconcile()
    deliver()
    assert_ledger_balanced()
    assert not PaymentOperation.objects.exclude(pk__in=operations_before).exclude(status__in=["booked", "failed"])

    # Each milestone charged at most once, at Stripe and in the ledger; each money operation done at most once.
    intents = Counter(int(pi["metadata"]["milestone_id"]) for pi in stripe_sdk().PaymentIntent.list(
        limit=100).auto_paging_iter() if pi["status"] == "succeeded" and (pi.get("metadata") or {}).get(
        "milestone_id") and int(pi["metadata"]["milestone_id"]) in cents)
    assert dict(intents) == dict.fromkeys(charged, 1)
    booked = Counter(LedgerTransaction.objects.filter(milestone_id__in=cents, kind__in=["funding", "refund"])
                     .values_list("kind", "milestone_id"))
    assert {key for key, times in booked.items() if key[0] == "funding"} == {("funding", m) for m in charged}
    assert set(booked.values()) <= {1}, booked
    keys = Counter(r["metadata"].get("operation") for r in stripe_sdk().Refund.list(limit=100).auto_paging_iter()
                   if (r.get("metadata") or {}).get("operation"))
    assert set(keys.values()) <= {1}, keys

    # Each order charged once, at Stripe and in the ledger.
    order_intents = Counter(int(pi["metadata"]["order_id"]) for pi in stripe_sdk().PaymentIntent.list(
        limit=100).auto_paging_iter() if pi["status"] == "succeeded" and (pi.get("metadata") or {}).get(
        "order_id") and int(pi["metadata"]["order_id"]) in order_cents)
    assert dict(order_intents) == dict.fromkeys(order_cents, 1)
    order_books = Counter(LedgerTransaction.objects.filter(order_id__in=order_cents).values_list("kind", "order_id"))
    assert set(order_books.values()) <= {1}, order_books

    # Stripe's fees: its pricing on every card payment that went through, and the disputes not won.
    assert balance(LedgerAccount.STRIPE_FEES) - fees_before == (
        sum(stripe_card_fee(cents[m]) for m in charged) + sum(stripe_card_fee(c) for c in order_cents.values())
        + expected_dispute_fees)
    assert balance(LedgerAccount.LOSSES) - losses_before == expected_losses
    # Escrow holds exactly what is funded and not yet settled.
    held = Milestone.objects.filter(contract=contract, status__in=["funded", "submitted", "disputed"])
    assert escrow_of(contract.id) == Decimal(sum(cents[m.pk] for m in held)) / 100
    held_orders = Order.objects.filter(pk__in=order_cents,
                                       status__in=["in_progress", "delivered", "revision_requested", "disputed"])
    assert -balance(LedgerAccount.ESCROW, transaction__order_id__in=list(order_cents)) == sum(
        order_cents[o.pk] for o in held_orders)
    for order in Order.objects.filter(pk__in=order_cents, status="cancelled", disputes__isnull=True):
        assert Payment.objects.get(kind="refund", order_id=order.pk).amount == order_cents[order.pk]
    # What the freelancer is owed is the net of every release.
    owed = -balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer)
    releases = Payment.objects.filter(user=freelancer, kind="release")
    assert owed == sum(p.amount for p in releases)
    for milestone in Milestone.objects.filter(contract=contract, status="released", disputes__isnull=True):
        gross = cents[milestone.pk]
        assert releases.get(milestone_id=milestone.pk).amount == gross - (gross * 10 + 50) // 100
    for order in Order.objects.filter(pk__in=order_cents, status="completed", disputes__isnull=True):
        gross = order_cents[order.pk]
        assert releases.get(order_id=order.pk).amount == gross - (gross * 10 + 50) // 100
    # The platform's books match Stripe's: its balance, and every one of its balance transactions.
    assert balance(LedgerAccount.PLATFORM_CASH) - cash_before == emulator_available() - stripe_before
    found = compare()
    assert found.fees_booked == 0
    assert found.findings == []
