"""Search that forgives one typo in a word, says what it searched instead, and costs nothing extra otherwise."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace import search
from marketplace.search import edit_distance

from .factories import make_project

pytestmark = pytest.mark.django_db

TYPOS = {
    "changed": "invoixing",
    "missing": "invocing",
    "added": "invoiccing",
    "swapped": "invoicnig",
}


@pytest.fixture
def projects(client_user):
    return {
        "invoicing": make_project(client_user, title="Invoicing dashboard for a bakery",
                                  description="Monthly statements and reminders.", skills=["Django"]),
        "cluster": make_project(client_user, title="Move our services to a new cluster",
                                description="Helm charts and monitoring.", skills=["Kubernetes"]),
        "other": make_project(client_user, title="Wedding photo album", description="Print-ready layout.",
                              skills=["InDesign"]),
    }


@pytest.mark.parametrize("kind", TYPOS)
def test_a_misspelled_word_finds_its_project(api_client, projects, kind):
    body = api_client.get("/api/projects", {"search": TYPOS[kind]}).json()
    assert [row["id"] for row in body["results"]] == [projects["invoicing"].pk]
    assert body["did_you_mean"] == "invoicing"
    assert body["count"] == 1


@pytest.mark.parametrize("kind", TYPOS)
def test_the_page_says_did_you_mean(client, projects, kind):
    page = client.get("/projects/", {"search": f"{TYPOS[kind]} dashboard"}).content.decode()
    assert "Did you mean" in page and "<strong>invoicing dashboard</strong>" in page
    assert "Invoicing dashboard for a bakery" in page and "Wedding photo album" not in page


def test_a_misspelled_skill_finds_the_project_needing_it(api_client, projects):
    body = api_client.get("/api/projects", {"search": "kubernetse"}).json()
    assert [row["id"] for row in body["results"]] == [projects["cluster"].pk]
    assert body["did_you_mean"] == "kubernetes"


def test_a_word_spelled_right_or_far_from_any_gets_no_suggestion(api_client, projects):
    body = api_client.get("/api/projects", {"search": "invoicing"}).json()
    assert body["count"] == 1 and "did_you_mean" not in body
    body = api_client.get("/api/projects", {"search": "xylophone"}).json()
    assert body["count"] == 0 and body["results"] == [] and "did_you_mean" not in body


def test_a_search_that_finds_something_never_looks_for_spellings(api_client, projects):
    with CaptureQueriesContext(connection) as queries:
        api_client.get("/api/projects", {"search": "bakery"})
    assert not [query["sql"] for query in queries if "%>" in query["sql"] or "set_config" in query["sql"]]


def test_the_trigram_index_serves_the_spelling_lookup(client_user):
    """The lookup of nearly spelled titles can be answered from the trigram index (at 200,000 titles PostgreSQL
    picks it of its own accord; here the table is small, so a full scan is ruled out to show the index serves
    the operator, and few rows are made so that other tests' plans keep their statistics)."""
    from marketplace.models import Project

    Project.objects.bulk_create([Project(client=client_user, title=f"Checkout tool {n} for a bakery", description="x",
                                         budget_min=1, budget_max=2, status="open") for n in range(50)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_project")
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [search.SIMILARITY])
        cursor.execute("SET LOCAL enable_seqscan = off")
    lookup = Project.objects.filter(title__trigram_word_similar="invoixing").order_by().values_list("title")
    plan = lookup[:search.CANDIDATES].explain()
    assert "project_title_trgm_idx" in plan, plan


def test_one_edit_of_each_kind():
    assert edit_distance("invoicing", "invoixing") == 1
    assert edit_distance("invoicing", "invocing") == 1
    assert edit_distance("invoicing", "invoiccing") == 1
    assert edit_distance("invoicing", "invoicnig") == 1
    assert edit_distance("invoicing", "invoicing") == 0
    assert edit_distance("invoicing", "invocnig") == 2


def test_skill_names_complete_as_they_are_typed(api_client, make_user):
    from accounts.services import profile_update

    profile_update(user=make_user("freelancer"), data={"skills": ["Django", "Django REST framework", "PostgreSQL",
                                                                  "Go", "Kubernetes"]})
    names = [row["name"] for row in api_client.get("/api/skills", {"search": "djan"}).json()]
    assert names[:2] == ["Django", "Django REST framework"]
    assert [row["name"] for row in api_client.get("/api/skills", {"search": "postgres"}).json()] == ["PostgreSQL"]
    assert "Kubernetes" in [row["name"] for row in api_client.get("/api/skills", {"search": "kubernets"}).json()]
