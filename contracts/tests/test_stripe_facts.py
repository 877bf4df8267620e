"""What Stripe does on its own reaches the ledger: its fees, chargebacks opened, won and lost, refunds made in
its dashboard, reversed transfers, failed and unexpected payments. Real signed events from the emulator,
delivered to the webhook endpoint; after each, the platform's cash in the ledger equals Stripe's balance.
Expected figures are worked out here from Stripe's published pricing, not from the code under test."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from contracts.models import Milestone
from contracts.tests.factories import make_contract
from devtools.webhook_setup import endpoint_path, local_endpoint
from messaging.models import Notification
from payments.models import LedgerAccount, LedgerTransaction, Payment, ReconciliationMismatch
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import (
    DECLINED_CARD,
    add_milestone,
    assert_ledger_balanced,
    balance,
    card,
    emulator_available,
    fund,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

# Stripe's US card pricing: 2.9% + 30¢ a charge, 15.00 a dispute (returned when the dispute is won).
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
def events(stripe_emulator):
    _Capture.received = []
    server = HTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stripe_emulator.register_webhook("facts-capture", f"http://127.0.0.1:{server.server_port}/",
                                     local_endpoint().secret)
    yield _Capture.received
    stripe_emulator.unregister_webhook("facts-capture")
    server.shutdown()


@pytest.fixture
def priced(stripe_clean):
    stripe_clean.request("POST", "/_config/pricing", [("card_percent", str(CARD_PERCENT_BP)),
                                                      ("card_fixed", str(CARD_FIXED)),
                                                      ("dispute_fee", str(DISPUTE_FEE))])
    return stripe_clean


def wait_events(events, event_type, object_id, count=1, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [(b, s) for b, s in list(events) if json.loads(b)["type"] == event_type
                 and json.loads(b)["data"]["object"]["id"] == object_id]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} for {object_id}; got {[json.loads(b)['type'] for b, _ in events]}")


def deliver(client, found):
    for body, signature in found:
        response = client.post(endpoint_path(local_endpoint()), data=body, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=signature)
        assert response.status_code == 200, response.content


def books_match_stripe():
    assert_ledger_balanced()
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available()


@pytest.fixture
def funded(client_user, freelancer_user, client_for, priced, events, client):
    """A milestone of 640.00 funded by card, its `payment_intent.succeeded` delivered."""
    contract = make_contract(client_user, freelancer_user)
    api = client_for(client_user)
    milestone = add_milestone(api, contract.id, "640.00")
    assert fund(api, milestone["id"]).status_code == 200
    intent_id = Milestone.objects.get(pk=milestone["id"]).payment_intent_id
    deliver(client, wait_events(events, "payment_intent.succeeded", intent_id))
    charge_id = stripe_sdk().PaymentIntent.retrieve(intent_id)["latest_charge"]
    charge_id = charge_id if isinstance(charge_id, str) else charge_id["id"]
    return {"milestone": milestone, "intent": intent_id, "charge": charge_id, "contract": contract, "api": api}


def staff_alerts():
    return Notification.objects.filter(kind="money_alert")


def test_stripes_fee_on_a_card_payment_is_booked_once(funded, client, events):
    fee = stripe_card_fee(64_000)
    assert fee == 1_886
    assert balance(LedgerAccount.STRIPE_FEES) == fee
    assert emulator_available() == 64_000 - fee
    books_match_stripe()
    deliver(client, wait_events(events, "payment_intent.succeeded", funded["intent"]))  # again
    assert balance(LedgerAccount.STRIPE_FEES) == fee
    books_match_stripe()


def test_a_chargeback_lost_is_withdrawn_flagged_told_and_written_off(funded, client, events, staff_user, priced):
    dispute = priced.request("POST", f"/_config/charges/{funded['charge']}/dispute", [("reason", "fraudulent")])
    deliver(client, wait_events(events, "charge.dispute.created", dispute["id"]))
    milestone = Milestone.objects.get(pk=funded["milestone"]["id"])
    assert milestone.chargeback == "open"
    assert -balance(LedgerAccount.PLATFORM_CASH) + 64_000 - stripe_card_fee(64_000) == 64_000 + DISPUTE_FEE
    assert balance(LedgerAccount.DISPUTED) == 64_000
    assert staff_alerts().filter(user=staff_user).count() == 1
    books_match_stripe()

    priced.request("POST", f"/_config/disputes/{dispute['id']}/close", [("outcome", "lost")])
    closed = wait_events(events, "charge.dispute.closed", dispute["id"])
    deliver(client, closed + closed)
    assert Milestone.objects.get(pk=milestone.pk).chargeback == "lost"
    assert balance(LedgerAccount.DISPUTED) == 0
    assert balance(LedgerAccount.LOSSES) == 64_000
    assert staff_alerts().filter(user=staff_user).count() == 2
    books_match_stripe()


def test_a_chargeback_won_returns_the_money_and_the_fee_in_any_order(funded, client, events, priced):
    dispute = priced.request("POST", f"/_config/charges/{funded['charge']}/dispute", [])
    wait_events(events, "charge.dispute.created", dispute["id"])
    priced.request("POST", f"/_config/disputes/{dispute['id']}/close", [("outcome", "won")])
    wait_events(events, "charge.dispute.closed", dispute["id"])
    time.sleep(1.2)
    about = [(b, s) for b, s in list(events) if json.loads(b)["data"]["object"]["id"] == dispute["id"]]
    assert {json.loads(b)["type"] for b, _ in about} == {
        "charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
        "charge.dispute.closed"}
    deliver(client, list(reversed(about)) + about)
    assert Milestone.objects.get(pk=funded["milestone"]["id"]).chargeback == "won"
    assert balance(LedgerAccount.DISPUTED) == 0 and balance(LedgerAccount.LOSSES) == 0
    assert balance(LedgerAccount.STRIPE_FEES) == stripe_card_fee(64_000)  # the dispute fee came back
    assert LedgerTransaction.objects.filter(kind__in=["chargeback", "chargeback_won"]).count() == 2
    books_match_stripe()


def test_a_refund_made_in_stripes_dashboard_is_booked_shown_and_told(funded, client, events, priced, staff_user,
                                                                     client_user, client_for):
    refund = priced.request("POST", f"/_config/charges/{funded['charge']}/refund", [("amount", "10000")])
    deliver(client, wait_events(events, "charge.refunded", funded["charge"]))
    assert balance(LedgerAccount.LOSSES) == 10_000
    rows = [p for p in client_for(client_user).get("/api/payments").json()["results"] if p["kind"] == "refund"]
    assert [(r["amount"], r["currency"]) for r in rows] == [("100.00", "usd")]
    assert Payment.objects.get(kind="refund").stripe_refund == refund["id"]
    assert staff_alerts().filter(user=staff_user).count() == 1
    books_match_stripe()

    # A refund the platform makes itself sends the same event; it is booked once, as the platform's.
    freelancer = Milestone.objects.get(pk=funded["milestone"]["id"]).contract.freelancer
    assert client_for(freelancer).post(f"/api/milestones/{funded['milestone']['id']}/refund", {},
                                       format="json").status_code == 200
    deliver(client, wait_events(events, "charge.refunded", funded["charge"], count=2))
    assert LedgerTransaction.objects.filter(kind="outside_refund").count() == 1
    assert staff_alerts().filter(user=staff_user).count() == 1
    books_match_stripe()


def test_a_failed_payment_tells_the_payer_once(client_user, freelancer_user, client_for, priced, events, client,
                                               django_capture_on_commit_callbacks, mailoutbox):
    contract = make_contract(client_user, freelancer_user)
    api = client_for(client_user)
    milestone = add_milestone(api, contract.id, "80.00")
    assert fund(api, milestone["id"], card(DECLINED_CARD)).status_code == 402
    deadline = time.monotonic() + 10
    while not [b for b, _ in list(events) if json.loads(b)["type"] == "payment_intent.payment_failed"]:
        assert time.monotonic() < deadline, "no payment_intent.payment_failed arrived"
        time.sleep(0.1)
    failed = [(b, s) for b, s in list(events) if json.loads(b)["type"] == "payment_intent.payment_failed"
              and json.loads(b)["data"]["object"]["metadata"].get("milestone_id") == str(milestone["id"])]
    assert len(failed) == 1
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, failed + failed)
    told = Notification.objects.filter(user=client_user, kind="payment_failed")
    assert told.count() == 1
    assert "80.00" in told.get().title
    # And by e-mail, once, saying what failed and where to try again.
    emails = [m for m in mailoutbox if m.to == [client_user.email]]
    assert len(emails) == 1, [m.subject for m in mailoutbox]
    assert "80.00" in emails[0].subject and "did not go through" in emails[0].subject
    assert "/payments/" in emails[0].body
    books_match_stripe()


def test_a_payment_for_another_amount_is_refunded_and_staff_told(client_user, freelancer_user, client_for, priced,
                                                                 events, client, staff_user,
                                                                 django_capture_on_commit_callbacks, mailoutbox):
    contract = make_contract(client_user, freelancer_user)
    milestone = add_milestone(client_for(client_user), contract.id, "300.00")
    sdk = stripe_sdk()
    intent = sdk.PaymentIntent.create(
        amount=12_345, currency="usd", payment_method="pm_card_visa", confirm=True, payment_method_types=["card"],
        metadata={"purpose": "escrow_funding", "milestone_id": str(milestone["id"]), "contract_id": str(contract.id)})
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, wait_events(events, "payment_intent.succeeded", intent.id))
    assert Milestone.objects.get(pk=milestone["id"]).status == "pending"
    refunds = sdk.Refund.list(payment_intent=intent.id)["data"]
    assert [r["amount"] for r in refunds] == [12_345]
    assert staff_alerts().filter(user=staff_user).count() == 1
    alert = staff_alerts().get(user=staff_user)
    emails = [m for m in mailoutbox if m.to == [staff_user.email]]
    assert len(emails) == 1 and emails[0].subject == f"Needs attention: {alert.title}", [m.subject for m in mailoutbox]
    assert alert.message in emails[0].body and "/admin/" in emails[0].body
    assert balance(LedgerAccount.STRIPE_FEES) == stripe_card_fee(12_345)
    assert balance(LedgerAccount.SUSPENSE) == 0
    books_match_stripe()


def test_a_reversed_transfer_comes_back_owed_to_the_freelancer(funded, client, events, priced, freelancer_user,
                                                               client_for, stripe_emulator,
                                                               django_capture_on_commit_callbacks):
    freelancer_api = client_for(freelancer_user)
    assert freelancer_api.post(f"/api/milestones/{funded['milestone']['id']}/submit", {"note": "done"},
                               format="json").status_code == 200
    assert funded["api"].post(f"/api/milestones/{funded['milestone']['id']}/approve").status_code == 200
    freelancer_api.post("/api/payments/connect/onboard", {}, format="json")
    account_id = freelancer_api.get("/api/payments/connect/status").json()["stripe_account_id"]
    stripe_emulator.complete_onboarding(account_id)
    with django_capture_on_commit_callbacks(execute=True):
        freelancer_api.get("/api/payments/connect/status")
    transfer = stripe_sdk().Transfer.list(destination=account_id)["data"][0]
    net = 64_000 - 6_400
    assert transfer["amount"] == net and balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == 0
    stripe_sdk().Transfer.create_reversal(transfer["id"], amount=20_000)
    found = wait_events(events, "transfer.reversed", transfer["id"])
    deliver(client, found + found)
    assert -balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == 20_000
    assert LedgerTransaction.objects.filter(kind="reversal").count() == 1
    books_match_stripe()


def test_daily_reconciliation_records_what_differs_until_it_is_booked(funded, client, events, priced,
                                                                       staff_user):
    from payments.tasks import reconcile_daily

    assert reconcile_daily()["mismatches"] == 0
    assert ReconciliationMismatch.objects.count() == 0
    # A refund in the dashboard whose event has not arrived yet.
    refund = priced.request("POST", f"/_config/charges/{funded['charge']}/refund", [("amount", "2500")])
    assert reconcile_daily()["mismatches"] == 2
    open_ = ReconciliationMismatch.objects.filter(resolved_at__isnull=True)
    kinds = {m.kind: m for m in open_}
    assert set(kinds) == {"missing_in_ledger", "balance"}
    assert kinds["missing_in_ledger"].stripe_amount == -2_500 and kinds["missing_in_ledger"].ledger_amount == 0
    assert kinds["balance"].stripe_amount - kinds["balance"].ledger_amount == -2_500
    assert refund["id"] in kinds["missing_in_ledger"].detail
    reconcile_daily()  # seen again: still two rows
    assert ReconciliationMismatch.objects.count() == 2

    from django.test import Client
    staff_pages = Client()
    staff_pages.force_login(staff_user)
    page = staff_pages.get("/admin/payments/reconciliationmismatch/")
    assert page.status_code == 200 and refund["id"].encode() in page.content
    from payments.metrics import RECONCILIATION
    samples = {s.labels["kind"]: s.value for family in RECONCILIATION.collect() for s in family.samples}
    assert samples["missing_in_ledger"] == 1 and samples["balance"] == 1

    deliver(client, wait_events(events, "charge.refunded", funded["charge"]))
    assert reconcile_daily()["mismatches"] == 0
    assert ReconciliationMismatch.objects.filter(resolved_at__isnull=True).count() == 0
    books_match_stripe()


def test_reconciliation_books_a_fee_whose_event_was_lost(client_user, freelancer_user, client_for, priced):
    from payments.tasks import reconcile_daily

    contract = make_contract(client_user, freelancer_user)
    api = client_for(client_user)
    milestone = add_milestone(api, contract.id, "99.99")
    assert fund(api, milestone["id"]).status_code == 200  # its webhook never reaches us
    assert balance(LedgerAccount.STRIPE_FEES) == 0
    result = reconcile_daily()
    assert result["fees_booked"] == 1 and result["mismatches"] == 0
    assert balance(LedgerAccount.STRIPE_FEES) == stripe_card_fee(9_999) == 320
    books_match_stripe()
