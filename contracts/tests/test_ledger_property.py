"""Property: whatever sequence of money operations people attempt, and whatever Stripe does on its own meanwhile
(its fees, chargebacks opened, won or lost, refunds made in its dashboard), once Stripe's events are delivered the
ledger balances, escrow holds exactly the funded and unsettled milestones, Stripe's fees and the platform's losses
are what Stripe's pricing and the card holders' actions make them, and the platform's ledger balance equals what
Stripe (the emulator) holds."""

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from itertools import count

import pytest
from django.test import Client as PageClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.models import Milestone
from contracts.tests.factories import make_contract
from core.money import fee_minor, to_minor
from devtools.webhook_setup import endpoint_path, local_endpoint
from payments.models import LedgerAccount, Payment
from payments.reconciliation import compare
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import assert_ledger_balanced, balance, emulator_available, escrow_of

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

_people = count(1)

amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("5000.00"), places=2)
operation = st.one_of(
    st.tuples(st.just("add"), amounts),
    st.tuples(st.sampled_from(["fund", "submit", "approve", "refund", "changes", "dispute"]), st.integers(0, 3)),
    st.tuples(st.just("resolve"), st.integers(0, 3), st.sampled_from(["release", "refund", "split"])),
    # What card holders and Stripe's dashboard do: a chargeback (then won, lost or left open), a refund by hand.
    st.tuples(st.just("chargeback"), st.integers(0, 3), st.sampled_from(["won", "lost", "open"])),
    st.tuples(st.just("outside_refund"), st.integers(0, 3), st.integers(1, 99)),
)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=3, max_size=14))
def test_random_money_operations_keep_the_books_right(operations, make_user, client_for, stripe_emulator,
                                                      stripe_events):
    stripe_events.clear()
    webhooks = PageClient()
    n = next(_people)
    client = make_user("client", email=f"prop-client-{n}@example.com")
    freelancer = make_user("freelancer", email=f"prop-freelancer-{n}@example.com")
    staff = make_user("", is_staff=True, is_superuser=True, email=f"prop-staff-{n}@example.com")
    contract = make_contract(client, freelancer)
    apis = {"client": client_for(client), "freelancer": client_for(freelancer), "staff": client_for(staff)}
    cash_before, stripe_before = balance(LedgerAccount.PLATFORM_CASH), emulator_available()
    fees_before, losses_before = balance(LedgerAccount.STRIPE_FEES), balance(LedgerAccount.LOSSES)
    milestones: list[int] = []
    expected_losses = 0
    expected_dispute_fees = 0
    disputed: set[str] = set()

    for op in operations:
        kind = op[0]
        if kind == "add":
            response = apis["client"].post(f"/api/contracts/{contract.id}/milestones",
                                           {"title": "Part", "amount": str(op[1])}, format="json")
            assert response.status_code in (201, 409)  # 409: no new milestones while the contract is disputed
            if response.status_code == 201:
                milestones.append(response.json()["id"])
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
        if kind == "fund":
            status = apis["client"].post(f"/api/milestones/{target}/fund", {"payment_method": "pm_card_visa"},
                                         format="json").status_code
        elif kind == "submit":
            status = apis["freelancer"].post(f"/api/milestones/{target}/submit", {"note": "done"},
                                             format="json").status_code
        elif kind == "approve":
            status = apis["client"].post(f"/api/milestones/{target}/approve").status_code
        elif kind == "refund":
            status = apis["freelancer"].post(f"/api/milestones/{target}/refund", {}, format="json").status_code
        elif kind == "changes":
            status = apis["client"].post(f"/api/milestones/{target}/request-changes", {"note": "again"},
                                         format="json").status_code
        elif kind == "dispute":
            status = apis["client"].post(f"/api/contracts/{contract.id}/dispute",
                                         {"milestone_id": target, "reason": "not as agreed"},
                                         format="json").status_code
        else:
            dispute = Milestone.objects.get(pk=target).disputes.filter(status="open").first()
            if dispute is None:
                continue
            amount = Milestone.objects.get(pk=target).amount
            body = {"resolution": op[2]}
            if op[2] == "split":
                if amount < Decimal("0.02"):
                    continue
                body["freelancer_amount"] = str((amount / 2).quantize(Decimal("0.01")))
            status = apis["staff"].post(f"/api/disputes/{dispute.pk}/resolve", body, format="json").status_code
        assert status in (200, 201, 400, 403, 409), (op, status)
        assert_ledger_balanced()

    # Stripe's events of the sequence reach the webhook endpoint (each twice: redelivery books nothing more).
    time.sleep(1.3)
    for body, signature in list(stripe_events) * 2:
        response = webhooks.post(endpoint_path(local_endpoint()), data=body, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=signature)
        assert response.status_code == 200, (json.loads(body)["type"], response.content)
    assert_ledger_balanced()

    # Stripe's fees: its pricing on every card payment that went through, and the disputes not won.
    charged = [p["amount"] for p in Payment.objects.filter(user=client, kind="funding").values("amount")]
    assert balance(LedgerAccount.STRIPE_FEES) - fees_before == (
        sum(stripe_card_fee(amount) for amount in charged) + expected_dispute_fees)
    assert balance(LedgerAccount.LOSSES) - losses_before == expected_losses
    # Escrow holds exactly what is funded and not yet settled.
    held = Milestone.objects.filter(contract=contract, status__in=["funded", "submitted", "disputed"])
    assert escrow_of(contract.id) == sum((m.amount for m in held), Decimal("0.00"))
    # What the freelancer is owed is the net of every release.
    owed = -balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer)
    releases = Payment.objects.filter(user=freelancer, kind="release")
    assert owed == sum(p.amount for p in releases)
    for milestone in Milestone.objects.filter(contract=contract, status="released", disputes__isnull=True):
        gross = to_minor(milestone.amount)
        assert releases.get(milestone_id=milestone.pk).amount == gross - fee_minor(gross, 10)
    # The platform's books match Stripe's: its balance, and every one of its balance transactions.
    assert balance(LedgerAccount.PLATFORM_CASH) - cash_before == emulator_available() - stripe_before
    found = compare()
    assert found.fees_booked == 0
    assert found.findings == []
