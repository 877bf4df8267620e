"""The dashboard's deeper figures, one function per `/api/analytics/<name>` endpoint beyond the six of the
summary: registration trends, where members are, how much work completes, the popular categories, revenue
over time, how people pay, how freelancers fare, the platform's health and engagement.

As in `selectors`, each function runs a fixed number of queries whatever the amount of data, lets the
database aggregate, and keeps its answer in the cache for `selectors.CACHE_SECONDS`.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    BigIntegerField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import AuthSession, User, UserType
from contracts.models import Contract, ContractStatus, ContractStatusChange, Dispute, Milestone, MilestoneStatus
from marketplace.models import Project, ProjectStatus, Proposal, ProposalStatus, Review
from messaging.models import Chat, Message
from payments.models import Payment, PaymentOperation, ReconciliationMismatch
from risk.models import RiskCase

from .selectors import (
    REPORTING_CURRENCY,
    Period,
    _average_budget,
    _cached,
    _grouped,
    _period_fields,
    _signed_in_since,
    _support_figures,
    money,
    money_decimal,
    percent,
    period_for,
    ratio,
    rounded,
)

# Freelancers grouped by the share of their ended contracts that completed.
SUCCESS_BANDS = ((90, 100, "90-100"), (75, 89, "75-89"), (50, 74, "50-74"), (0, 49, "0-49"))
CATEGORY_LIMIT = 20


# --- registrations -----------------------------------------------------------------------------------


def registration_trends(*, days: int = 30, interval: str = "day") -> dict[str, Any]:
    """Sign-ups per day, week or month by account type, with the change on the period before (two queries)."""
    return _cached("registrations", lambda: _registration_trends(period_for(days, interval)), days=days,
                   interval=interval)


def _previous_start(period: Period) -> Any:
    return period.start - timedelta(days=period.days)


def _registration_trends(period: Period) -> dict[str, Any]:
    members = User.objects.exclude(user_type="")
    rows = _grouped(members, "date_joined", period,
                    clients=Count("id", filter=Q(user_type=UserType.CLIENT)),
                    freelancers=Count("id", filter=Q(user_type=UserType.FREELANCER)),
                    total=Count("id"))
    previous = members.filter(date_joined__gte=_previous_start(period), date_joined__lt=period.start).count()
    series, cumulative = [], 0
    for bucket in period.buckets:
        row = rows.get(bucket, {})
        cumulative += row.get("total", 0)
        series.append({"period": bucket.isoformat(), "clients": row.get("clients", 0),
                       "freelancers": row.get("freelancers", 0), "total": row.get("total", 0),
                       "cumulative": cumulative})
    clients = sum(point["clients"] for point in series)
    freelancers = sum(point["freelancers"] for point in series)
    return {
        **_period_fields(period),
        "totals": {"total": cumulative, "clients": clients, "freelancers": freelancers,
                   "previous_period": previous,
                   "change_percent": ratio(cumulative - previous, previous, 100)},
        "series": series,
    }


# --- locations ---------------------------------------------------------------------------------------


def location_distribution(*, days: int = 30) -> dict[str, Any]:
    """Members per country, with the period's sign-ups and the clients and freelancers (one query)."""
    return _cached("locations", lambda: _location_distribution(period_for(days)), days=days)


def _location_distribution(period: Period) -> dict[str, Any]:
    rows = list(User.objects.exclude(user_type="").values("country").annotate(
        users=Count("id"),
        new_users=Count("id", filter=Q(date_joined__gte=period.start)),
        clients=Count("id", filter=Q(user_type=UserType.CLIENT)),
        freelancers=Count("id", filter=Q(user_type=UserType.FREELANCER)),
    ).order_by("-users", "country"))
    total = sum(row["users"] for row in rows)
    return {
        **_period_fields(period, with_interval=False),
        "total_users": total,
        "countries_count": sum(1 for row in rows if row["country"]),
        "countries": [{"country": row["country"] or None, "users": row["users"], "new_users": row["new_users"],
                       "clients": row["clients"], "freelancers": row["freelancers"],
                       "share": percent(row["users"], total)}
                      for row in rows],
    }


# --- completion rates --------------------------------------------------------------------------------


def completion_rates(*, days: int = 30) -> dict[str, Any]:
    """How the projects, contracts and milestones started in the period stand now (three queries)."""
    return _cached("completion-rates", lambda: _completion_rates(period_for(days)), days=days)


def _completion_rates(period: Period) -> dict[str, Any]:
    projects = Project.objects.filter(created_at__gte=period.start).exclude(status=ProjectStatus.DRAFT).aggregate(
        posted=Count("id"), **{status: Count("id", filter=Q(status=status))
                               for status in ("open", "in_progress", "completed", "cancelled")})
    contracts = Contract.objects.filter(created_at__gte=period.start).aggregate(
        started=Count("id"), **{status.value: Count("id", filter=Q(status=status)) for status in ContractStatus})
    milestones = Milestone.objects.filter(created_at__gte=period.start).aggregate(
        created=Count("id"), **{status.value: Count("id", filter=Q(status=status)) for status in MilestoneStatus})
    contracts_ended = contracts[ContractStatus.COMPLETED] + contracts[ContractStatus.CANCELLED]
    milestones_settled = milestones[MilestoneStatus.RELEASED] + milestones[MilestoneStatus.REFUNDED]
    return {
        **_period_fields(period, with_interval=False),
        "projects": {**projects,
                     "completion_rate": percent(projects["completed"], projects["posted"]),
                     "cancellation_rate": percent(projects["cancelled"], projects["posted"])},
        "contracts": {**contracts,
                      "completion_rate": percent(contracts[ContractStatus.COMPLETED], contracts["started"]),
                      "ended_completion_rate": percent(contracts[ContractStatus.COMPLETED], contracts_ended)},
        "milestones": {**milestones,
                       "release_rate": percent(milestones[MilestoneStatus.RELEASED], milestones_settled)},
    }


# --- categories --------------------------------------------------------------------------------------


def popular_categories(*, days: int = 30) -> dict[str, Any]:
    """Categories by projects posted in the period, with their proposals, completed projects and average budget
    in the reporting currency (one query)."""
    return _cached("categories", lambda: _popular_categories(period_for(days)), days=days)


def _popular_categories(period: Period) -> dict[str, Any]:
    posted = Project.objects.filter(created_at__gte=period.start).exclude(status=ProjectStatus.DRAFT)
    proposals = (Proposal.objects.filter(project=OuterRef("pk")).order_by().values("project")
                 .annotate(n=Count("id")).values("n"))
    rows = (posted.annotate(proposal_count=Coalesce(Subquery(proposals, output_field=IntegerField()), Value(0)))
            .values(name=F("category__name"), slug=F("category__slug"))
            .annotate(projects=Count("id"),
                      proposals_sent=Sum("proposal_count"),
                      completed=Count("id", filter=Q(status=ProjectStatus.COMPLETED)),
                      budget_sum_average=Avg(F("budget_min") + F("budget_max"),
                                             filter=Q(currency=REPORTING_CURRENCY)))
            .order_by("-projects", "name")[:CATEGORY_LIMIT])
    total = posted.count()
    return {
        **_period_fields(period, with_interval=False),
        "currency": REPORTING_CURRENCY,
        "projects_posted": total,
        "categories": [
            {"category": row["name"], "slug": row["slug"], "projects": row["projects"],
             "share": percent(row["projects"], total), "proposals": row["proposals_sent"] or 0,
             "proposals_per_project": ratio(row["proposals_sent"] or 0, row["projects"]) or 0.0,
             "completed": row["completed"], "average_budget": _average_budget(row["budget_sum_average"])}
            for row in rows
        ],
    }


# --- revenue trends ----------------------------------------------------------------------------------


def revenue_trends(*, days: int = 30, interval: str = "day") -> dict[str, Any]:
    """Revenue per bucket in the reporting currency (fundings and subscriptions less refunds), the running
    total and the change on the bucket before; and the period against the one before it (two queries)."""
    return _cached("revenue-trends", lambda: _revenue_trends(period_for(days, interval)), days=days,
                   interval=interval)


def _incoming(prefix: str = "") -> dict[str, Any]:
    kinds = Payment.Kind
    return {
        f"{prefix}fundings": Coalesce(Sum("amount", filter=Q(kind=kinds.FUNDING)), 0),
        f"{prefix}subscriptions": Coalesce(Sum("amount", filter=Q(kind=kinds.SUBSCRIPTION)), 0),
        f"{prefix}refunds": Coalesce(Sum("amount", filter=Q(kind=kinds.REFUND)), 0),
        f"{prefix}releases": Coalesce(Sum("amount", filter=Q(kind=kinds.RELEASE)), 0),
    }


def _revenue_trends(period: Period) -> dict[str, Any]:
    succeeded = Payment.objects.filter(status=Payment.Status.SUCCEEDED, currency=REPORTING_CURRENCY)
    rows = _grouped(succeeded, "created_at", period, **_incoming())
    previous = succeeded.filter(created_at__gte=_previous_start(period), created_at__lt=period.start).aggregate(
        **_incoming())
    series: list[dict[str, Any]] = []
    cumulative = 0
    last: int | None = None
    for bucket in period.buckets:
        row = rows.get(bucket, {})
        fundings, subscriptions = row.get("fundings", 0), row.get("subscriptions", 0)
        refunds, releases = row.get("refunds", 0), row.get("releases", 0)
        revenue = fundings + subscriptions - refunds
        cumulative += revenue
        series.append({"period": bucket.isoformat(), "fundings": money(fundings),
                       "subscriptions": money(subscriptions), "refunds": money(refunds),
                       "releases": money(releases), "revenue": money(revenue), "cumulative": money(cumulative),
                       "change_percent": ratio(revenue - last, abs(last), 100) if last else None})
        last = revenue
    before = previous["fundings"] + previous["subscriptions"] - previous["refunds"]
    return {
        **_period_fields(period),
        "currency": REPORTING_CURRENCY,
        "totals": {"revenue": money(cumulative), "previous_period": money(before),
                   "change_percent": ratio(cumulative - before, abs(before), 100) if before else None},
        "series": series,
    }


# --- payment methods ---------------------------------------------------------------------------------

PAYMENT_METHODS = {
    Payment.Kind.FUNDING: ("card", "Card payment into escrow"),
    Payment.Kind.SUBSCRIPTION: ("card_subscription", "Card, Client Pro subscription"),
}


def payment_methods(*, days: int = 30) -> dict[str, Any]:
    """How clients paid in the period: every payment goes through Stripe by card, once into escrow or
    monthly for Client Pro; per way, the payments that succeeded and were refused and the amount (two
    queries)."""
    return _cached("payment-methods", lambda: _payment_methods(period_for(days)), days=days)


def _failed_charges(period: Period) -> int:
    """Card payments Stripe refused during the period (a declined card, a failed check): one query."""
    return PaymentOperation.objects.filter(kind=PaymentOperation.Kind.CHARGE, status=PaymentOperation.Status.FAILED,
                                           currency=REPORTING_CURRENCY, created_at__gte=period.start).count()


def _payment_methods(period: Period) -> dict[str, Any]:
    rows = {row["kind"]: row for row in (
        Payment.objects.filter(created_at__gte=period.start, currency=REPORTING_CURRENCY,
                               status=Payment.Status.SUCCEEDED, kind__in=list(PAYMENT_METHODS))
        .values("kind").annotate(succeeded=Count("id"), amount=Coalesce(Sum("amount"), 0)).order_by("kind"))}
    # Subscription renewals are charged by Stripe Billing, whose refusals Stripe retries itself: only the
    # escrow payments' refusals are counted.
    failed = {Payment.Kind.FUNDING: _failed_charges(period), Payment.Kind.SUBSCRIPTION: 0}
    total = sum(row["amount"] for row in rows.values())
    methods = []
    for kind, (method, label) in PAYMENT_METHODS.items():
        row = rows.get(kind, {"succeeded": 0, "amount": 0})
        methods.append({"method": method, "label": label, "provider": "stripe", "payments": row["succeeded"],
                        "failed": failed[kind], "amount": money(row["amount"]),
                        "share": percent(row["amount"], total),
                        "success_rate": ratio(row["succeeded"], row["succeeded"] + failed[kind], 100),
                        "average_payment": (money_decimal(Decimal(row["amount"]) / row["succeeded"] / 100)
                                            if row["succeeded"] else None)})
    return {**_period_fields(period, with_interval=False), "currency": REPORTING_CURRENCY,
            "total": money(total), "methods": methods}


# --- freelancer success -----------------------------------------------------------------------------


def freelancer_success(*, days: int = 30) -> dict[str, Any]:
    """How freelancers fare: proposals won in the period, contracts ended in it and how many completed, the
    ratings they received, and how many freelancers complete most of what they end (three queries)."""
    return _cached("freelancer-success", lambda: _freelancer_success(period_for(days)), days=days)


def _ended(period: Period) -> Any:
    """Contracts that completed or were cancelled during the period."""
    cancelled = ContractStatusChange.objects.filter(contract=OuterRef("pk"), to_status=ContractStatus.CANCELLED,
                                                    created_at__gte=period.start)
    return Contract.objects.filter(
        Q(status=ContractStatus.COMPLETED, completed_at__gte=period.start)
        | Q(Exists(cancelled), status=ContractStatus.CANCELLED))


def _freelancer_success(period: Period) -> dict[str, Any]:
    proposals = Proposal.objects.filter(created_at__gte=period.start).aggregate(
        submitted=Count("id"), accepted=Count("id", filter=Q(status=ProposalStatus.ACCEPTED)))
    ended = _ended(period)
    per_freelancer = (ended.filter(freelancer=OuterRef("pk")).order_by().values("freelancer"))
    people = User.objects.filter(user_type=UserType.FREELANCER).annotate(
        ended_count=Coalesce(Subquery(per_freelancer.annotate(n=Count("id")).values("n"),
                                      output_field=IntegerField()), Value(0)),
        completed_count=Coalesce(Subquery(per_freelancer.filter(status=ContractStatus.COMPLETED)
                                          .annotate(n=Count("id")).values("n"), output_field=IntegerField()),
                                 Value(0)),
    ).filter(ended_count__gt=0)
    # completed / ended >= low% <=> completed * 100 >= low * ended
    bands = people.aggregate(
        freelancers=Count("id"),
        contracts_ended=Coalesce(Sum("ended_count"), 0),
        contracts_completed=Coalesce(Sum("completed_count"), 0),
        **{f"band_{label}": Count("id", filter=Q(completed_count__gte=F("ended_count") * low / 100.0)
                                  & Q(completed_count__lt=F("ended_count") * (high + 1) / 100.0))
           for low, high, label in SUCCESS_BANDS},
    )
    received = Review.objects.filter(created_at__gte=period.start, reviewee__user_type=UserType.FREELANCER)
    ratings = received.aggregate(count=Count("id"), average=Avg("rating"),
                                 **{f"stars_{n}": Count("id", filter=Q(rating=n)) for n in range(1, 6)})
    return {
        **_period_fields(period, with_interval=False),
        "freelancers_with_ended_contracts": bands["freelancers"],
        "contracts_ended": bands["contracts_ended"],
        "contracts_completed": bands["contracts_completed"],
        "success_rate": percent(bands["contracts_completed"], bands["contracts_ended"]),
        "proposals_submitted": proposals["submitted"],
        "proposals_accepted": proposals["accepted"],
        "proposal_win_rate": percent(proposals["accepted"], proposals["submitted"]),
        "reviews": ratings["count"],
        "average_rating": rounded(ratings["average"]),
        "rating_distribution": {str(n): ratings[f"stars_{n}"] for n in range(1, 6)},
        "success_bands": [{"band": label, "freelancers": bands[f"band_{label}"]} for _, _, label in SUCCESS_BANDS],
    }


# --- platform health ---------------------------------------------------------------------------------


def platform_health(*, days: int = 30) -> dict[str, Any]:
    """Disputes, refunds, failed payments, held payouts, support and reconciliation: what needs staff (ten
    queries)."""
    return _cached("health", lambda: _platform_health(period_for(days)), days=days)


def _platform_health(period: Period) -> dict[str, Any]:
    disputes = Dispute.objects.aggregate(
        open=Count("id", filter=Q(status=Dispute.Status.OPEN)),
        opened_in_period=Count("id", filter=Q(created_at__gte=period.start)))
    contracts_started = Contract.objects.filter(created_at__gte=period.start).count()
    payments = Payment.objects.filter(created_at__gte=period.start, currency=REPORTING_CURRENCY,
                                      status=Payment.Status.SUCCEEDED).aggregate(
        fundings=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.FUNDING)), 0),
        refunds=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.REFUND)), 0),
        charges=Count("id", filter=Q(kind=Payment.Kind.FUNDING)))
    failed = _failed_charges(period)
    held = Payment.objects.filter(kind=Payment.Kind.RELEASE, payout_status=Payment.PayoutStatus.HELD,
                                  currency=REPORTING_CURRENCY).aggregate(
        count=Count("id"), amount=Coalesce(Sum("amount", output_field=BigIntegerField()), 0))
    pending_tickets, response_hours = _support_figures(period)
    people = User.objects.aggregate(
        suspended=Count("id", filter=Q(is_active=False)),
        daily_active_users=Count("id", filter=_signed_in_since(timezone.now() - timedelta(hours=24))))
    mismatches = ReconciliationMismatch.objects.filter(resolved_at__isnull=True).count()
    fraud_cases = RiskCase.objects.filter(status=RiskCase.Status.OPEN).count()
    rating = Review.objects.filter(created_at__gte=period.start).aggregate(average=Avg("rating"))["average"]
    return {
        **_period_fields(period, with_interval=False),
        "currency": REPORTING_CURRENCY,
        "active_disputes": disputes["open"],
        "disputes_opened": disputes["opened_in_period"],
        "contracts_started": contracts_started,
        "dispute_rate": percent(disputes["opened_in_period"], contracts_started),
        "refund_rate": percent(payments["refunds"], payments["fundings"]),
        "card_payments_attempted": payments["charges"] + failed,
        "card_payments_failed": failed,
        "payment_failure_rate": percent(failed, payments["charges"] + failed),
        "held_payouts": held["count"],
        "held_payout_amount": money(held["amount"]),
        "pending_support_tickets": pending_tickets,
        "average_response_time_hours": response_hours,
        "open_reconciliation_mismatches": mismatches,
        "open_fraud_cases": fraud_cases,
        "suspended_accounts": people["suspended"],
        "daily_active_users": people["daily_active_users"],
        "user_satisfaction_rating": rounded(rating),
    }


# --- engagement --------------------------------------------------------------------------------------


def engagement(*, days: int = 30, interval: str = "day") -> dict[str, Any]:
    """What members did per bucket (messages, proposals, projects, contracts, reviews, sign-ins) and how many
    come back: daily over monthly actives (eight queries)."""
    return _cached("engagement", lambda: _engagement(period_for(days, interval)), days=days, interval=interval)


def _engagement(period: Period) -> dict[str, Any]:
    counted = {
        "messages_sent": _grouped(Message.objects.all(), "created_at", period, n=Count("id")),
        "proposals_submitted": _grouped(Proposal.objects.all(), "created_at", period, n=Count("id")),
        "projects_posted": _grouped(Project.objects.all(), "published_at", period, n=Count("id")),
        "contracts_created": _grouped(Contract.objects.all(), "created_at", period, n=Count("id")),
        "reviews_posted": _grouped(Review.objects.all(), "created_at", period, n=Count("id")),
        "sign_ins": _grouped(AuthSession.objects.all(), "created_at", period, n=Count("id")),
    }
    now = timezone.now()
    active = User.objects.aggregate(
        period=Count("id", filter=_signed_in_since(period.start)),
        day=Count("id", filter=_signed_in_since(now - timedelta(hours=24))),
        month=Count("id", filter=_signed_in_since(now - timedelta(days=30))),
    )
    chats = Chat.objects.filter(messages__created_at__gte=period.start).aggregate(
        active_chats=Count("id", distinct=True))
    series = [{"period": bucket.isoformat(), **{name: rows.get(bucket, {}).get("n", 0)
                                                 for name, rows in counted.items()}}
              for bucket in period.buckets]
    totals = {name: sum(point[name] for point in series) for name in counted}
    return {
        **_period_fields(period),
        "totals": {
            **totals,
            "active_users": active["period"],
            "daily_active_users": active["day"],
            "monthly_active_users": active["month"],
            "stickiness": percent(active["day"], active["month"]),
            "active_chats": chats["active_chats"],
            "messages_per_active_chat": ratio(totals["messages_sent"], chats["active_chats"]) or 0.0,
            "messages_per_active_user": ratio(totals["messages_sent"], active["period"]) or 0.0,
        },
        "series": series,
    }

