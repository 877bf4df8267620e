"""What payments reads back: balances and the caller's own payments, for the pages and the API alike.

Balances are in integer minor units, per currency. A person's payments are their own only: another
person's payment is not found, never forbidden (its existence is not told).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.models import User

from .models import LedgerAccount, LedgerEntry, Payment

DEFAULT_CURRENCY = "usd"


@dataclass(frozen=True)
class ClientBalance:
    currency: str
    spent: int  # funded minus refunded
    in_escrow: int  # held in escrow on the client's contracts


@dataclass(frozen=True)
class FreelancerBalance:
    currency: str
    earned: int  # released to the freelancer, net of fees
    pending: int  # owed, waiting for the payout
    paid: int  # transferred to their payout account


def _by_currency(rows: QuerySet) -> dict[str, int]:
    return {row["currency"]: row["total"] or 0 for row in rows.values("currency").annotate(total=Sum("amount"))}


def _currencies(found: set[str], currency: str | None) -> list[str]:
    if currency is not None:
        return [currency]
    return sorted(found) or [DEFAULT_CURRENCY]


def client_balances(*, user: User, currency: str | None = None) -> list[ClientBalance]:
    """Spent and held in escrow, per currency (only `currency` when given; USD when there is nothing yet).

    The client's contracts are those they funded: escrow only ever holds what its client paid in.
    """
    payments = Payment.objects.filter(user=user)
    escrow = LedgerEntry.objects.filter(
        account=LedgerAccount.ESCROW,
        contract_id__in=payments.filter(kind=Payment.Kind.FUNDING, contract_id__isnull=False).values("contract_id"))
    succeeded = payments.filter(status=Payment.Status.SUCCEEDED)
    funded = _by_currency(succeeded.filter(kind=Payment.Kind.FUNDING))
    refunded = _by_currency(succeeded.filter(kind=Payment.Kind.REFUND))
    held = _by_currency(escrow)
    return [ClientBalance(currency=code, spent=funded.get(code, 0) - refunded.get(code, 0),
                          in_escrow=-held.get(code, 0))
            for code in _currencies(set(funded) | set(refunded) | set(held), currency)]


def freelancer_balances(*, user: User, currency: str | None = None) -> list[FreelancerBalance]:
    """Earned, pending payout and paid out, per currency (only `currency` when given; USD when there is
    nothing yet)."""
    payable = LedgerEntry.objects.filter(account=LedgerAccount.FREELANCER_PAYABLE, user=user)
    credited = _by_currency(payable.filter(amount__lt=0))
    balance = _by_currency(payable)
    rows = []
    for code in _currencies(set(credited) | set(balance), currency):
        earned, pending = -credited.get(code, 0), -balance.get(code, 0)
        rows.append(FreelancerBalance(currency=code, earned=earned, pending=pending, paid=earned - pending))
    return rows


def escrow_balance(*, contract_id: int) -> int:
    """What the contract holds in escrow, in minor units."""
    total = LedgerEntry.objects.filter(account=LedgerAccount.ESCROW, contract_id=contract_id).aggregate(
        total=Sum("amount"))["total"]
    return -(total or 0)


def payment_list(*, user: User) -> QuerySet[Payment]:
    """The person's own payments, newest first."""
    return Payment.objects.filter(user=user).order_by("-created_at", "-id")


def payments_in_month(*, user: User, year: int, month: int) -> QuerySet[Payment]:
    """The person's own payments made in one calendar month (UTC), oldest first."""
    return Payment.objects.filter(user=user, created_at__year=year, created_at__month=month).order_by("created_at",
                                                                                                    "id")


@dataclass(frozen=True)
class StatementMonth:
    month: datetime.date  # the first day of the month
    payments: int


@dataclass(frozen=True)
class StatementTotal:
    currency: str
    kind: str
    payments: int
    total: int  # minor units, succeeded payments only


def statement_months(*, user: User) -> list[StatementMonth]:
    """The calendar months (site time zone, as `payments_in_month`) in which the person has payments, newest
    first, with how many."""
    rows = (Payment.objects.filter(user=user).annotate(month=TruncMonth("created_at")).values("month")
            .annotate(payments=Count("id")).order_by("-month"))
    return [StatementMonth(month=row["month"].date(), payments=row["payments"]) for row in rows]


def statement_totals(*, user: User, year: int, month: int) -> list[StatementTotal]:
    """The month's succeeded payments summed per currency and kind, by the database."""
    rows = (payments_in_month(user=user, year=year, month=month).filter(status=Payment.Status.SUCCEEDED)
            .order_by().values("currency", "kind").annotate(payments=Count("id"), total=Sum("amount"))
            .order_by("currency", "kind"))
    return [StatementTotal(currency=row["currency"], kind=row["kind"], payments=row["payments"],
                           total=row["total"] or 0) for row in rows]


def payment_get_own(*, user: User, pk: int) -> Payment | None:
    """The payment if it is the person's own, else None (the callers answer 404)."""
    return Payment.objects.select_related("user").filter(pk=pk, user=user).first()
