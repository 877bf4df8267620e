"""`GET /api/projects` writes its rows from `values()` without a serializer per row: the JSON is exactly what
`ProjectSerializer` writes for the same projects, and the page costs the same queries whatever its size."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import RequestFactory
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from accounts.models import User
from marketplace import selectors
from marketplace.api.serializers import ProjectSerializer
from marketplace.models import Project

from .factories import make_project, make_proposal

pytestmark = pytest.mark.django_db


def _as_serializer_writes(ids: list[int], path: str) -> list[dict]:
    projects = selectors.with_list_data(Project.objects.filter(pk__in=ids))
    by_id = {project.pk: project for project in projects}
    request = Request(RequestFactory().get(path))
    data = ProjectSerializer([by_id[pk] for pk in ids], many=True, context={"request": request}).data
    return json.loads(JSONRenderer().render(data))


def test_project_rows_are_what_the_serializer_writes(api_client, client_user, freelancer_user):
    User.objects.filter(pk=client_user.pk).update(avatar="avatars/2026/12/face.png", headline="Clinic owner")
    first = make_project(client_user, deadline=date(2027, 1, 31))
    second = make_project(client_user, title="A shop", category="", skills=[], budget_min=Decimal("10.5"),
                          budget_max=Decimal("99"))
    make_proposal(freelancer_user, first)
    answer = api_client.get("/api/projects")
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [row["id"] for row in results] == [second.pk, first.pk]
    assert results == _as_serializer_writes([second.pk, first.pk], "/api/projects")
    assert results[1]["proposal_count"] == 1 and results[1]["skills"] == ["Django", "PostgreSQL"]
    assert results[1]["client"]["avatar"].startswith("http://testserver/")
    assert results[0]["category"] is None and results[0]["budget_min"] == "10.50"


def test_a_project_page_costs_the_same_queries_whatever_its_size(api_client, client_user,
                                                                  django_assert_max_num_queries):
    for n in range(12):
        make_project(client_user, title=f"Project {n}")
    api_client.get("/api/projects?page_size=2")  # the visitors' count is cached from here on
    with django_assert_max_num_queries(3) as small:
        assert len(api_client.get("/api/projects?page_size=2").json()["results"]) == 2
    with django_assert_max_num_queries(3) as large:
        assert len(api_client.get("/api/projects?page_size=12").json()["results"]) == 12
    assert len(small.captured_queries) == len(large.captured_queries)


def test_freelancer_rows_are_what_the_serializer_writes(api_client, client_user, freelancer_user, make_user):
    from contracts.reviews import review_create
    from contracts.tests.factories import make_contract
    from marketplace.api.serializers import FreelancerSerializer

    User.objects.filter(pk=freelancer_user.pk).update(avatar="avatars/2026/12/me.png", hourly_rate=Decimal("45.5"))
    other = make_user(user_type="freelancer")
    contract = make_contract(client_user, freelancer_user, completed=True)
    review_create(contract=contract, reviewer=client_user, rating=4, comment="Good work, delivered on time.")
    review_create(contract=contract, reviewer=freelancer_user, rating=5,
                  comment="A clear brief and quick payment.")
    for path in ("/api/freelancers", "/api/freelancers?ordering=rate", f"/api/freelancers?search={other.last_name}"):
        results = api_client.get(path).json()["results"]
        users = selectors.freelancer_search({}).filter(pk__in=[row["id"] for row in results])
        by_id = {user.pk: user for user in users}
        request = Request(RequestFactory().get(path))
        expected = FreelancerSerializer([by_id[row["id"]] for row in results], many=True,
                                        context={"request": request}).data
        assert results == json.loads(JSONRenderer().render(expected))
    first = api_client.get("/api/freelancers").json()["results"][0]
    assert first["id"] == freelancer_user.pk and first["rating_avg"] == "4.00" and first["review_count"] == 1
    assert first["hourly_rate"] == "45.50" and first["avatar"].startswith("http://testserver/")


def test_a_freelancer_page_costs_the_same_queries_whatever_its_size(api_client, make_user,
                                                                     django_assert_max_num_queries):
    for _ in range(12):
        make_user(user_type="freelancer")
    with django_assert_max_num_queries(4) as small:
        assert len(api_client.get("/api/freelancers?page_size=2").json()["results"]) == 2
    with django_assert_max_num_queries(4) as large:
        assert len(api_client.get("/api/freelancers?page_size=12").json()["results"]) == 12
    assert len(small.captured_queries) == len(large.captured_queries)


def test_signed_in_browsing_is_six_queries_and_shows_only_ones_own_private_projects(
        api_client, client_for, client_user, make_user, django_assert_num_queries):
    other = make_user("client")
    public = [make_project(other, title=f"Public {n}") for n in range(3)]
    draft = make_project(client_user, title="My draft")
    Project.objects.filter(pk=draft.pk).update(status="draft", published_at=None)
    api = client_for(client_user)
    api.get("/api/projects")  # the public count is kept and the SQL compiled from here on
    # The signed-in user, their private projects' ids, the public page, the private page, the rows, the skills.
    with django_assert_num_queries(6):
        body = api.get("/api/projects").json()
    assert [row["id"] for row in body["results"]] == [draft.pk, *(p.pk for p in reversed(public))]
    assert body["count"] == 4 and body["results"][0]["status"] == "draft"
    for someone_else in (client_for(other), api_client):
        body = someone_else.get("/api/projects").json()
        assert [row["id"] for row in body["results"]] == [p.pk for p in reversed(public)] and body["count"] == 3
