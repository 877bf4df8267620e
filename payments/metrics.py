"""The money the ledger holds, as Prometheus series beside core's at `/api/health/metrics`.

Registered once per process when the payments app loads (`PaymentsConfig.ready`).
"""

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import Count, Q, Sum
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .models import LedgerAccount, LedgerEntry, ReconciliationMismatch

logger = logging.getLogger(__name__)


class MoneyCollector(Collector):
    """Money the ledger holds, read at scrape time in one aggregate query, per currency, in major units:
    escrow held for contracts, platform fees earned, owed to freelancers (released, not yet transferred)
    and paid out to freelancers."""

    SERIES = {
        "escrow_held": "Money held in escrow for contracts",
        "platform_fees": "Platform fees earned",
        "owed_to_freelancers": "Released to freelancers and not yet transferred",
        "paid_out": "Transferred to freelancers' payout accounts",
    }

    def describe(self) -> Iterator[GaugeMetricFamily]:
        for name, documentation in self.SERIES.items():
            yield GaugeMetricFamily(f"megilance_money_{name}", documentation, labels=["currency"])

    def totals(self) -> list[Mapping[str, Any]]:
        return list(LedgerEntry.objects.order_by().values("currency").annotate(
            escrow=Sum("amount", filter=Q(account=LedgerAccount.ESCROW)),
            fees=Sum("amount", filter=Q(account=LedgerAccount.PLATFORM_FEES)),
            owed=Sum("amount", filter=Q(account=LedgerAccount.FREELANCER_PAYABLE)),
            paid=Sum("amount", filter=Q(account=LedgerAccount.FREELANCER_PAYABLE, amount__gt=0)),
        ))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {name: GaugeMetricFamily(f"megilance_money_{name}", doc, labels=["currency"])
                    for name, doc in self.SERIES.items()}
        try:
            rows = self.totals()
        except Exception:  # a scrape must answer even when the database does not
            logger.warning("Could not read the ledger for the money metrics", exc_info=True)
            rows = []
        for row in rows:
            currency = row["currency"]
            # Credits are negative in the ledger: what escrow, fees and payables hold is minus their sum.
            values = {"escrow_held": -(row["escrow"] or 0), "platform_fees": -(row["fees"] or 0),
                      "owed_to_freelancers": -(row["owed"] or 0), "paid_out": row["paid"] or 0}
            for name, minor in values.items():
                families[name].add_metric([currency], minor / 100)
        yield from families.values()


class ReconciliationCollector(Collector):
    """Differences between the ledger and Stripe that the daily comparison found and that are still open."""

    NAME = "megilance_reconciliation_mismatches"
    DOC = "Open differences between the ledger and Stripe, by kind"

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.NAME, self.DOC, labels=["kind"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.NAME, self.DOC, labels=["kind"])
        try:
            counts = dict(ReconciliationMismatch.objects.filter(resolved_at__isnull=True).order_by()
                          .values_list("kind").annotate(n=Count("id")))
        except Exception:  # a scrape must answer even when the database does not
            logger.warning("Could not count reconciliation mismatches", exc_info=True)
            counts = {}
        for kind in ReconciliationMismatch.Kind.values:
            family.add_metric([kind], counts.get(kind, 0))
        yield family


MONEY = MoneyCollector()
REGISTRY.register(MONEY)
RECONCILIATION = ReconciliationCollector()
REGISTRY.register(RECONCILIATION)  # this module is imported once per process, so the collector is registered once
