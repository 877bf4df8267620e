"""Timed jobs decide under the row lock: a milestone the client sent back, or that was submitted again, between
the job's selection and its lock is neither approved nor reminded about (real PostgreSQL connections and threads,
a frozen clock)."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from contracts import escrow
from contracts.models import Milestone
from contracts.tests.factories import make_contract
from messaging.models import Notification
from payments.models import LedgerTransaction, Payment
from tests.helpers.money import assert_ledger_balanced, escrow_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_clean")]

START = timezone.now().replace(microsecond=0)


def submitted_milestone(client_user, freelancer_user) -> Milestone:
    contract = make_contract(client_user, freelancer_user)
    milestone = escrow.milestone_create(contract=contract, by=client_user,
                                        data={"title": "Landing page", "amount": Decimal("600.00")})
    escrow.milestone_fund(milestone=milestone, by=client_user, payment_method="pm_card_visa")
    escrow.milestone_submit(milestone=milestone, by=freelancer_user, note="Done.", files=[])
    milestone.refresh_from_db()
    return milestone


def waiting_for_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def job_racing_the_client(milestone: Milestone, client_user, freelancer_user, then_resubmit: bool) -> dict:
    """The job selects the milestone while the client's request for changes (and perhaps the freelancer's new
    submission) is not yet committed and holds the row: the job's selection still sees the work submitted and
    due, its lock waits, and the people's transaction commits first."""
    outcome: dict = {}

    def job() -> None:
        try:
            outcome.update(escrow.auto_release_due())
        finally:
            connections.close_all()

    with transaction.atomic():
        escrow.milestone_request_changes(milestone=milestone, by=client_user, note="The footer is wrong.")
        if then_resubmit:
            escrow.milestone_submit(milestone=milestone, by=freelancer_user, note="Fixed.", files=[])
        worker = threading.Thread(target=job)
        worker.start()
        # The job reads the milestone as last committed (submitted and due), then waits for its row.
        deadline = time.monotonic() + 20
        while not waiting_for_a_row_lock() and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    worker.join(30)
    assert not worker.is_alive()
    return outcome


@pytest.mark.parametrize("then_resubmit", [False, True], ids=["changes requested", "changes requested and resubmitted"])
def test_changes_requested_between_selection_and_release_release_nothing(
        client_user, freelancer_user, then_resubmit):
    with time_machine.travel(START, tick=True):
        milestone = submitted_milestone(client_user, freelancer_user)
    with time_machine.travel(START + timedelta(days=15), tick=True):
        outcome = job_racing_the_client(milestone, client_user, freelancer_user, then_resubmit)
    assert outcome["released"] == 0
    milestone.refresh_from_db()
    assert milestone.status == ("submitted" if then_resubmit else "funded")
    assert not Payment.objects.filter(kind="release").exists()
    assert not LedgerTransaction.objects.filter(kind="release").exists()
    assert escrow_of(milestone.contract_id) == Decimal("600.00")
    assert_ledger_balanced()


def test_a_reminder_is_not_sent_for_work_resubmitted_after_the_selection(client_user, freelancer_user):
    """Nine days after submission the reminder is due; the work is sent back and submitted again meanwhile, so
    its automatic approval is 14 days away again and the client is not told it is near."""
    with time_machine.travel(START, tick=True):
        milestone = submitted_milestone(client_user, freelancer_user)
    with time_machine.travel(START + timedelta(days=9, minutes=5), tick=True):
        outcome = job_racing_the_client(milestone, client_user, freelancer_user, then_resubmit=True)
    assert outcome == {"released": 0, "reminded": 0}
    assert not Notification.objects.filter(user=client_user, title__contains="approved automatically").exists()
    milestone.refresh_from_db()
    assert milestone.reminder_sent_at is None


def test_the_job_approves_work_that_is_still_due(client_user, freelancer_user):
    with time_machine.travel(START, tick=True):
        milestone = submitted_milestone(client_user, freelancer_user)
    with time_machine.travel(START + timedelta(days=15)):
        assert escrow.auto_release_due()["released"] == 1
    milestone.refresh_from_db()
    assert milestone.status == "released"
    assert [p.amount for p in Payment.objects.filter(kind="release")] == [54000]
