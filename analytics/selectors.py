"""What staff see on the dashboard: read-only figures, every one computed by the database.

Each function runs a fixed number of queries whatever the amount of data (conditional aggregates, grouping by
day, week or month, correlated subqueries and a window function for the rankings) and keeps its answer in the
default cache for `CACHE_SECONDS`, keyed by its parameters. Answers are plain JSON-ready dicts: money as
decimal strings with two places beside a currency code, ratios and averages that are not money as numbers
rounded to two places.

Money is never added across currencies: the dashboard reports in `REPORTING_CURRENCY`, and the revenue figures
also come per currency.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Avg,
    BigIntegerField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthSession, User, UserType
from contracts.models import Contract, ContractStatus, Dispute
from core.money import CENT
from marketplace.models import Project, ProjectStatus, Proposal, ProposalStatus, Review
from messaging.models import Message
from payments.models import LedgerAccount, LedgerEntry, Payment, ReconciliationMismatch
from support.models import SupportTicket, TicketStatus

REPORTING_CURRENCY = "usd"
CACHE_SECONDS = 60
CACHE_PREFIX = "analytics:v1"
DEFAULT_DAYS = 30
MAX_DAYS = 365
INTERVALS = ("day", "week", "month")
TOP_LIMIT = 10
FREELANCER_ORDERINGS = ("earnings", "rating", "contracts")
CLIENT_ORDERINGS = ("spend", "projects")
PROJECT_STATUSES = [choice.value for choice in ProjectStatus]
PROPOSAL_STATUSES = [choice.value for choice in ProposalStatus]
TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


# --- periods and buckets ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The last `days` calendar days, today included, grouped by `interval`."""

    days: int
    interval: str
    start: datetime
    end: datetime

    @property
    def buckets(self) -> list[date]:
        """The first day of every bucket from the start to today (at most 365 of them)."""
        first, last = bucket_start(self.start.date(), self.interval), bucket_start(self.end.date(), self.interval)
        out = [first]
        while out[-1] < last:
            out.append(_next_bucket(out[-1], self.interval))
        return out


def period_for(days: int = DEFAULT_DAYS, interval: str = "day", now: datetime | None = None) -> Period:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
    now = timezone.localtime(now or timezone.now())
    start = timezone.make_aware(datetime.combine(now.date() - timedelta(days=days - 1), time.min))
    return Period(days=days, interval=interval, start=start, end=now)


def bucket_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday, as the database truncates them
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_bucket(day: date, interval: str) -> date:
    if interval == "week":
        return day + timedelta(days=7)
    if interval == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _grouped(queryset: QuerySet, field: str, period: Period, **aggregates: Any) -> dict[date, dict[str, Any]]:
    """One query: `aggregates` of the rows of `queryset` whose `field` falls in the period, per bucket."""
    rows = (queryset.filter(**{f"{field}__gte": period.start})
            .annotate(bucket=TRUNC[period.interval](field))
            .values("bucket").annotate(**aggregates).order_by("bucket"))
    return {_as_date(row["bucket"]): row for row in rows}


def _cached(name: str, compute: Callable[[], dict[str, Any]], **params: object) -> dict[str, Any]:
    key = ":".join([CACHE_PREFIX, name, *(f"{k}={v}" for k, v in sorted(params.items()))])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


# --- formatting -----------------------------------------------------------------------------------


def money(minor: int | None) -> str:
    """Integer minor units -> "1500.00"."""
    return str((Decimal(minor or 0) / 100).quantize(CENT))


def money_decimal(value: Decimal | float | None) -> str | None:
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))


def ratio(part: float | int | None, whole: float | int | None, scale: int = 1) -> float | None:
    """part / whole * scale, rounded to two places; None when there is nothing to divide by."""
    if not whole:
        return None
    return round(float(part or 0) * scale / float(whole), 2)


def percent(part: int | None, whole: int | None) -> float:
    return ratio(part, whole, 100) or 0.0


def rounded(value: float | Decimal | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _period_fields(period: Period, *, with_interval: bool = True) -> dict[str, Any]:
    fields = {"period_days": period.days, "interval": period.interval, "start": _iso(period.start),
              "end": _iso(period.end)}
    if not with_interval:
        del fields["interval"]
    return fields


# --- shared pieces ----------------------------------------------------------------------------------


def _signed_in_since(moment: datetime) -> Q:
    """Users who signed in since `moment`: an API or app session started (AuthSession), or a page sign-in
    (which records `last_login` only)."""
    # An uncorrelated IN: PostgreSQL reads the period's sessions once into a hash, instead of probing the
    # sessions of every user (a correlated EXISTS runs once per user row).
    signed_in = AuthSession.objects.filter(created_at__gte=moment).order_by().values("user_id")
    return Q(pk__in=signed_in) | Q(last_login__gte=moment)


def _user_totals(period: Period) -> dict[str, int]:
    """One query over the users table."""
    day_ago = timezone.now() - timedelta(hours=24)
    has_2fa = Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    return User.objects.aggregate(
        total_users=Count("id"),
        new_users=Count("id", filter=Q(date_joined__gte=period.start)),
        active_users=Count("id", filter=_signed_in_since(period.start)),
        daily_active_users=Count("id", filter=_signed_in_since(day_ago)),
        verified_users=Count("id", filter=Q(email_verified=True)),
        users_with_2fa=Count("id", filter=Q(has_2fa)),
        clients=Count("id", filter=Q(user_type=UserType.CLIENT)),
        freelancers=Count("id", filter=Q(user_type=UserType.FREELANCER)),
    )


def _project_totals(period: Period, *, since_created: bool = False) -> dict[str, Any]:
    """One query: projects by status, posted in the period, and the average budget in the reporting currency.

    With `since_created` only the projects created in the period are counted (the funnel of the period).
    """
    queryset = Project.objects.all()
    if since_created:
        queryset = queryset.filter(created_at__gte=period.start)
    posted = ~Q(status=ProjectStatus.DRAFT)
    return queryset.aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in PROJECT_STATUSES},
        total=Count("id"),
        posted_in_period=Count("id", filter=Q(published_at__gte=period.start)),
        budget_sum_average=Avg(F("budget_min") + F("budget_max"), filter=posted & Q(currency=REPORTING_CURRENCY)),
    )


def _average_budget(budget_sum_average: Decimal | float | None) -> str | None:
    """The average of budget midpoints: (min + max) / 2, halved here so the database never divides decimals."""
    if budget_sum_average is None:
        return None
    return money_decimal(Decimal(str(budget_sum_average)) / 2)


def _payment_totals(period: Period) -> dict[str, Mapping[str, Any]]:
    """One query: fundings, refunds and releases of the period, per currency."""
    rows = (Payment.objects.filter(status=Payment.Status.SUCCEEDED, created_at__gte=period.start)
            .values("currency")
            .annotate(fundings=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.FUNDING)), 0),
                      transaction_count=Count("id", filter=Q(kind=Payment.Kind.FUNDING)),
                      refunds=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.REFUND)), 0),
                      subscriptions=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.SUBSCRIPTION)), 0),
                      releases=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.RELEASE)), 0))
            .order_by("currency"))
    return {row["currency"]: row for row in rows}


def _revenue_of(payments: Mapping[str, Any]) -> int:
    """Money clients paid the platform in the period, net of what went back to them: escrow fundings and
    Client Pro subscriptions, less refunds."""
    return payments.get("fundings", 0) + payments.get("subscriptions", 0) - payments.get("refunds", 0)


def _fee_totals(period: Period) -> dict[str, int]:
    """One query: the platform's fees of the period per currency (credits of `platform_fees`, so negated)."""
    rows = (LedgerEntry.objects.filter(account=LedgerAccount.PLATFORM_FEES, transaction__created_at__gte=period.start)
            .values("currency").annotate(credited=Sum("amount")).order_by("currency"))
    return {row["currency"]: -(row["credited"] or 0) for row in rows}


def _support_figures(period: Period) -> tuple[int, float | None]:
    """Pending tickets and the average hours to a first answer."""
    figures = SupportTicket.objects.aggregate(
        pending=Count("pk", filter=Q(status__in=[TicketStatus.OPEN, TicketStatus.PENDING])),
        response=Avg(
            ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField()),
            filter=Q(first_response_at__isnull=False, created_at__gte=period.start),
        ),
    )
    response = figures["response"]
    hours = round(response.total_seconds() / 3600, 2) + 0.0 if isinstance(response, timedelta) else None  # no -0.0
    return figures["pending"] or 0, hours


# --- the dashboard summary ---------------------------------------------------------------------------


def dashboard_summary(*, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """`{users, projects, revenue, health, engagement}` as the product documents promise (ten queries)."""
    return _cached("summary", lambda: _dashboard_summary(period_for(days)), days=days)


def _dashboard_summary(period: Period) -> dict[str, Any]:
    users = _user_totals(period)
    projects = _project_totals(period)
    proposals = Proposal.objects.aggregate(total=Count("id"),
                                           in_period=Count("id", filter=Q(created_at__gte=period.start)))
    payments = _payment_totals(period).get(REPORTING_CURRENCY, {})
    fees = _fee_totals(period).get(REPORTING_CURRENCY, 0)
    reviews = Review.objects.aggregate(average=Avg("rating"),
                                       in_period=Count("id", filter=Q(created_at__gte=period.start)))
    active_disputes = Dispute.objects.filter(status=Dispute.Status.OPEN).count()
    contracts_created = Contract.objects.filter(created_at__gte=period.start).count()
    messages_sent = Message.objects.filter(created_at__gte=period.start).count()
    pending_tickets, response_hours = _support_figures(period)

    fundings = payments.get("fundings", 0)
    revenue = _revenue_of(payments)
    count = payments.get("transaction_count", 0)
    posted_projects = projects["total"] - projects[ProjectStatus.DRAFT]
    return {
        "users": {
            "total_users": users["total_users"],
            "active_users": users["active_users"],
            "verified_users": users["verified_users"],
            "users_with_2fa": users["users_with_2fa"],
            "user_types": {"client": users["clients"], "freelancer": users["freelancers"]},
            "period_days": period.days,
        },
        "projects": {
            "status_breakdown": {status: projects[status] for status in PROJECT_STATUSES},
            "average_budget": _average_budget(projects["budget_sum_average"]),
            "currency": REPORTING_CURRENCY,
            f"projects_last_{period.days}_days": projects["posted_in_period"],
            "average_proposals_per_project": ratio(proposals["total"], posted_projects) or 0.0,
        },
        "revenue": {
            "total_revenue": money(revenue),
            "platform_fees": money(fees),
            "net_revenue": money(revenue - fees),
            "subscriptions": money(payments.get("subscriptions", 0)),
            "refunds": money(payments.get("refunds", 0)),
            "transaction_count": count,
            "average_transaction": money_decimal(Decimal(fundings) / count / 100) if count else money(0),
            "payment_methods": {"stripe": money(fundings)},
            "currency": REPORTING_CURRENCY,
        },
        "health": {
            "active_disputes": active_disputes,
            "pending_support_tickets": pending_tickets,
            "average_response_time_hours": response_hours,
            "user_satisfaction_rating": rounded(reviews["average"]),
            "daily_active_users": users["daily_active_users"],
        },
        "engagement": {
            "period_days": period.days,
            "messages_sent": messages_sent,
            "proposals_submitted": proposals["in_period"],
            "projects_posted": projects["posted_in_period"],
            "contracts_created": contracts_created,
            "reviews_posted": reviews["in_period"],
        },
    }


# --- users ----------------------------------------------------------------------------------------


def user_analytics(*, days: int = DEFAULT_DAYS, interval: str = "day") -> dict[str, Any]:
    """Sign-ups per bucket by type, active users, verification and 2FA adoption, countries (five queries)."""
    return _cached("users", lambda: _user_analytics(period_for(days, interval)), days=days, interval=interval)


def _user_analytics(period: Period) -> dict[str, Any]:
    totals = _user_totals(period)
    signups = _grouped(User.objects.all(), "date_joined", period,
                       clients=Count("id", filter=Q(user_type=UserType.CLIENT)),
                       freelancers=Count("id", filter=Q(user_type=UserType.FREELANCER)),
                       total=Count("id"))
    # Active users per bucket: distinct users who started a session in it, plus those whose page sign-in
    # (`last_login`) falls in a bucket where they started no session.
    trunc = TRUNC[period.interval]
    sessions = _grouped(AuthSession.objects.all(), "created_at", period, users=Count("user", distinct=True))
    session_in_same_bucket = AuthSession.objects.annotate(bucket=trunc("created_at")).filter(
        user=OuterRef("pk"), bucket=OuterRef("login_bucket"))
    page_logins = (User.objects.filter(last_login__gte=period.start)
                   .annotate(login_bucket=trunc("last_login"))
                   .filter(~Exists(session_in_same_bucket))
                   .values("login_bucket").annotate(users=Count("id")).order_by("login_bucket"))
    page_active = {_as_date(row["login_bucket"]): row["users"] for row in page_logins}
    countries = (User.objects.exclude(user_type="").values("country")
                 .annotate(users=Count("id")).order_by("-users", "country")[:20])
    empty = {"clients": 0, "freelancers": 0, "total": 0}
    return {
        **_period_fields(period),
        "totals": {
            "total_users": totals["total_users"],
            "new_users": totals["new_users"],
            "active_users": totals["active_users"],
            "daily_active_users": totals["daily_active_users"],
            "verified_users": totals["verified_users"],
            "users_with_2fa": totals["users_with_2fa"],
            "verification_rate": percent(totals["verified_users"], totals["total_users"]),
            "two_factor_rate": percent(totals["users_with_2fa"], totals["total_users"]),
            "user_types": {"client": totals["clients"], "freelancer": totals["freelancers"]},
        },
        "series": [
            {"period": bucket.isoformat(),
             **{key: signups.get(bucket, empty)[key] for key in empty},
             "active_users": sessions.get(bucket, {}).get("users", 0) + page_active.get(bucket, 0)}
            for bucket in period.buckets
        ],
        "countries": [{"country": row["country"] or None, "users": row["users"]} for row in countries],
    }


# --- projects -------------------------------------------------------------------------------------


def project_analytics(*, days: int = DEFAULT_DAYS, interval: str = "day") -> dict[str, Any]:
    """Projects posted and proposals sent per bucket, the status funnels of the projects and proposals created
    in the period, popular categories, average budgets per currency and the completion rate (six queries)."""
    return _cached("projects", lambda: _project_analytics(period_for(days, interval)), days=days,
                   interval=interval)


def _project_analytics(period: Period) -> dict[str, Any]:
    funnel = _project_totals(period, since_created=True)
    proposals = Proposal.objects.filter(created_at__gte=period.start).aggregate(
        total=Count("id"), **{status: Count("id", filter=Q(status=status)) for status in PROPOSAL_STATUSES})
    posted = _grouped(Project.objects.all(), "published_at", period, projects_posted=Count("id"))
    sent = _grouped(Proposal.objects.all(), "created_at", period, proposals_submitted=Count("id"))
    in_period = Project.objects.filter(created_at__gte=period.start).exclude(status=ProjectStatus.DRAFT)
    categories = (in_period.values(name=F("category__name"), slug=F("category__slug"))
                  .annotate(projects=Count("id")).order_by("-projects", "name")[:10])
    budgets = (in_period.values("currency")
               .annotate(projects=Count("id"), average_min=Avg("budget_min"), average_max=Avg("budget_max"),
                         sum_average=Avg(F("budget_min") + F("budget_max")))
               .order_by("-projects", "currency"))
    non_draft = funnel["total"] - funnel[ProjectStatus.DRAFT]
    return {
        **_period_fields(period),
        "totals": {
            "projects_created": funnel["total"],
            "projects_posted": funnel["posted_in_period"],
            "proposals_submitted": proposals["total"],
            "average_proposals_per_project": ratio(proposals["total"], non_draft) or 0.0,
            "completion_rate": percent(funnel[ProjectStatus.COMPLETED], non_draft),
            "average_budget": _average_budget(funnel["budget_sum_average"]),
            "currency": REPORTING_CURRENCY,
        },
        "series": [
            {"period": bucket.isoformat(),
             "projects_posted": posted.get(bucket, {}).get("projects_posted", 0),
             "proposals_submitted": sent.get(bucket, {}).get("proposals_submitted", 0)}
            for bucket in period.buckets
        ],
        "status_funnel": {
            "projects": [{"status": status, "count": funnel[status]} for status in PROJECT_STATUSES],
            "proposals": [{"status": status, "count": proposals[status]} for status in PROPOSAL_STATUSES],
        },
        "categories": [{"category": row["name"], "slug": row["slug"], "projects": row["projects"]}
                       for row in categories],
        "average_budgets": [
            {"currency": row["currency"], "projects": row["projects"],
             "average_budget_min": money_decimal(row["average_min"]),
             "average_budget_max": money_decimal(row["average_max"]),
             "average_budget": _average_budget(row["sum_average"])}
            for row in budgets
        ],
    }


# --- revenue --------------------------------------------------------------------------------------


def revenue_analytics(*, days: int = DEFAULT_DAYS, interval: str = "day") -> dict[str, Any]:
    """Fundings, platform fees and refunds per bucket in the reporting currency, and the period's totals per
    currency (four queries)."""
    return _cached("revenue", lambda: _revenue_analytics(period_for(days, interval)), days=days,
                   interval=interval)


def _currency_totals(currency: str, payments: Mapping[str, Any], fees: int) -> dict[str, Any]:
    fundings, count = payments.get("fundings", 0), payments.get("transaction_count", 0)
    revenue = _revenue_of(payments)
    return {
        "currency": currency,
        "total_revenue": money(revenue),
        "platform_fees": money(fees),
        "net_revenue": money(revenue - fees),
        "subscriptions": money(payments.get("subscriptions", 0)),
        "refunds": money(payments.get("refunds", 0)),
        "releases": money(payments.get("releases", 0)),
        "transaction_count": count,
        "average_transaction": money_decimal(Decimal(fundings) / count / 100) if count else money(0),
    }


def _revenue_analytics(period: Period) -> dict[str, Any]:
    payments = _payment_totals(period)
    fees = _fee_totals(period)
    succeeded = Payment.objects.filter(status=Payment.Status.SUCCEEDED, currency=REPORTING_CURRENCY)
    moved = _grouped(succeeded, "created_at", period,
                     fundings=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.FUNDING)), 0),
                     refunds=Coalesce(Sum("amount", filter=Q(kind=Payment.Kind.REFUND)), 0),
                     transaction_count=Count("id", filter=Q(kind=Payment.Kind.FUNDING)))
    fee_entries = LedgerEntry.objects.filter(account=LedgerAccount.PLATFORM_FEES, currency=REPORTING_CURRENCY)
    fee_rows = _grouped(fee_entries, "transaction__created_at", period, credited=Sum("amount"))
    currencies = sorted(set(payments) | set(fees))
    return {
        **_period_fields(period),
        "currency": REPORTING_CURRENCY,
        "totals": _currency_totals(REPORTING_CURRENCY, payments.get(REPORTING_CURRENCY, {}),
                                   fees.get(REPORTING_CURRENCY, 0)),
        "series": [
            {"period": bucket.isoformat(),
             "fundings": money(moved.get(bucket, {}).get("fundings", 0)),
             "fees": money(-(fee_rows.get(bucket, {}).get("credited") or 0)),
             "refunds": money(moved.get(bucket, {}).get("refunds", 0)),
             "transaction_count": moved.get(bucket, {}).get("transaction_count", 0)}
            for bucket in period.buckets
        ],
        "by_currency": [_currency_totals(currency, payments.get(currency, {}), fees.get(currency, 0))
                        for currency in currencies],
    }


# --- rankings -------------------------------------------------------------------------------------


def _per_user(queryset: QuerySet, key: str, value: Any, output: Any) -> Subquery:
    """A correlated subquery: `value` aggregated over the rows of `queryset` that belong to the outer user."""
    return Subquery(queryset.filter(**{key: OuterRef("pk")}).order_by().values(key).annotate(v=value).values("v"),
                    output_field=output)


def _name(row: Mapping[str, Any]) -> str:
    return f"{row['first_name']} {row['last_name']}".strip() or row["email"]


def top_freelancers(*, days: int = DEFAULT_DAYS, by: str = "earnings", limit: int = TOP_LIMIT) -> dict[str, Any]:
    """The best freelancers of the period (one query): earnings net of fees and contracts completed in the period,
    with their lifetime average rating and success rate (completed / ended contracts)."""
    if by not in FREELANCER_ORDERINGS:
        raise ValueError(f"by must be one of {', '.join(FREELANCER_ORDERINGS)}")
    return _cached("top-freelancers", lambda: _top_freelancers(period_for(days), by, limit), days=days, by=by,
                   limit=limit)


def _top_freelancers(period: Period, by: str, limit: int) -> dict[str, Any]:
    releases = Payment.objects.filter(kind=Payment.Kind.RELEASE, status=Payment.Status.SUCCEEDED,
                                      currency=REPORTING_CURRENCY, created_at__gte=period.start)
    contracts = Contract.objects.all()
    completed = contracts.filter(status=ContractStatus.COMPLETED)
    ended = contracts.filter(status__in=[ContractStatus.COMPLETED, ContractStatus.CANCELLED])
    rows = User.objects.filter(user_type=UserType.FREELANCER).annotate(
        earnings=Coalesce(_per_user(releases, "user", Sum("amount"), BigIntegerField()), Value(0)),
        completed_contracts=Coalesce(
            _per_user(completed.filter(completed_at__gte=period.start), "freelancer", Count("id"), IntegerField()),
            Value(0)),
        completed_total=Coalesce(_per_user(completed, "freelancer", Count("id"), IntegerField()), Value(0)),
        ended_total=Coalesce(_per_user(ended, "freelancer", Count("id"), IntegerField()), Value(0)),
        average_rating=_per_user(Review.objects.all(), "reviewee", Avg("rating"), FloatField()),
        review_count=Coalesce(_per_user(Review.objects.all(), "reviewee", Count("id"), IntegerField()), Value(0)),
    )
    if by == "rating":
        rows = rows.filter(review_count__gt=0)
        ordering = [F("average_rating").desc(nulls_last=True), F("review_count").desc(), F("earnings").desc()]
    elif by == "contracts":
        rows = rows.filter(Q(completed_contracts__gt=0) | Q(earnings__gt=0))
        ordering = [F("completed_contracts").desc(), F("earnings").desc()]
    else:
        rows = rows.filter(Q(earnings__gt=0) | Q(completed_contracts__gt=0))
        ordering = [F("earnings").desc(), F("completed_contracts").desc()]
    ordering.append(F("id").asc())
    ranked = (rows.annotate(rank=Window(RowNumber(), order_by=ordering)).order_by("rank")
            .values("rank", "id", "first_name", "last_name", "email", "country", "earnings", "completed_contracts",
                    "completed_total", "ended_total", "average_rating", "review_count")[:limit])
    return {
        **_period_fields(period, with_interval=False),
        "by": by,
        "currency": REPORTING_CURRENCY,
        "results": [
            {"rank": row["rank"], "id": row["id"], "name": _name(row), "email": row["email"],
             "country": row["country"] or None, "earnings": money(row["earnings"]), "currency": REPORTING_CURRENCY,
             "completed_contracts": row["completed_contracts"], "average_rating": rounded(row["average_rating"]),
             "review_count": row["review_count"], "success_rate": ratio(row["completed_total"], row["ended_total"],
                                                                         100)}
            for row in ranked
        ],
    }


def top_clients(*, days: int = DEFAULT_DAYS, by: str = "spend", limit: int = TOP_LIMIT) -> dict[str, Any]:
    """The clients who spent most in the period (fundings less refunds, one query), with the projects they posted
    and the contracts they started in it."""
    if by not in CLIENT_ORDERINGS:
        raise ValueError(f"by must be one of {', '.join(CLIENT_ORDERINGS)}")
    return _cached("top-clients", lambda: _top_clients(period_for(days), by, limit), days=days, by=by, limit=limit)


def _top_clients(period: Period, by: str, limit: int) -> dict[str, Any]:
    payments = Payment.objects.filter(status=Payment.Status.SUCCEEDED, currency=REPORTING_CURRENCY,
                                      created_at__gte=period.start)
    rows = User.objects.filter(user_type=UserType.CLIENT).annotate(
        funded=Coalesce(_per_user(payments.filter(kind=Payment.Kind.FUNDING), "user", Sum("amount"),
                                  BigIntegerField()), Value(0)),
        refunded=Coalesce(_per_user(payments.filter(kind=Payment.Kind.REFUND), "user", Sum("amount"),
                                    BigIntegerField()), Value(0)),
        projects_posted=Coalesce(_per_user(Project.objects.filter(published_at__gte=period.start), "client",
                                           Count("id"), IntegerField()), Value(0)),
        contracts_created=Coalesce(_per_user(Contract.objects.filter(created_at__gte=period.start), "client",
                                             Count("id"), IntegerField()), Value(0)),
    ).annotate(total_spent=F("funded") - F("refunded")).filter(Q(funded__gt=0) | Q(projects_posted__gt=0))
    if by == "projects":
        ordering = [F("projects_posted").desc(), F("total_spent").desc()]
    else:
        ordering = [F("total_spent").desc(), F("projects_posted").desc()]
    ordering.append(F("id").asc())
    ranked = (rows.annotate(rank=Window(RowNumber(), order_by=ordering)).order_by("rank")
            .values("rank", "id", "first_name", "last_name", "email", "company", "country", "total_spent",
                    "funded", "refunded", "projects_posted", "contracts_created")[:limit])
    return {
        **_period_fields(period, with_interval=False),
        "by": by,
        "currency": REPORTING_CURRENCY,
        "results": [
            {"rank": row["rank"], "id": row["id"], "name": _name(row), "email": row["email"],
             "company": row["company"], "country": row["country"] or None, "total_spent": money(row["total_spent"]),
             "funded": money(row["funded"]), "refunded": money(row["refunded"]), "currency": REPORTING_CURRENCY,
             "projects_posted": row["projects_posted"], "contracts_created": row["contracts_created"]}
            for row in ranked
        ],
    }


# --- reconciliation with Stripe -------------------------------------------------------------------


def reconciliation_mismatches(*, limit: int = 10) -> dict[str, Any]:
    """The differences between the ledger and Stripe the daily comparison found and that are still open."""
    open_ = ReconciliationMismatch.objects.filter(resolved_at__isnull=True)
    return {"open": open_.count(),
            "latest": [{"kind": m.get_kind_display(), "key": m.key, "detail": m.detail,
                        "stripe": money_decimal(Decimal(m.stripe_amount) / 100),
                        "ledger": money_decimal(Decimal(m.ledger_amount) / 100), "currency": m.currency,
                        "last_seen_at": m.last_seen_at}
                       for m in open_.order_by("-last_seen_at", "-id")[:limit]]}
