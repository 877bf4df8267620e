"""A payout's transfer that Stripe made without the operation's key (a transfer from an earlier release of the
product, or one whose key was lost) is found by the payout's own id in its metadata: once Stripe has forgotten
the key, the reconciler books that transfer instead of declaring the operation failed and paying a second time."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from contracts.tests.factories import make_contract
from payments.models import LedgerTransaction, Payment, PaymentOperation, Payout
from payments.operations import operations_reconcile
from payments.payouts import _transfer_begin
from payments.stripe_client import sdk as stripe_sdk
from payments.tasks import send_payouts
from tests.helpers.money import assert_ledger_balanced, held_payout, payout_account_ready, transfers_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_clean")]

# 500.00 released less the 10 % fee.
PAYOUT_MINOR = 45000


def test_a_transfer_made_without_the_key_is_booked_once_and_never_sent_again(
        client_user, freelancer_user, client_for, stripe_emulator, say):
    contract = make_contract(client_user, freelancer_user)
    payout = held_payout(client_for(client_user), client_for(freelancer_user), contract.id, "500.00")
    assert payout.amount == PAYOUT_MINOR
    account = payout_account_ready(stripe_emulator, freelancer_user)
    # Stripe moved the money, but the transfer carries only the payout's id, not the operation's key.
    earlier = stripe_sdk().Transfer.create(amount=PAYOUT_MINOR, currency="usd",
                                           destination=account.stripe_account_id,
                                           metadata={"payout_id": str(payout.pk)})
    operation = _transfer_begin(payout.pk, account)  # written down; the process died before asking Stripe
    assert operation is not None and operation.status == "pending"

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=True):
        assert operations_reconcile() == {"booked": 1, "failed": 0, "still_unknown": 0}
        assert send_payouts(freelancer_user.pk)["sent"] == 0
    say("fault: a payout's transfer made at Stripe without the operation's key, found a day later by the "
        "payout id in its metadata: booked once, not sent again")

    assert [t["id"] for t in transfers_to(account.stripe_account_id)] == [earlier.id]
    now = Payout.objects.get(pk=payout.pk)
    assert (now.status, now.stripe_transfer_id) == ("paid", earlier.id)
    assert Payment.objects.get(pk=payout.payment_id).payout_status == "paid"
    assert PaymentOperation.objects.get(pk=operation.pk).status == "booked"
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    assert_ledger_balanced()


def test_a_transfer_of_another_payout_is_not_taken_for_this_one(
        client_user, freelancer_user, client_for, stripe_emulator):
    contract = make_contract(client_user, freelancer_user)
    payout = held_payout(client_for(client_user), client_for(freelancer_user), contract.id, "500.00")
    account = payout_account_ready(stripe_emulator, freelancer_user)
    stripe_sdk().Transfer.create(amount=PAYOUT_MINOR, currency="usd", destination=account.stripe_account_id,
                                 metadata={"payout_id": str(payout.pk + 1000)})
    operation = _transfer_begin(payout.pk, account)
    assert operation is not None

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=True):
        assert operations_reconcile() == {"booked": 0, "failed": 1, "still_unknown": 0}
    now = Payout.objects.get(pk=payout.pk)
    assert (now.status, now.stripe_transfer_id) == ("held", "")
    assert LedgerTransaction.objects.filter(kind="payout").count() == 0
