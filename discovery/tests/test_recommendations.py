"""Best matches both ways, on a small marketplace whose right answers are known by construction."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import profile_update
from contracts.tests.factories import make_contract
from discovery import matching
from discovery.models import Match
from marketplace.services import project_update
from marketplace.tests.factories import make_project, make_proposal

from .factories import make_freelancer

pytestmark = pytest.mark.django_db

BIO = "I build booking systems and payment integrations with Django, PostgreSQL and Celery."


@pytest.fixture
def market(make_user, django_capture_on_commit_callbacks):
    """A client who hired five times posts the project Fatima fits best; other clients post projects that
    share one skill with her, or none. Everything is scored by the tasks run after each commit."""
    with django_capture_on_commit_callbacks(execute=True):
        hirer = make_user("client", company="Acme")
        past = make_freelancer(skills=["Django"], rate="40.00")
        for n in range(5):
            make_contract(hirer, past, title=f"Earlier work {n}")
        newcomer = make_user("client", company="Newco")
        fatima = make_freelancer(skills=["Django", "PostgreSQL", "Celery"], rate="50.00",
                                 headline="Django developer", bio=BIO)
        best = make_project(hirer, title="Booking system with payment integrations",
                            description="Online booking with card payments and reminders sent by Celery.",
                            skills=["Django", "PostgreSQL", "Celery", "React"], budget_min=Decimal("1000.00"),
                            budget_max=Decimal("3000.00"))
        partial = [make_project(newcomer, title=f"Small fix {n}", description="A bug in a form.",
                                skills=["Django", "Vue", "Sass"], budget_min=Decimal("100.00"),
                                budget_max=Decimal("200.00")) for n in range(12)]
        logo = make_project(newcomer, title="Logo for a bakery", description="A friendly logo in two colours.",
                            skills=["Illustrator", "Branding"], budget_min=Decimal("300.00"),
                            budget_max=Decimal("600.00"))
        react_dev = make_freelancer(skills=["React"], rate="45.00", headline="React developer")
        expensive = make_freelancer(skills=["Django", "PostgreSQL"], rate="400.00", headline="Django architect")
        designer = make_freelancer(skills=["Illustrator"], rate="30.00", headline="Illustrator")
    return {"hirer": hirer, "newcomer": newcomer, "past": past, "fatima": fatima, "best": best, "partial": partial,
            "logo": logo, "react_dev": react_dev, "expensive": expensive, "designer": designer}


def test_the_freelancer_sees_the_project_that_fits_first_with_its_reasons(market, client_for):
    body = client_for(market["fatima"]).get("/api/projects/recommended", {"page_size": 10}).json()
    results = body["results"]
    assert results[0]["id"] == market["best"].pk
    reasons = results[0]["match_reasons"]
    assert reasons[0] == "3 of 4 skills"
    assert "within your rate" in reasons
    assert reasons[-1] == "client has hired 5 times"
    # The one-skill projects follow: 1 of 3 skills, a budget below ten hours of her rate, a client new to hiring.
    assert {row["id"] for row in results[1:]} <= {project.pk for project in market["partial"]}
    for row in results[1:]:
        assert row["match_reasons"][0] == "1 of 3 skills"
        assert "within your rate" not in row["match_reasons"]
        assert not [reason for reason in row["match_reasons"] if reason.startswith("client has hired")]
    scores = [row["match_score"] for row in results]
    assert scores == sorted(scores, reverse=True) and all(0 <= score <= 100 for score in scores)
    assert market["logo"].pk not in {row["id"] for row in results}
    assert body["count"] == 13  # the best one and the twelve sharing a skill; never the logo


def test_recommended_rows_are_what_the_serializer_writes_of_the_same_matches(market, client_for, rf):
    """The list is written from `values()` rows; `RecommendedProjectSerializer` over the same matches' projects
    is what it must equal, field for field and in order."""
    from discovery import reasons, selectors
    from discovery.api.serializers import RecommendedProjectSerializer

    make_proposal(make_freelancer(skills=["Django"]), market["partial"][0])  # a proposal count of 1 on one row
    body = client_for(market["fatima"]).get("/api/projects/recommended", {"page_size": 20}).json()
    matches = list(selectors.recommended_for_freelancer(market["fatima"])[:20])
    projects = selectors.projects_for_matches(matches)
    for project in projects:
        project.match_reasons = reasons.for_freelancer(project.match.facts)
    request = rf.get("/api/projects/recommended")
    expected = RecommendedProjectSerializer(projects, many=True, context={"request": request}).data
    assert len(body["results"]) == len(expected) >= 13
    assert [list(row) for row in body["results"]] == [list(row) for row in expected]
    assert body["results"] == [dict(row) for row in expected]


def test_the_client_sees_the_freelancer_who_fits_first(market, client_for):
    response = client_for(market["hirer"]).get(f"/api/projects/{market['best'].pk}/recommended-freelancers")
    assert response.status_code == 200
    results = response.json()["results"]
    # Fatima has three of its skills, the architect two; of the one-skill freelancers React's is the rarer skill
    # among open projects (one needs it, thirteen Django), so it weighs more than the earlier hire's Django.
    assert [row["id"] for row in results] == [market["fatima"].pk, market["expensive"].pk, market["react_dev"].pk,
                                              market["past"].pk]
    first = results[0]
    assert first["match_reasons"][:2] == ["3 of 4 skills", "rate within your budget"]
    assert first["hourly_rate"] == "50.00" and first["available"] is True and "rating_avg" in first
    assert "rate within your budget" not in results[1]["match_reasons"]  # 400 an hour: ten hours cost more
    assert market["designer"].pk not in {row["id"] for row in results}


def test_only_freelancers_get_projects_and_only_the_owner_gets_freelancers(market, client_for, api_client):
    assert client_for(market["hirer"]).get("/api/projects/recommended").status_code == 403
    assert api_client.get("/api/projects/recommended").status_code == 401
    url = f"/api/projects/{market['best'].pk}/recommended-freelancers"
    assert client_for(market["newcomer"]).get(url).status_code == 404
    assert client_for(market["fatima"]).get(url).status_code == 404


def test_a_proposal_sent_takes_the_project_off_the_list(market, client_for):
    make_proposal(market["fatima"], market["best"])
    ids = [row["id"] for row in client_for(market["fatima"]).get("/api/projects/recommended").json()["results"]]
    assert market["best"].pk not in ids


def test_changes_on_either_side_rescore_after_commit(market, client_for, django_capture_on_commit_callbacks):
    designer = market["designer"]
    api = client_for(designer)
    assert [row["id"] for row in api.get("/api/projects/recommended").json()["results"]] == [market["logo"].pk]
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=designer, data={"skills": ["Illustrator", "React"]})
    assert market["best"].pk in {row["id"] for row in api.get("/api/projects/recommended").json()["results"]}
    with django_capture_on_commit_callbacks(execute=True):
        project_update(project=market["logo"], by=market["newcomer"], data={"status": "cancelled"})
    assert market["logo"].pk not in {row["id"] for row in api.get("/api/projects/recommended").json()["results"]}
    assert not Match.objects.filter(project=market["logo"]).exists()


def test_a_page_of_recommendations_costs_the_same_queries_for_3_or_25(make_user, client_for,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client = make_user("client")
        freelancer = make_freelancer(skills=["Django"], headline="Django developer")
        for n in range(25):
            make_project(client, title=f"Django project {n}", skills=["Django", f"Extra {n}"])
    api = client_for(freelancer)
    counts = []
    for size in (3, 25):
        with CaptureQueriesContext(connection) as queries:
            body = api.get("/api/projects/recommended", {"page_size": size}).json()
        assert len(body["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    owner = client_for(client)
    project = client.projects.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            make_freelancer(skills=["Django"], rate=f"{30 + n}.00")
    counts = []
    for size in (3, 20):
        with CaptureQueriesContext(connection) as queries:
            body = owner.get(f"/api/projects/{project.pk}/recommended-freelancers", {"page_size": size}).json()
        assert len(body["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_an_index_serves_each_side(make_user):
    """Each side's best twenty come from its index in order: with sorting and full scans ruled out, the plan still
    answers from `match_*_best_idx` (a small table here; rows bulk-made so other tests' plans keep their stats)."""
    from accounts.models import User
    from marketplace.models import Project

    client = make_user("client")
    projects = Project.objects.bulk_create([
        Project(client=client, title=f"P{n}", description="x", budget_min=1, budget_max=2, status="open",
                visibility="public") for n in range(30)])
    users = User.objects.bulk_create([User(email=f"f{n}@example.com", user_type="freelancer") for n in range(30)])
    Match.objects.bulk_create([Match(freelancer=user, project=project, score=(user.pk * project.pk) % 101, facts={})
                               for user in users for project in projects])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE discovery_match")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
    from discovery import selectors

    plan = selectors.recommended_for_freelancer(users[2])[:20].explain()
    assert "match_freelancer_best_idx" in plan and "Sort" not in plan, plan
    plan = selectors.recommended_for_project(projects[3])[:20].explain()
    assert "match_project_best_idx" in plan and "Sort" not in plan, plan


def test_the_score_adds_up_its_parts():
    """Skills weighted by rarity, text, budget and hires, checked against the formula written out."""
    freelancer = matching.Side(pk=1, skills=frozenset({1, 2}), words=frozenset({"django", "book"}),
                               rate=Decimal("50"))
    project = matching.ProjectSide(pk=1, skills=frozenset({1, 2, 3}), words=frozenset({"django", "shop"}),
                                   budget_type="fixed", budget_max=Decimal("250"), client_id=9)
    context = matching.Context(skill_weight={1: 1.0, 2: 2.0, 3: 1.0}, hires={9: 2})
    score, facts = matching.score(freelancer, project, context)
    expected = 55 * 3 / 4 + 20 * min(1, 0.5 / 0.4) + 15 * (250 / 500) + 10 * 2 / 5
    assert score == round(expected)
    assert facts == {"skills_matched": 2, "skills_needed": 3, "text": 0.5, "rate_fits": False, "has_rate": True,
                     "client_hires": 2}
