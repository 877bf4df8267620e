"""Stripe stopped, frozen, or answering to a process that dies before booking: funding and refunds answer
503 and change nothing visible, payouts stay held, and reconciliation books what Stripe did exactly once.

A private emulator process is started for the tests that stop or freeze Stripe (SIGKILL, SIGSTOP/SIGCONT);
the crash test kills a real process running the refund between Stripe's answer and the booking."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from contracts.models import Dispute, Milestone
from contracts.tests.factories import make_contract
from payments.customers import customer_id_for
from payments.models import LedgerAccount, LedgerTransaction, Payment, PaymentOperation, Payout
from payments.operations import operations_reconcile
from payments.stripe_client import longest_wait
from payments.stripe_client import sdk as stripe_sdk
from payments.tasks import reconcile, send_payouts
from tests.helpers.money import (
    add_milestone,
    assert_ledger_balanced,
    balance,
    emulator_available,
    fund,
    held_payout,
    payout_account_ready,
    transfers_to,
)
from tests.helpers.stripe_emulator import BASE_DIR, StripeEmulator, _free_port, _wait_until_listening

pytestmark = [pytest.mark.django_db(transaction=True)]


def _start(port: int, directory) -> StripeEmulator:
    log_file = directory / "emulator.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", "PYTHONUNBUFFERED": "1"}
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "stripe_emulator", "--port", str(port),
             "--state", str(directory / "state.pickle")], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    from django.conf import settings

    emulator = StripeEmulator(url=f"http://127.0.0.1:{port}", api_key=settings.STRIPE_SECRET_KEY, process=process,
                              log_file=log_file)
    _wait_until_listening(emulator, port)
    return emulator


@pytest.fixture
def private_stripe(tmp_path, settings):
    """A Stripe emulator of this test's own, which the test may kill, freeze and restart."""
    import stripe

    port = _free_port()
    started = [_start(port, tmp_path)]
    saved = stripe.api_base
    settings.STRIPE_API_BASE = settings.STRIPE_API_HOST = started[0].url
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 1

    class Control:
        emulator = started[0]

        def kill(self) -> None:
            self.emulator.process.send_signal(signal.SIGKILL)
            self.emulator.process.wait(timeout=10)

        def freeze(self) -> None:
            self.emulator.process.send_signal(signal.SIGSTOP)

        def thaw(self) -> None:
            self.emulator.process.send_signal(signal.SIGCONT)

        def restart(self) -> None:
            self.emulator = _start(port, tmp_path)
            started.append(self.emulator)

    yield Control()
    for emulator in started:
        if emulator.process.poll() is None:
            emulator.process.send_signal(signal.SIGCONT)
            emulator.process.kill()
            emulator.process.wait(timeout=10)
    stripe.api_base = saved


@pytest.fixture
def pending_milestone(client_user, freelancer_user, client_for):
    contract = make_contract(client_user, freelancer_user)
    api = client_for(client_user)
    milestone = add_milestone(api, contract.id, "250.00")
    customer_id_for(client_user)  # the client already pays through Stripe; funding is what meets the fault
    return api, milestone


def nothing_visible_changed(milestone_id: int) -> None:
    assert Milestone.objects.get(pk=milestone_id).status == "pending"
    assert LedgerTransaction.objects.count() == 0
    assert Payment.objects.count() == 0


def funding_intents(milestone_id: int) -> list:
    return [pi for pi in stripe_sdk().PaymentIntent.list(limit=100)["data"]
            if (pi.get("metadata") or {}).get("milestone_id") == str(milestone_id)]


def test_stripe_stopped_during_funding_answers_503_and_changes_nothing(private_stripe, pending_milestone):
    api, milestone = pending_milestone
    private_stripe.kill()
    response = fund(api, milestone["id"])
    assert response.status_code == 503
    assert response.json()["error_type"] == "payment_provider_unavailable"
    assert response.json()["detail"]
    nothing_visible_changed(milestone["id"])
    operation = PaymentOperation.objects.get()
    assert (operation.kind, operation.status, operation.amount) == ("charge", "unknown", 25000)

    # Stripe back within the day: the reconciler asks again with the same key and books the funding once.
    private_stripe.restart()
    assert operations_reconcile(left_for=timedelta(0)) == {"booked": 1, "failed": 0, "still_unknown": 0}
    assert Milestone.objects.get(pk=milestone["id"]).status == "funded"
    assert LedgerTransaction.objects.filter(kind="funding").count() == 1
    assert len(funding_intents(milestone["id"])) == 1
    assert emulator_available() == 25000
    assert operations_reconcile(left_for=timedelta(0)) == {"booked": 0, "failed": 0, "still_unknown": 0}
    assert_ledger_balanced()


def test_stripe_frozen_during_funding_answers_503_within_the_timeout_then_reconciles(private_stripe,
                                                                                    pending_milestone):
    api, milestone = pending_milestone
    private_stripe.freeze()
    started = time.monotonic()
    response = fund(api, milestone["id"])
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.json()
    assert response.json()["error_type"] == "payment_provider_unavailable"
    assert elapsed < longest_wait() + 2, elapsed
    nothing_visible_changed(milestone["id"])
    # Nothing is locked meanwhile: another attempt is told a payment may be on its way, it does not wait.
    assert PaymentOperation.objects.get().status == "unknown"

    private_stripe.thaw()  # the frozen Stripe now answers the requests it had received
    assert operations_reconcile(left_for=timedelta(0))["booked"] == 1
    assert Milestone.objects.get(pk=milestone["id"]).status == "funded"
    assert len(funding_intents(milestone["id"])) == 1
    assert LedgerTransaction.objects.filter(kind="funding").count() == 1
    assert emulator_available() == 25000
    assert_ledger_balanced()


def test_after_a_day_the_reconciler_finds_what_stripe_did_by_metadata(private_stripe, pending_milestone):
    api, milestone = pending_milestone
    private_stripe.freeze()
    assert fund(api, milestone["id"]).status_code == 503
    private_stripe.thaw()
    deadline = time.monotonic() + 10
    while not funding_intents(milestone["id"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=True):
        # Stripe no longer keeps the key: asking again could charge twice, so the reconciler searches.
        assert operations_reconcile()["booked"] == 1
    assert Milestone.objects.get(pk=milestone["id"]).status == "funded"
    assert len(funding_intents(milestone["id"])) == 1
    assert LedgerTransaction.objects.filter(kind="funding").count() == 1
    assert_ledger_balanced()


def test_after_a_day_an_operation_stripe_never_saw_is_failed_and_nothing_is_booked(private_stripe,
                                                                                   pending_milestone):
    api, milestone = pending_milestone
    private_stripe.kill()
    assert fund(api, milestone["id"]).status_code == 503
    private_stripe.restart()
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=True):
        assert operations_reconcile() == {"booked": 0, "failed": 1, "still_unknown": 0}
    assert PaymentOperation.objects.get().status == "failed"
    nothing_visible_changed(milestone["id"])
    assert funding_intents(milestone["id"]) == []
    # The client can fund again afterwards.
    assert fund(api, milestone["id"]).status_code == 200
    assert Milestone.objects.get(pk=milestone["id"]).status == "funded"


@pytest.mark.parametrize("resolution", ["refund", "split"])
def test_a_dispute_resolution_stripe_did_not_answer_stays_open_then_is_booked_through_the_tables(
        private_stripe, pending_milestone, freelancer_user, staff_user, client_for, resolution):
    api, milestone = pending_milestone
    assert fund(api, milestone["id"]).status_code == 200
    contract_id = milestone["contract_id"]
    opened = api.post(f"/api/contracts/{contract_id}/dispute", {"milestone_id": milestone["id"],
                                                                 "reason": "Not what we agreed."}, format="json")
    assert opened.status_code == 201, opened.json()
    dispute = Dispute.objects.get()
    body = {"resolution": resolution, **({"freelancer_amount": "100.00"} if resolution == "split" else {})}

    private_stripe.kill()
    staff_api = client_for(staff_user)
    response = staff_api.post(f"/api/disputes/{dispute.pk}/resolve", body, format="json")
    assert response.status_code == 503, response.json()
    assert response.json()["error_type"] == "payment_provider_unavailable"
    dispute.refresh_from_db()
    assert (dispute.status, dispute.milestone.status, dispute.contract.status) == ("open", "disputed", "disputed")
    assert not dispute.status_changes.exclude(from_status="").exists()
    # While the client's money may be on its way back, the dispute is neither withdrawn nor decided again.
    for attempt in (api.post(f"/api/disputes/{dispute.pk}/withdraw", {}, format="json"),
                    staff_api.post(f"/api/disputes/{dispute.pk}/resolve", body, format="json")):
        assert attempt.status_code == 409, attempt.json()
        assert attempt.json()["error_type"] == "payment_in_progress"

    private_stripe.restart()
    assert operations_reconcile(left_for=timedelta(0)) == {"booked": 1, "failed": 0, "still_unknown": 0}
    dispute.refresh_from_db()
    milestone_row = Milestone.objects.get(pk=milestone["id"])
    assert (dispute.status, dispute.resolution, dispute.contract.status) == ("resolved", resolution, "active")
    change = dispute.status_changes.get(from_status="open")
    assert (change.to_status, change.changed_by_id) == ("resolved", staff_user.pk)
    action_target = {"refund": "refunded", "split": "released"}[resolution]
    assert milestone_row.status == action_target
    assert milestone_row.status_changes.filter(from_status="disputed", to_status=action_target,
                                               changed_by=staff_user).count() == 1
    shown = client_for(freelancer_user).get(f"/api/milestones/{milestone['id']}").json()
    expected = {"refund": ("0.00", "250.00"), "split": ("100.00", "150.00")}[resolution]
    assert (shown["released_amount"], shown["refunded_amount"]) == expected
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert LedgerTransaction.objects.filter(kind="release").count() == (1 if resolution == "split" else 0)
    assert operations_reconcile(left_for=timedelta(0)) == {"booked": 0, "failed": 0, "still_unknown": 0}
    assert_ledger_balanced()


@pytest.mark.usefixtures("stripe_clean")
def test_a_process_killed_after_stripe_refunded_is_booked_once_by_the_reconciler(
        client_user, freelancer_user, client_for, stripe_emulator):
    contract = make_contract(client_user, freelancer_user)
    api = client_for(client_user)
    milestone = add_milestone(api, contract.id, "400.00")
    assert fund(api, milestone["id"]).status_code == 200
    intent_id = Milestone.objects.get(pk=milestone["id"]).payment_intent_id

    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", "PAYMENT_CRASH_POINT": "after_stripe",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "STRIPE_API_BASE": stripe_emulator.url}
    script = ("import django; django.setup()\n"
              "from accounts.models import User\nfrom contracts.escrow import milestone_refund\n"
              "from contracts.models import Milestone\n"
              f"milestone_refund(milestone=Milestone.objects.get(pk={milestone['id']}), "
              f"by=User.objects.get(pk={freelancer_user.pk}))\n")
    worker = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, timeout=120,
                            capture_output=True)
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]

    # Stripe refunded; nothing is booked yet.
    refunds = stripe_sdk().Refund.list(payment_intent=intent_id)["data"]
    assert [r["amount"] for r in refunds] == [40000]
    assert Milestone.objects.get(pk=milestone["id"]).status == "funded"
    assert LedgerTransaction.objects.filter(kind="refund").count() == 0
    assert PaymentOperation.objects.get(kind="refund").status == "pending"

    assert operations_reconcile(left_for=timedelta(0))["booked"] == 1
    assert operations_reconcile(left_for=timedelta(0))["booked"] == 0
    assert Milestone.objects.get(pk=milestone["id"]).status == "refunded"
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert len(stripe_sdk().Refund.list(payment_intent=intent_id)["data"]) == 1
    assert Payment.objects.filter(kind="refund", amount=40000).count() == 1
    assert emulator_available() == 0
    assert_ledger_balanced()


@pytest.mark.usefixtures("stripe_clean")
def test_an_earlier_attempt_that_succeeds_late_funds_the_milestone_instead_of_being_refunded(
        client_user, freelancer_user, client_for, stripe_emulator):
    from payments.tasks import reconcile
    from tests.helpers.money import DECLINED_CARD, THREE_D_SECURE_CARD, card

    contract = make_contract(client_user, freelancer_user)
    api = client_for(client_user)
    milestone = add_milestone(api, contract.id, "300.00")
    first = fund(api, milestone["id"], card(THREE_D_SECURE_CARD)).json()
    assert first["status"] == "requires_action"
    first_intent = Milestone.objects.get(pk=milestone["id"]).payment_intent_id
    assert fund(api, milestone["id"], card(DECLINED_CARD)).status_code == 402  # a second attempt, declined
    # The bank's check of the first attempt passes after all.
    stripe_emulator.request("POST", f"/v1/payment_intents/{first_intent}/_authenticate",
                            [("client_secret", first["client_secret"]), ("success", "true")])
    reconcile()
    assert Milestone.objects.get(pk=milestone["id"]).status == "funded"
    assert Milestone.objects.get(pk=milestone["id"]).payment_intent_id == first_intent
    assert stripe_sdk().Refund.list(payment_intent=first_intent)["data"] == []
    assert LedgerTransaction.objects.filter(kind="refund").count() == 0
    assert emulator_available() == 30000
    assert_ledger_balanced()


def test_the_emulator_searches_payment_intents_by_metadata(stripe_clean):
    sdk = stripe_sdk()
    mine = sdk.PaymentIntent.create(amount=500, currency="usd", metadata={"operation": "op-1", "x": "y"})
    sdk.PaymentIntent.create(amount=700, currency="usd", metadata={"operation": "op-2"})
    found = sdk.PaymentIntent.search(query="metadata['operation']:'op-1'")
    assert [pi.id for pi in found["data"]] == [mine.id] and found["object"] == "search_result"
    both = sdk.PaymentIntent.search(query="metadata['operation']:'op-1' AND amount:'500'")
    assert [pi.id for pi in both["data"]] == [mine.id]
    assert sdk.PaymentIntent.search(query="metadata['operation']:'none'")["data"] == []


# --- payouts --------------------------------------------------------------------------------------

# A milestone of 500.00 less the 10% platform fee.
PAYOUT_MINOR = 45000


@pytest.fixture
def payout_parties(client_user, freelancer_user, client_for):
    return make_contract(client_user, freelancer_user), client_for(client_user), client_for(freelancer_user)


def payout_untouched(payout: Payout) -> None:
    """The payout is still held, and nothing of it is booked."""
    now = Payout.objects.get(pk=payout.pk)
    assert (now.status, now.stripe_transfer_id, now.paid_at) == ("held", "", None)
    assert Payment.objects.get(pk=payout.payment_id).payout_status == "held"
    assert LedgerTransaction.objects.filter(kind="payout").count() == 0
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=payout.user) == -PAYOUT_MINOR


def paid_once(payout: Payout, account_id: str) -> None:
    """One transfer at Stripe, one payout movement in the ledger, both of the payout's amount, and the
    platform's balance in the ledger equal to Stripe's: 500.00 in, 450.00 out."""
    transfers = transfers_to(account_id)
    assert [(t["amount"], t["currency"]) for t in transfers] == [(PAYOUT_MINOR, "usd")]
    now = Payout.objects.get(pk=payout.pk)
    assert now.status == "paid" and now.stripe_transfer_id == transfers[0]["id"] and now.paid_at is not None
    release = Payment.objects.get(pk=payout.payment_id)
    assert (release.payout_status, release.stripe_transfer) == ("paid", transfers[0]["id"])
    movements = LedgerTransaction.objects.filter(kind="payout")
    assert movements.count() == 1
    assert balance(LedgerAccount.FREELANCER_PAYABLE, transaction__kind="payout") == sum(
        t["amount"] for t in transfers)
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=payout.user) == 0
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available() == 50000 - PAYOUT_MINOR
    assert_ledger_balanced()


def test_stripe_frozen_during_a_payout_keeps_it_held_and_the_reconciler_pays_it_once(
        private_stripe, payout_parties, freelancer_user):
    contract, client_api, freelancer_api = payout_parties
    payout = held_payout(client_api, freelancer_api, contract.id, "500.00")
    account = payout_account_ready(private_stripe.emulator, freelancer_user)

    private_stripe.freeze()
    started = time.monotonic()
    result = send_payouts(freelancer_user.pk)  # the task, as a worker runs it: an answer, not an exception
    elapsed = time.monotonic() - started
    assert result == {"sent": 0, "refused": 0, "unavailable": 1, "in_progress": 0,
                      "held_for_review": 0}
    assert elapsed < longest_wait() + 2, elapsed
    payout_untouched(payout)
    operation = PaymentOperation.objects.get(kind="transfer")
    assert (operation.status, operation.amount, operation.subject_type, operation.subject_id) == (
        "unknown", PAYOUT_MINOR, "payout", str(payout.pk))
    assert "not answer" in Payout.objects.get(pk=payout.pk).last_error

    private_stripe.thaw()  # the frozen Stripe now answers what it had received
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        first = reconcile()
        again = reconcile()
    assert (first["operations_booked"], first["payouts_sent"]) == (1, 0)
    assert (again["operations_booked"], again["payouts_sent"], again["operations_unknown"]) == (0, 0, 0)
    assert PaymentOperation.objects.get(kind="transfer").status == "booked"
    paid_once(payout, account.stripe_account_id)


@pytest.mark.parametrize("crash_point", ["after_stripe", "before_booking"])
@pytest.mark.usefixtures("stripe_clean")
def test_a_process_killed_after_stripe_transferred_is_booked_once_by_the_reconciler(
        crash_point, payout_parties, freelancer_user, stripe_emulator):
    contract, client_api, freelancer_api = payout_parties
    payout = held_payout(client_api, freelancer_api, contract.id, "500.00")
    account = payout_account_ready(stripe_emulator, freelancer_user)

    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", "PAYMENT_CRASH_POINT": crash_point,
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "STRIPE_API_BASE": stripe_emulator.url}
    script = ("import django; django.setup()\n"
              "from payments.payouts import payouts_send\n"
              f"payouts_send(user_id={freelancer_user.pk})\n")
    worker = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, timeout=120,
                            capture_output=True)
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]

    # Stripe transferred; nothing is booked yet.
    assert [t["amount"] for t in transfers_to(account.stripe_account_id)] == [PAYOUT_MINOR]
    payout_untouched(payout)
    expected = "pending" if crash_point == "after_stripe" else "succeeded"
    assert PaymentOperation.objects.get(kind="transfer").status == expected

    assert operations_reconcile(left_for=timedelta(0)) == {"booked": 1, "failed": 0, "still_unknown": 0}
    assert operations_reconcile(left_for=timedelta(0)) == {"booked": 0, "failed": 0, "still_unknown": 0}
    assert send_payouts(freelancer_user.pk) == {"sent": 0, "refused": 0, "unavailable": 0, "in_progress": 0,
                                                "held_for_review": 0}
    paid_once(payout, account.stripe_account_id)
