"""Demo contracts: a few weeks of work on the demo projects.

The projects that hired someone become contracts with milestones in every stage: work paid out, work waiting
for the client's approval, money in escrow while the freelancer works, milestones still to fund. The finished
ones are completed after their milestones were paid, and both parties review each other. Each pair talks in
a chat, and a client and a freelancer who have not worked together yet talk about an open project.

It builds on marketplace/demo.py (which runs before it, in the order of INSTALLED_APPS) through the same
services real use goes through. Card payments are recorded as Stripe reports a succeeded payment (the
`payment_intent_succeeded` signal a webhook sends), so the demo needs no Stripe emulator and the ledger and
the freelancers' earnings are what a real payment would leave. It runs once: when the marker project has
its contract, nothing is touched.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any, TextIO

from django.utils import timezone

from accounts.models import User
from core.money import to_minor
from marketplace.demo import MARKER_TITLE, PROJECTS, demo_people
from marketplace.models import Project, Proposal
from messaging.models import Chat, ChatMember, Message
from messaging.services import chat_open
from payments import signals as payment_signals

from .escrow import milestone_approve, milestone_create, milestone_submit
from .models import Contract, Milestone
from .reviews import review_create
from .services import contract_complete, proposal_accept

HIRED = ("in_progress", "completed")

# Each hired project's milestones: (title, share of the accepted bid, how far it got).
# "released": paid out; "submitted": waiting for approval; "funded": in escrow; "pending": to fund.
MILESTONES: dict[str, list[tuple[str, str, str]]] = {
    "dashboard": [("Data model and API", "0.40", "released"), ("Operator screens", "0.60", "released")],
    "design_system": [("Research and foundations", "0.50", "released"), ("Components and docs", "0.50", "released")],
    "payouts": [("Weekly payout pipeline", "1.00", "released")],
    "telemetry": [("Ingest into PostgreSQL", "0.30", "released"), ("Per-minute roll-ups", "0.40", "submitted"),
                  ("Retention and alerting", "0.30", "pending")],
    "delivery_app": [("Shop and basket screens", "0.35", "released"), ("Payments and order tracking", "0.40", "funded"),
                     ("Store listings and release", "0.25", "pending")],
}

# Chats: (client, freelancer, project key or None, [(who, days ago, text), ...]).
CHATS: list[tuple[str, str, str, list[tuple[str, float, str]]]] = [
    ("alice", "fatima", "dashboard", [
        ("alice", 34, "Hi Fatima, thanks for the proposal. Could you start with the data model next week?"),
        ("fatima", 33.9, "Yes. I will send a first schema on Monday and we can review it on a call."),
        ("fatima", 20, "The operator screens are up on staging: battery, task and faults per robot."),
        ("alice", 19.8, "They look great. The team tried them this morning; approving the milestone now."),
    ]),
    ("alice", "mei", "design_system", [
        ("mei", 30, "I have booked five operators for research interviews on Tuesday and Wednesday."),
        ("alice", 29.9, "Great, I will join two of them."),
        ("mei", 16, "The components and their documentation are in the shared Figma file, ready for review."),
        ("alice", 15.8, "Our developers already use the buttons and forms. Approved, thank you!"),
    ]),
    ("alice", "liam", "telemetry", [
        ("alice", 18, "Welcome aboard, Liam. The sensor topics are documented in the repo's README."),
        ("liam", 17.9, "Thanks! I have access. Ingest first, then the per-minute roll-ups as agreed."),
        ("liam", 2, "Roll-ups are submitted: one row per robot per minute, with a back-fill for last month."),
        ("alice", 1.5, "Checking them today. Can the alerting milestone start right after?"),
        ("liam", 1.4, "Yes, as soon as it is funded."),
    ]),
    ("bob", "diego", "delivery_app", [
        ("bob", 25, "Diego, the API docs are shared with you. Shop and basket first?"),
        ("diego", 24.9, "Perfect. I will send a TestFlight build by the end of next week."),
        ("diego", 9, "Shop and basket are done; the build is on TestFlight and the Play internal track."),
        ("bob", 8.8, "Approved, nice work. I funded the payments milestone so you can carry on."),
        ("diego", 0.5, "Card payments work end to end on iOS; Android tomorrow."),
    ]),
    ("bob", "liam", "payouts", [
        ("bob", 40, "Finance sends the spreadsheet every Monday; here is last week's as an example."),
        ("liam", 39.8, "Got it. I will reproduce it first, then automate it."),
        ("liam", 28, "The report runs every Monday at 7:00 now, with a list of anything unusual."),
        ("bob", 27.9, "Finance loves it. Thank you!"),
    ]),
    ("bob", "mei", "checkout", [
        ("bob", 3, "Hi Mei, your proposal for the checkout redesign is on our shortlist. How would you recruit "
                   "customers for the research?"),
        ("mei", 2.8, "From your own order list: I would invite twenty recent customers who abandoned a basket, "
                     "and talk to five of them."),
    ]),
]


class _SucceededIntent(dict):
    """A succeeded PaymentIntent as a Stripe webhook reports it (read by key and by attribute)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def fund_as_paid(milestone: Milestone) -> Milestone:
    """Records the client's card payment into escrow for a milestone, as the webhook would after Stripe
    charged it: the same receiver, the same ledger transaction, the same notifications."""
    contract = milestone.contract
    intent = _SucceededIntent(
        id=f"pi_demo_milestone_{milestone.pk}", amount=to_minor(milestone.amount), currency=milestone.currency,
        status="succeeded", metadata={"purpose": "escrow_funding", "milestone_id": str(milestone.pk),
                                      "contract_id": str(contract.pk)},
    )
    payment_signals.payment_intent_succeeded.send(sender=fund_as_paid, payment_intent=intent)
    milestone.refresh_from_db()
    return milestone


def _milestones(contract: Contract, key: str, client: User, freelancer: User) -> None:
    bid = contract.total_amount
    plan = MILESTONES.get(key, [])
    for number, (title, share, stage) in enumerate(plan, start=1):
        amount = (bid * Decimal(share)).quantize(Decimal("0.01")) if number < len(plan) else (
            bid - sum((bid * Decimal(s)).quantize(Decimal("0.01")) for _, s, _ in plan[:-1]))
        milestone = milestone_create(contract=contract, by=client, data={
            "title": title, "amount": amount,
            "due_date": timezone.localdate() + timedelta(days=7 * number),
        })
        if stage == "pending":
            continue
        fund_as_paid(milestone)
        if stage == "funded":
            continue
        milestone_submit(milestone=milestone, by=freelancer, files=[],
                         note=f"“{title}” is ready: the notes and a short video walk-through are in the repository.")
        if stage == "released":
            milestone_approve(milestone=milestone, by=client)


def _chat(people: dict[str, User], client: str, freelancer: str, project: Project | None,
          lines: list[tuple[str, float, str]]) -> None:
    """A conversation that happened over the past weeks. Written as it was stored then: no notifications or
    e-mails go out for it today."""
    chat, _ = chat_open(user=people[client], participant=people[freelancer],
                        project_id=project.pk if project else None)
    if chat.messages.exists():
        return
    now = timezone.now()
    last = None
    for who, days_ago, text in lines:
        last = Message.objects.create(chat=chat, sender=people[who], content=text)
        Message.objects.filter(pk=last.pk).update(created_at=now - timedelta(days=days_ago))
    if last is not None:
        Chat.objects.filter(pk=chat.pk).update(last_message_at=now - timedelta(days=lines[-1][1]))
        # The sender of the newest message has read everything; the other has read all before it.
        ChatMember.objects.filter(chat=chat, user=last.sender).update(last_read_message_id=last.pk)
        earlier = chat.messages.exclude(pk=last.pk).order_by("-id").first()
        ChatMember.objects.filter(chat=chat).exclude(user=last.sender).update(
            last_read_message_id=earlier.pk if earlier else 0)


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
    projects: dict[str, Project | None] = {}
    for spec in PROJECTS:
        projects[spec["key"]] = Project.objects.filter(client=people[spec["client"]], title=spec["title"]).first()
        if spec["outcome"] not in HIRED:
            continue
        client, hired = people[spec["client"]], people[spec["hire"]]
        proposal = Proposal.objects.select_related("project").get(project__client=client,
                                                                  project__title=spec["title"], freelancer=hired)
        contract = proposal_accept(proposal=proposal, by=client)
        _milestones(contract, spec["key"], client, hired)
        if spec["outcome"] == "completed":
            contract = contract_complete(contract=contract, by=client)
            (client_rating, client_comment), (freelancer_rating, freelancer_comment) = spec["reviews"]
            review_create(contract=contract, reviewer=client, rating=client_rating, comment=client_comment)
            review_create(contract=contract, reviewer=hired, rating=freelancer_rating, comment=freelancer_comment)
        stdout.write(f"  created {contract.get_status_display().lower()} contract “{contract.title}” with "
                     f"{contract.milestones.count()} milestone(s)")
    for client_name, freelancer_name, key, lines in CHATS:
        _chat(people, client_name, freelancer_name, projects.get(key), lines)
    stdout.write(f"  created {len(CHATS)} chats")



def paid_milestone(contract: Contract, *, amount: Decimal | str, title: str) -> Milestone:
    """A milestone funded as the Stripe webhook funds it (no call to Stripe), submitted and approved: paid work."""
    milestone = milestone_create(contract=contract, by=contract.client,
                                 data={"title": title, "amount": Decimal(str(amount))})
    fund_as_paid(milestone)
    milestone_submit(milestone=milestone, by=contract.freelancer, note="Delivered.", files=[])
    milestone_approve(milestone=milestone, by=contract.client)
    milestone.refresh_from_db()
    return milestone
