"""What keeps the project and freelancer lists fast at marketplace scale: SQL per request flat in the page
size, the browse query served by its partial index, search ranking a bounded set, and lists that never
fetch a password hash or the search vector."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from marketplace import selectors
from marketplace.models import Category, Project
from marketplace.tests.factories import make_project

pytestmark = pytest.mark.django_db


def _bulk_projects(client: User, count: int, **fields: object) -> None:
    category = Category.objects.first()
    now = timezone.now()
    Project.objects.bulk_create([
        Project(client=client, title=f"Project {n}", description="Build a shop with payments", category=category,
                budget_min=100, budget_max=200, status=fields.get("status", "draft" if n % 7 == 0 else "open"),
                visibility="invite_only" if n % 11 == 0 else "public",
                published_at=now - timezone.timedelta(minutes=n))
        for n in range(count)
    ])


def _sql(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


class TestProjectList:
    def test_sql_per_request_is_flat_in_page_size(self, api_client, client_user):
        for n in range(12):
            make_project(client_user, title=f"Booking site {n}")
        api_client.get("/api/projects")  # visitors' unfiltered count is kept after the first page
        counts = []
        for size in (5, 100):
            with CaptureQueriesContext(connection) as queries:
                response = api_client.get("/api/projects", {"page_size": size})
            assert response.status_code == 200 and response.json()["count"] == 12
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_rows_carry_no_password_hash_or_search_vector(self, api_client, client_user):
        make_project(client_user)
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get("/api/projects").json()
        assert body["results"][0]["client"]["id"] == client_user.id
        assert not [sql for sql in _sql(queries) if '"password"' in sql or "search_vector" in sql]

    def test_search_rows_carry_no_password_hash_or_search_vector(self, api_client, client_user):
        make_project(client_user, title="Zeppelin tracking dashboard")
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get("/api/projects", {"search": "zeppelin"}).json()
        assert body["count"] == 1
        rows_query = [sql for sql in _sql(queries) if '"marketplace_project"."description"' in sql]
        assert rows_query and not [sql for sql in rows_query if "search_vector" in sql or '"password"' in sql]

    def test_the_page_ids_come_first_then_the_rows_with_their_counts(self, api_client, client_user):
        make_project(client_user)
        with CaptureQueriesContext(connection) as queries:
            api_client.get("/api/projects")
        with_counts = [sql for sql in _sql(queries) if "marketplace_proposal" in sql]
        assert len(with_counts) == 1 and "IN (" in with_counts[0] and "LIMIT" not in with_counts[0]

    def test_browse_uses_the_partial_index(self, client_user):
        _bulk_projects(client_user, 4000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_project")
        ids = selectors.project_filtered(user=AnonymousUser(), params={}).values_list("pk", flat=True)
        plan = ids[:20].explain()
        assert "project_public_newest_idx" in plan, plan
        deep = ids[2000:2020].explain()
        assert "project_public_newest_idx" in deep, deep

    def test_the_broad_count_is_kept_and_exact_counts_stay_exact(self, api_client, client_for, client_user):
        for n in range(3):
            make_project(client_user, title=f"Site {n}")
        assert api_client.get("/api/projects").json()["count"] == 3
        make_project(client_user, title="One more")
        make_project(client_user, title="A draft", status="draft")
        # Browsing with no filter counts the public projects as of up to a minute ago, plus the caller's own
        # private ones at once; any filter counts exactly.
        assert api_client.get("/api/projects").json()["count"] == 3
        assert client_for(client_user).get("/api/projects").json()["count"] == 4
        assert api_client.get("/api/projects", {"status": "open"}).json()["count"] == 4
        assert client_for(client_user).get("/api/projects", {"mine": "1"}).json()["count"] == 5

    def test_signed_in_browsing_uses_the_partial_index_and_still_shows_private_projects(
            self, client_for, client_user, freelancer_user):
        _bulk_projects(client_user, 4000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_project")
        ids = selectors.project_filtered(user=freelancer_user, params={}).values_list("pk", flat=True)
        plan = ids[:20].explain()
        assert "project_public_newest_idx" in plan, plan
        draft = Project.objects.filter(client=client_user, status="draft").order_by("-published_at").first()
        visible = set(selectors.project_filtered(user=client_user, params={}).values_list("pk", flat=True))
        assert draft.pk in visible
        assert draft.pk not in set(ids)

    def test_signed_in_pages_with_private_projects_follow_the_database_order(self, client_for, client_user,
                                                                             make_user):
        other = make_user("client")
        _bulk_projects(other, 40)
        for n in range(4):
            make_project(client_user, title=f"Draft {n}", status="draft")
        make_project(client_user, title="Public one")
        expected = list(selectors.project_filtered(user=client_user, params={}).values_list("pk", flat=True))
        api = client_for(client_user)
        seen, url = [], "/api/projects?page_size=7"
        while url:
            body = api.get(url).json()
            assert body["count"] == len(expected)
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
        assert seen == expected
        mine = api.get("/api/projects", {"mine": "1", "page_size": 3}).json()
        assert mine["count"] == 5 and len(mine["results"]) == 3

    def test_search_ranks_a_bounded_set_of_the_newest_matches(self, api_client, client_user, monkeypatch):
        monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
        for n in range(5):
            make_project(client_user, title=f"Payments {n}", description="Card payments for a shop")
        make_project(client_user, title="Payments payments payments", description="Payments and more payments")
        body = api_client.get("/api/projects", {"search": "payments"}).json()
        assert body["count"] == 3
        titles = [row["title"] for row in body["results"]]
        assert titles[0] == "Payments payments payments" and len(titles) == 3
        assert api_client.get("/api/projects", {"search": "payments", "ordering": "newest"}).json()["count"] == 6


class TestFreelancerList:
    def test_no_password_hash_and_flat_in_page_size(self, api_client, make_user):
        from accounts.services import profile_update

        for n in range(8):
            profile_update(user=make_user("freelancer", first_name=f"Dev{n}"), data={"skills": ["Django"]})
        counts = []
        for size in (5, 100):
            with CaptureQueriesContext(connection) as queries:
                body = api_client.get("/api/freelancers", {"skills": "django", "page_size": size}).json()
            assert body["count"] == 8
            assert not [sql for sql in _sql(queries) if '"password"' in sql or '"email"' in sql]
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_the_skill_filter_reads_active_freelancers_from_their_index(self, make_user):
        from accounts.models import Skill

        User.objects.bulk_create([
            User(email=f"person{n}@example.com", user_type="freelancer" if n % 5 == 0 else "client",
                 first_name=f"P{n}")
            for n in range(4000)
        ])
        django_skill, _ = Skill.objects.get_or_create(slug="django", defaults={"name": "Django"})
        freelancers = User.objects.filter(user_type="freelancer").values_list("pk", flat=True)
        User.skills.through.objects.bulk_create([User.skills.through(user_id=pk, skill_id=django_skill.pk)
                                                 for pk in list(freelancers)[::3]])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_user")
            cursor.execute("ANALYZE accounts_user_skills")
        users = selectors.freelancer_search({"skills": "django"}).only(*selectors.FREELANCER_LIST_FIELDS)
        plan = users[:20].explain()
        assert "user_active_freelancer_idx" in plan, plan
