"""Every analytics endpoint and the dashboard page run as many queries for 1,000 rows as for 10."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthSession, User
from contracts.models import Contract, Dispute, Milestone
from marketplace.categories import categories_ensure_defaults
from marketplace.models import Category, Project, Proposal, Review
from messaging.models import Chat, Message
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment
from support.models import SupportTicket

URLS = [
    "/api/analytics/dashboard/summary?days=30",
    "/api/analytics/users?days=90&interval=week",
    "/api/analytics/projects?days=30&interval=day",
    "/api/analytics/revenue?days=365&interval=month",
    "/api/analytics/top-freelancers?days=30",
    "/api/analytics/top-freelancers?days=30&by=rating",
    "/api/analytics/top-clients?days=30",
    "/api/analytics/top-clients?days=30&format=csv",
    "/api/analytics/registrations?days=90&interval=week",
    "/api/analytics/locations?days=30",
    "/api/analytics/completion-rates?days=30",
    "/api/analytics/categories?days=30",
    "/api/analytics/revenue-trends?days=365&interval=month",
    "/api/analytics/payment-methods?days=30",
    "/api/analytics/freelancer-success?days=30",
    "/api/analytics/health?days=30",
    "/api/analytics/engagement?days=30&interval=day",
]
PAGES = ["/staff/dashboard/?days=30&interval=day", "/staff/dashboard/export/top-freelancers.csv?days=30"]
PROJECT_STATUSES = ["draft", "open", "in_progress", "completed", "cancelled"]
_serial = count(1)


def add_rows(n: int) -> None:
    """About `n` rows in each table the dashboard reads, written with bulk_create."""
    now = timezone.now()
    batch = next(_serial)
    categories_ensure_defaults()
    category = Category.objects.order_by("id").first()
    people = User.objects.bulk_create(
        [User(email=f"bulk{batch}-{i}@example.com", first_name="Bulk", last_name=str(i), password="!",
              user_type="client" if i % 2 == 0 else "freelancer", email_verified=i % 3 != 0,
              country=["US", "GB", "DE", ""][i % 4], last_login=now - timedelta(days=i % 50),
              date_joined=now - timedelta(days=i % 120))
         for i in range(n)])
    clients = [user for user in people if user.user_type == "client"]
    freelancers = [user for user in people if user.user_type == "freelancer"]
    TOTPDevice.objects.bulk_create([TOTPDevice(user=user, name="phone", confirmed=True) for user in people[::5]])
    AuthSession.objects.bulk_create([AuthSession(user=user) for user in people])
    projects = Project.objects.bulk_create(
        [Project(client=clients[i % len(clients)], title=f"Bulk project {i}", description="Bulk", category=category,
                 budget_min=Decimal("100.00"), budget_max=Decimal("300.00") + i,
                 currency="usd" if i % 7 else "eur", status=PROJECT_STATUSES[i % 5],
                 published_at=None if i % 5 == 0 else now - timedelta(days=i % 40))
         for i in range(n)])
    proposals = Proposal.objects.bulk_create(
        [Proposal(project=project, freelancer=freelancers[i % len(freelancers)], cover_letter="Bulk",
                  bid_amount=Decimal("150.00"), estimated_duration_days=10,
                  status="accepted" if project.status in ("in_progress", "completed") else "submitted")
         for i, project in enumerate(projects)])
    contracts = Contract.objects.bulk_create(
        [Contract(project=proposal.project, proposal=proposal, client=proposal.project.client,
                  freelancer=proposal.freelancer, title="Bulk", total_amount=Decimal("150.00"),
                  status="completed" if proposal.project.status == "completed" else "active",
                  completed_at=now if proposal.project.status == "completed" else None)
         for proposal in proposals if proposal.status == "accepted"])
    Review.objects.bulk_create(
        [Review(contract_id=contract.pk, reviewer=contract.client, reviewee=contract.freelancer, rating=1 + i % 5,
                visible_from=now)
         for i, contract in enumerate(contracts) if contract.status == "completed"])
    milestones = Milestone.objects.bulk_create(
        [Milestone(contract=contract, title="Bulk", amount=Decimal("150.00"), status="disputed")
         for contract in contracts[::10]])
    Dispute.objects.bulk_create(
        [Dispute(contract=milestone.contract, milestone=milestone, opened_by=milestone.contract.client,
                 reason="Bulk", milestone_status_before="funded") for milestone in milestones])
    Payment.objects.bulk_create(
        [Payment(user=contract.client, kind="funding", amount=15000, currency="usd", contract_id=contract.pk)
         for contract in contracts]
        + [Payment(user=contract.freelancer, kind="release", amount=13500, currency="usd",
                   contract_id=contract.pk) for contract in contracts if contract.status == "completed"]
        + [Payment(user=client, kind="refund", amount=500, currency="usd") for client in clients[::4]])
    transactions = LedgerTransaction.objects.bulk_create(
        [LedgerTransaction(kind="release", reference=f"bulk-{batch}-{contract.pk}", contract_id=contract.pk)
         for contract in contracts])
    LedgerEntry.objects.bulk_create(  # balanced, as the database checks: escrow pays the platform's fee
        [LedgerEntry(transaction=tx, account=account, amount=amount, currency="usd")
         for tx in transactions
         for account, amount in ((LedgerAccount.ESCROW, 1500), (LedgerAccount.PLATFORM_FEES, -1500))])
    chats = Chat.objects.bulk_create(
        [Chat(client=contract.client, freelancer=contract.freelancer, subject_type="contracts.Contract",
              subject_id=contract.pk) for contract in contracts])
    if chats:
        Message.objects.bulk_create([Message(chat=chats[i % len(chats)], sender=chats[i % len(chats)].client,
                                             content="Bulk") for i in range(n)])
    SupportTicket.objects.bulk_create([SupportTicket(user=user, subject="Bulk", status=["open", "pending",
                                                                                         "resolved"][i % 3],
                                                     first_response_at=now if i % 3 else None)
                                       for i, user in enumerate(people[::4])])


def measure(get) -> dict[str, int]:
    counts = {}
    for url in URLS + PAGES:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = get(url)
        assert response.status_code == 200, (url, response.content[:300])
        counts[url] = len(queries)
    return counts


@pytest.mark.slow
def test_query_counts_do_not_grow_with_the_data(client_for, staff_user, client):
    api = client_for(staff_user)
    client.force_login(staff_user)

    def get(url: str):
        return (client if url.startswith("/staff/") else api).get(url)

    add_rows(10)
    small = measure(get)
    add_rows(990)
    assert User.objects.count() > 1000 and Project.objects.count() == 1000
    large = measure(get)
    assert large == small
    # The summary runs nine queries (plus one for support tickets) after the one that checks the token.
    assert small["/api/analytics/dashboard/summary?days=30"] <= 12
    # The page shows everything at once (each figure cached for a minute); every endpoint is far below that.
    page = "/staff/dashboard/?days=30&interval=day"
    assert small[page] <= 75, small
    assert max(count for url, count in small.items() if url != page) <= 40, small


def test_cached_answers_need_no_query(client_for, staff_user):
    api = client_for(staff_user)
    api.get("/api/analytics/users")
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/analytics/users").status_code == 200
    assert len(queries) == 1  # the token's session only
