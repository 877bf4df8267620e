"""What keeps browsing services fast at marketplace scale: SQL per request flat in the page size, page 1 of
browsing served by the partial index, search ranking a bounded set, and lists that read only what cards show."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from gigs import selectors
from gigs.models import Service
from gigs.tests.factories import add_image, make_service
from marketplace.models import Category

pytestmark = pytest.mark.django_db


def _bulk_services(seller: User, count: int) -> None:
    categories = list(Category.objects.all())
    now = timezone.now()
    Service.objects.bulk_create([
        Service(seller=seller, title=f"Service {n}", description="Logo design and branding",
                category=categories[n % len(categories)], status="draft" if n % 7 == 0 else "active",
                price_from=Decimal(20 + n % 500), fastest_delivery_days=1 + n % 14,
                published_at=None if n % 7 == 0 else now - timezone.timedelta(minutes=n))
        for n in range(count)
    ])


def _sql(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("params", [{}, {"search": "logo"}, {"category": "design-creative", "ordering": "price"}])
def test_sql_per_request_is_flat_in_page_size(api_client, freelancer_user, params):
    for n in range(12):
        add_image(make_service(freelancer_user, title=f"Logo design number {n}", skills=["Logo design", f"S{n}"]))
    api_client.get("/api/services", params)  # the unfiltered facets are kept after the first page
    counts = []
    for size in (5, 100):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/api/services", {**params, "page_size": size})
        assert response.status_code == 200 and response.json()["count"] == 12
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_rows_carry_no_description_password_hash_or_search_vector(api_client, freelancer_user):
    make_service(freelancer_user, title="Logo design for bakeries")
    for params in ({}, {"search": "logo"}):
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get("/api/services", params).json()
        assert body["results"][0]["seller"]["id"] == freelancer_user.pk
        rows = [sql for sql in _sql(queries) if '"gigs_service"."title"' in sql]
        assert rows
        assert not [sql for sql in rows if '"password"' in sql or '"email"' in sql
                    or '"gigs_service"."description"' in sql], rows
        # What the rows bring back (ranking reads the vector inside the database, and returns only the rank).
        selected = [re.sub(r'ts_rank\(.*?\)\) AS "rank"', "", sql.split(" FROM ")[0]) for sql in rows]
        assert not [sql for sql in selected if "search_vector" in sql], selected


def test_browse_page_one_uses_the_partial_index(freelancer_user):
    _bulk_services(freelancer_user, 4000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gigs_service")
    services = selectors.service_filtered(user=AnonymousUser(), params={})
    plan = services.values_list("pk", flat=True)[:20].explain()
    assert "service_active_newest_idx" in plan, plan
    listed = selectors.with_list_data(services)[:20].explain()
    assert "service_active_newest_idx" in listed, listed


def test_search_ranks_a_bounded_set_of_the_newest_matches(api_client, freelancer_user, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
    for n in range(5):
        make_service(freelancer_user, title=f"Illustration number {n}", description="Illustrations for a book")
    make_service(freelancer_user, title="Illustration illustration illustrations",
                 description="Illustrations and more illustrations")
    body = api_client.get("/api/services", {"search": "illustration"}).json()
    assert body["count"] == 3
    assert body["results"][0]["title"] == "Illustration illustration illustrations"
    assert api_client.get("/api/services", {"search": "illustration", "ordering": "newest"}).json()["count"] == 6
