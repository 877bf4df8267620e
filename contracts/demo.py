"""Demo contracts: the demo projects that hired someone become contracts; the finished ones are completed and
both parties review each other.

It builds on marketplace/demo.py (which runs before it, in the order of INSTALLED_APPS) through the same
services real use goes through. It runs once: when the marker project has its contract, nothing is touched.
"""

from decimal import Decimal
from typing import Any, TextIO

from marketplace.demo import MARKER_TITLE, PROJECTS, demo_people
from marketplace.models import Project, Proposal
from payments import signals as payment_signals

from . import escrow
from .models import Contract, Milestone
from .reviews import review_create
from .services import contract_complete, proposal_accept

HIRED = ("in_progress", "completed")


def seed(stdout: TextIO) -> None:
    people = demo_people()
    if people is None:
        stdout.write("  contracts: the demo accounts are missing; run accounts' demo first")
        return
    marker = Project.objects.filter(client=people["alice"], title=MARKER_TITLE).first()
    if marker is None:
        stdout.write("  contracts: the demo projects are missing; run marketplace's demo first")
        return
    if Contract.objects.filter(project=marker).exists():
        return
    for spec in PROJECTS:
        if spec["outcome"] not in HIRED:
            continue
        client, hired = people[spec["client"]], people[spec["hire"]]
        proposal = Proposal.objects.select_related("project").get(project__client=client,
                                                                  project__title=spec["title"], freelancer=hired)
        contract = proposal_accept(proposal=proposal, by=client)
        if spec["outcome"] == "completed":
            paid_milestone(contract, amount=contract.total_amount, title="The delivered work")
            contract = contract_complete(contract=contract, by=client)
            (client_rating, client_comment), (freelancer_rating, freelancer_comment) = spec["reviews"]
            review_create(contract=contract, reviewer=client, rating=client_rating, comment=client_comment)
            review_create(contract=contract, reviewer=hired, rating=freelancer_rating, comment=freelancer_comment)
        stdout.write(f"  created {contract.get_status_display().lower()} contract “{contract.title}”")


class _Intent(dict):
    """A succeeded PaymentIntent as Stripe's SDK hands it to the webhook receivers: keys are also attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def paid_milestone(contract: Contract, *, amount: Decimal | str, title: str) -> Milestone:
    """A milestone funded as the Stripe webhook funds it (no call to Stripe), submitted and approved: paid work."""
    milestone = escrow.milestone_create(contract=contract, by=contract.client,
                                        data={"title": title, "amount": Decimal(str(amount))})
    intent = _Intent(id=f"pi_demo_{milestone.pk}", amount=int(Decimal(str(amount)) * 100), currency=contract.currency,
                     status="succeeded", metadata={"purpose": "escrow_funding", "milestone_id": str(milestone.pk),
                                                   "contract_id": str(contract.pk)})
    payment_signals.payment_intent_succeeded.send(sender=None, payment_intent=intent)
    milestone.refresh_from_db()
    escrow.milestone_submit(milestone=milestone, by=contract.freelancer, note="Delivered.", files=[])
    escrow.milestone_approve(milestone=milestone, by=contract.client)
    milestone.refresh_from_db()
    return milestone
