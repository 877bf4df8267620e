"""Staff analytics read a PostgreSQL read replica when one is configured; everything else reads the primary.

A router sees only the model being read, not who is reading: routing every read of users, projects or
payments to the replica would show people data a moment older than what they just wrote. So the replica is
used only while `analytics_reads()` is active, which the analytics pages and API enter for the length of
their work (`analytics/replica.py`). The flag is a context variable, so it belongs to one request: one
thread under WSGI, one task under ASGI, and it is restored when the block ends, on an exception too.

`settings.ANALYTICS_DATABASE` names the replica's alias (`"replica"` when `DATABASE_REPLICA_URL` is set);
while it is `"default"` the router answers nothing and Django behaves as with no router at all.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models

_analytics_reading: ContextVar[bool] = ContextVar("analytics_reading", default=False)


@contextmanager
def analytics_reads() -> Iterator[None]:
    """Reads inside the block go to the analytics replica, when there is one; writes still go to the primary."""
    token = _analytics_reading.set(True)
    try:
        yield
    finally:
        _analytics_reading.reset(token)


def analytics_database() -> str | None:
    """The replica's alias when one is configured, else None."""
    alias = getattr(settings, "ANALYTICS_DATABASE", DEFAULT_DB_ALIAS)
    if alias == DEFAULT_DB_ALIAS or alias not in settings.DATABASES:
        return None
    return alias


class AnalyticsReplicaRouter:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        replica = analytics_database()
        if replica is None:
            return None
        # Outside analytics the primary, even for objects that were loaded from the replica.
        return replica if _analytics_reading.get() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        # Never the replica (it is read-only), even for an object that was read from it.
        return DEFAULT_DB_ALIAS if analytics_database() is not None else None

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        replica = analytics_database()
        if replica is None:
            return None
        # The replica is a copy of the primary: rows read from either may be related.
        same_data = {DEFAULT_DB_ALIAS, replica}
        return True if {obj1._state.db, obj2._state.db} <= same_data else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        replica = analytics_database()
        if replica is None:
            return None
        # The replica follows the primary's schema through replication.
        return db != replica
