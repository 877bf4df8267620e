"""A small marketplace made through the real services, with every figure the dashboard should show known.

Alice and Bob are clients, Fay and Finn freelancers, Olga an old client (her sign-up, sign-in, project and
payment are 60 days old), plus one staff account made by the test.

- Alice hires Fay (contract 1): a $1,000 milestone funded, submitted and approved (10 % fee: $100), then
  the contract completed and both review (Alice gives 5, Fay 4).
- Bob hires Finn (contract 2): a $500 milestone funded, then disputed by Bob.
- Alice posts an open project (budget 500 to 1,500) that Finn and Fay propose on, and a EUR project she
  cancels; Bob keeps a draft. Three chat messages are sent.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthSession, User
from accounts.tokens import login_issue
from contracts import escrow
from contracts.models import Contract
from contracts.reviews import review_create
from contracts.services import contract_complete
from contracts.tests.factories import make_contract
from marketplace.models import Project
from marketplace.services import project_set_status
from marketplace.tests.factories import make_project, make_proposal
from messaging.services import chat_open, message_send
from payments import signals as payment_signals
from payments.services import funding_record

OLD = timedelta(days=60)


class FakeIntent(dict):
    """What Stripe's SDK hands the webhook receivers: a dict whose keys are also attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def fund_milestone(contract: Contract, amount: str, title: str) -> Any:
    """A milestone funded the way the Stripe webhook funds it (no Stripe call: the intent id is made up)."""
    milestone = escrow.milestone_create(contract=contract, by=contract.client,
                                        data={"title": title, "amount": Decimal(amount)})
    minor = int(Decimal(amount) * 100)
    intent = FakeIntent(id=f"pi_analytics_{milestone.pk}", amount=minor, currency=contract.currency,
                        status="succeeded",
                        metadata={"purpose": "escrow_funding", "milestone_id": str(milestone.pk),
                                  "contract_id": str(contract.pk)})
    payment_signals.payment_intent_succeeded.send(sender=None, payment_intent=intent)
    milestone.refresh_from_db()
    assert milestone.status == "funded"
    return milestone


@dataclass
class World:
    alice: User
    bob: User
    fay: User
    finn: User
    olga: User
    staff: User
    contract_done: Contract
    contract_disputed: Contract


def build_world(make_user: Any, staff: User) -> World:
    now = timezone.now()
    alice = make_user("client", company="Acme Ltd", country="US", first_name="Alice", last_name="Archer")
    bob = make_user("client", country="GB", first_name="Bob", last_name="Baker")
    fay = make_user("freelancer", country="US", first_name="Fay", last_name="Fisher")
    finn = make_user("freelancer", email_verified=False, first_name="Finn", last_name="Ford")
    olga = make_user("client", country="DE", first_name="Olga", last_name="Olsen")
    TOTPDevice.objects.create(user=fay, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=finn, name="phone", confirmed=False)

    # Sign-ins: staff and Alice through the API (sessions), Fay through the pages (last_login only).
    login_issue(user=staff)
    login_issue(user=alice)
    User.objects.filter(pk=fay.pk).update(last_login=now)

    done = make_contract(alice, fay)
    milestone = fund_milestone(done, "1000.00", "Design and build")
    escrow.milestone_submit(milestone=milestone, by=fay, note="Done.", files=[])
    escrow.milestone_approve(milestone=milestone, by=alice)
    done = contract_complete(contract=done, by=alice)
    review_create(contract=done, reviewer=alice, rating=5, comment="Great work")
    review_create(contract=done, reviewer=fay, rating=4, comment="Clear brief")

    disputed = make_contract(bob, finn)
    milestone = fund_milestone(disputed, "500.00", "First draft")
    escrow.dispute_open(contract=disputed, milestone=milestone, by=bob, reason="Nothing was delivered.")

    open_project = make_project(alice, title="Mobile app for a bakery", budget_min=Decimal("500.00"),
                                budget_max=Decimal("1500.00"))
    make_proposal(finn, open_project)
    make_proposal(fay, open_project)
    euro = make_project(alice, title="Translate a website", currency="eur", budget_min=Decimal("100.00"),
                        budget_max=Decimal("300.00"))
    project_set_status(project=euro, to="cancelled", by=alice)
    make_project(bob, title="A draft", status="draft")

    chat, _ = chat_open(user=alice, participant=fay)
    message_send(chat=chat, sender=alice, content="Thanks for the delivery!")
    message_send(chat=chat, sender=fay, content="My pleasure.")
    chat, _ = chat_open(user=bob, participant=finn)
    message_send(chat=chat, sender=bob, content="Where is the draft?")

    # Olga's activity is 60 days old: outside a 30-day period, inside a 365-day one.
    old_project = make_project(olga, title="An old project")
    Project.objects.filter(pk=old_project.pk).update(created_at=now - OLD, published_at=now - OLD)
    with time_machine.travel(now - OLD, tick=False):  # the ledger is never edited: it was written back then
        funding_record(payer=olga, payment_intent_id="pi_analytics_old", amount_minor=999900, currency="usd",
                       contract_id=999999, milestone_id=999999, description="An old funding")
    login_issue(user=olga)
    AuthSession.objects.filter(user=olga).update(created_at=now - timedelta(days=40))
    User.objects.filter(pk=olga.pk).update(date_joined=now - OLD, last_login=now - timedelta(days=40))

    return World(alice=alice, bob=bob, fay=fay, finn=finn, olga=olga, staff=staff, contract_done=done,
                 contract_disputed=disputed)
