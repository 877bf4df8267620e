"""With a read replica configured, the staff analytics read it and nothing else does.

The test settings give the test database a second alias, "replica" (a test mirror: its own connection to the
same database), which stands for the replica once a test sets ANALYTICS_DATABASE to it. The tests commit their
data (transaction=True) so that the replica's connection sees it, as a streaming replica would.
"""

import asyncio
import re

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from analytics import selectors
from analytics.tests.scenario import build_world
from core.db_routers import AnalyticsReplicaRouter, analytics_reads
from marketplace.models import Project

SUMMARY = "/api/analytics/dashboard/summary"
API = [
    SUMMARY + "?days=30",
    "/api/analytics/users?days=90&interval=week",
    "/api/analytics/projects?days=30",
    "/api/analytics/revenue?days=365&interval=month",
    "/api/analytics/top-freelancers?days=30&by=rating",
    "/api/analytics/top-clients?days=30",
    "/api/analytics/revenue?days=30&format=csv",
]
PAGES = [
    "/staff/dashboard/?days=30&interval=week",
    "/staff/dashboard/export/users.csv?days=7&interval=day",
    "/staff/dashboard/export/top-clients.csv?days=30",
]
# What signing the person in reads; it stays on the primary so that a sign-out or a suspension counts at once.
SIGN_IN_TABLES = {"accounts_authsession", "accounts_user", "django_session"}
BOTH = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.ANALYTICS_DATABASE = "replica"
    return "replica"


@pytest.fixture
def world(make_user, staff_user):
    return build_world(make_user, staff_user)


@pytest.fixture
def staff_api(client_for, staff_user):
    return client_for(staff_user)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def tables(queries: list[dict]) -> set[str]:
    return {name for query in queries for name in re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"])}


class Capture:
    """The queries run on the primary and on the replica while the block runs."""

    def __enter__(self) -> "Capture":
        self._default = CaptureQueriesContext(connections["default"])
        self._replica = CaptureQueriesContext(connections["replica"])
        self._default.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._replica.__exit__(*exc)
        self._default.__exit__(*exc)

    @property
    def default(self) -> list[dict]:
        return self._default.captured_queries

    @property
    def replica(self) -> list[dict]:
        return self._replica.captured_queries


@BOTH
def test_the_summary_api_reads_its_figures_from_the_replica(replica, world, staff_api):
    with Capture() as queries:
        response = staff_api.get(SUMMARY)
    assert response.status_code == 200
    body = response.json()
    assert body["users"]["total_users"] == 6 and body["revenue"]["total_revenue"] == "1500.00"
    assert body["projects"]["status_breakdown"]["open"] == 2
    read = tables(queries.replica)
    assert {"accounts_user", "marketplace_project", "payments_payment", "contracts_dispute"} <= read, read
    assert not [q for q in queries.replica if not q["sql"].lstrip().upper().startswith("SELECT")]
    # Only the bearer token's session and user were read on the primary, and nothing was written.
    assert queries.default and tables(queries.default) <= SIGN_IN_TABLES, queries.default


@BOTH
def test_the_dashboard_page_reads_its_figures_from_the_replica(replica, world, staff_client):
    with Capture() as queries:
        response = staff_client.get("/staff/dashboard/")
    assert response.status_code == 200
    assert "Staff dashboard" in response.content.decode()
    assert {"marketplace_project", "payments_payment", "marketplace_proposal"} <= tables(queries.replica)
    assert tables(queries.default) <= SIGN_IN_TABLES, queries.default


@BOTH
@pytest.mark.parametrize("signed_in", ["api", "page"])
def test_every_analytics_endpoint_page_and_download_reads_the_replica(replica, world, staff_api, staff_client,
                                                                      signed_in):
    urls, caller = (API, staff_api) if signed_in == "api" else (PAGES, staff_client)
    for url in urls:
        cache.clear()  # the selectors keep their answers for a while
        with Capture() as queries:
            response = caller.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        assert queries.replica, url
        assert tables(queries.default) <= SIGN_IN_TABLES, (url, queries.default)


@BOTH
def test_ordinary_pages_and_api_keep_reading_the_primary(replica, world, staff_api, staff_client, client_for):
    alice = world.alice
    alice_api = client_for(alice)
    # Analytics run first in this thread: nothing of them may linger.
    assert staff_api.get(SUMMARY).status_code == 200
    assert staff_client.get("/staff/dashboard/").status_code == 200
    with Capture() as queries:
        assert staff_client.get("/projects/").status_code == 200
        assert staff_client.get("/freelancers/").status_code == 200
        assert alice_api.get("/api/projects").status_code == 200
        assert staff_api.get("/api/auth/me").status_code == 200
    assert queries.replica == []
    assert "marketplace_project" in tables(queries.default)


@BOTH
def test_without_a_replica_everything_reads_the_primary(world, staff_api, staff_client, settings):
    assert settings.ANALYTICS_DATABASE == "default"  # DATABASE_REPLICA_URL unset
    with Capture() as queries:
        assert staff_api.get(SUMMARY).json()["users"]["total_users"] == 6
        assert staff_client.get("/staff/dashboard/").status_code == 200
        assert staff_client.get("/staff/dashboard/export/top-freelancers.csv?days=30").status_code == 200
    assert queries.replica == []
    assert {"marketplace_project", "payments_payment"} <= tables(queries.default)


@BOTH
def test_refused_callers_are_checked_on_the_primary_and_read_nothing_from_the_replica(replica, make_user, client,
                                                                                      client_for):
    member = make_user("client")
    with Capture() as queries:
        assert client_for(member).get(SUMMARY).status_code == 403
        assert client.get("/api/analytics/users").status_code == 401
        client.force_login(member)
        assert client.get("/staff/dashboard/").status_code == 404
    assert queries.replica == []


@BOTH
def test_a_failing_analytics_request_leaves_the_next_reads_on_the_primary(replica, staff_user, staff_api,
                                                                          staff_client, monkeypatch):
    def broken(**kwargs):
        assert AnalyticsReplicaRouter().db_for_read(Project) == "replica"
        raise RuntimeError("the replica went away")

    monkeypatch.setattr(selectors, "dashboard_summary", broken)
    staff_api.raise_request_exception = False
    staff_client.raise_request_exception = False
    assert staff_api.get(SUMMARY).status_code == 500
    assert staff_client.get("/staff/dashboard/").status_code == 500

    assert AnalyticsReplicaRouter().db_for_read(Project) == "default"
    with Capture() as queries:
        assert staff_client.get("/projects/").status_code == 200
        assert User.objects.filter(pk=staff_user.pk).exists()
    assert queries.replica == []


@BOTH
def test_writes_inside_analytics_go_to_the_primary(replica, staff_user):
    with Capture() as queries, analytics_reads():
        user = User.objects.get(pk=staff_user.pk)
        assert user._state.db == "replica"
        user.first_name = "Renamed"
        user.save(update_fields=["first_name"])
    assert [q["sql"] for q in queries.replica if not q["sql"].startswith("SELECT")] == []
    assert any(q["sql"].startswith("UPDATE") for q in queries.default)
    assert User.objects.get(pk=staff_user.pk).first_name == "Renamed"


def test_concurrent_tasks_each_keep_their_own_setting(settings):
    """Under ASGI requests are tasks of one event loop: an analytics request does not move the others."""
    settings.ANALYTICS_DATABASE = "replica"
    router = AnalyticsReplicaRouter()

    async def both() -> list[str | None]:
        inside, looked = asyncio.Event(), asyncio.Event()

        async def analytics() -> str | None:
            with analytics_reads():
                inside.set()
                await looked.wait()
                return router.db_for_read(Project)

        async def page() -> str | None:
            await inside.wait()
            alias = router.db_for_read(Project)
            looked.set()
            return alias

        return list(await asyncio.gather(analytics(), page()))

    assert asyncio.run(both()) == ["replica", "default"]
    assert router.db_for_read(Project) == "default"
