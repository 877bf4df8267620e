"""The summary's user totals read the sign-in sessions once, not once per user."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuthSession, User
from analytics.selectors import _user_totals, period_for

pytestmark = pytest.mark.django_db


def test_active_users_come_from_one_pass_over_the_sessions(make_user):
    now = timezone.now()
    users = [make_user("client") for _ in range(6)]
    User.objects.filter(pk__in=[u.pk for u in users]).update(last_login=None)
    AuthSession.objects.bulk_create([AuthSession(user=user) for user in users[:3]])
    AuthSession.objects.filter(user=users[2]).update(created_at=now - timedelta(days=60))
    User.objects.filter(pk=users[3].pk).update(last_login=now - timedelta(hours=2))
    with CaptureQueriesContext(connection) as queries:
        totals = _user_totals(period_for(30))
    assert totals["active_users"] == 3 and totals["daily_active_users"] == 3
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert 'EXISTS(SELECT 1 AS "a" FROM "accounts_authsession"' not in sql
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
    # The sessions are read once per period, never once per user row.
    scans = [line for line in plan if "on accounts_authsession" in line]
    assert len(scans) == 2 and all("loops=1)" in line for line in scans), "\n".join(plan)
