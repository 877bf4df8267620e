"""The pages: best matches for freelancers (dashboard, /projects/ tab), recommended freelancers with an Invite
button for a project's owner."""

from decimal import Decimal

import pytest

from marketplace.models import Invite
from marketplace.tests.factories import make_project

from .factories import make_freelancer

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(make_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner = make_user("client")
        fatima = make_freelancer(skills=["Django", "PostgreSQL"], rate="50.00", headline="Django developer",
                                 first_name="Fatima", last_name="Zahra")
        booking = make_project(owner, title="Django booking API", skills=["Django", "PostgreSQL"],
                               budget_min=Decimal("1000.00"), budget_max=Decimal("2000.00"))
        make_project(owner, title="Logo for a bakery", skills=["Illustrator"])
    return {"owner": owner, "fatima": fatima, "booking": booking}


def test_the_dashboard_and_the_projects_tab_show_best_matches_with_reasons(client, scored):
    client.force_login(scored["fatima"])
    dashboard = client.get("/dashboard/").content.decode()
    matches = dashboard.split('id="matches-heading"')[1].split("</section>")[0]
    assert "Django booking API" in matches and "2 of 2 skills" in matches and "within your rate" in matches
    assert "Logo for a bakery" not in matches
    listing = client.get("/projects/").content.decode()
    assert 'href="/projects/best-matches/"' in listing
    page = client.get("/projects/best-matches/").content.decode()
    assert page.count("<h1") == 1
    assert "Django booking API" in page and "2 of 2 skills" in page and "Logo for a bakery" not in page


def test_the_owner_invites_a_recommended_freelancer(client, scored, make_user):
    client.force_login(scored["owner"])
    page = client.get(f"/projects/{scored['booking'].pk}/").content.decode()
    panel = page.split('id="recommended-heading"')[1].split("</section>")[0]
    assert "Fatima Zahra" in panel and "2 of 2 skills" in panel and "rate within your budget" in panel
    assert "Invite Fatima Zahra" in panel
    url = f"/projects/{scored['booking'].pk}/recommended/{scored['fatima'].pk}/invite/"
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == f"/projects/{scored['booking'].pk}/"
    assert Invite.objects.filter(project=scored["booking"], freelancer=scored["fatima"]).count() == 1

    other = make_user("client")
    client.force_login(other)  # not the owner: not found, and no invite
    assert client.post(url).status_code == 404
    assert 'id="recommended-heading"' not in client.get(f"/projects/{scored['booking'].pk}/").content.decode()
    assert Invite.objects.count() == 1


def test_the_schema_describes_discovery(api_client):
    paths = api_client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/projects/recommended", "/api/projects/{id}/recommended-freelancers", "/api/price-guidance",
                 "/api/saved-searches", "/api/saved-searches/{id}", "/api/skills"):
        assert path in paths, path
    assert {"match_score", "match_reasons", "rating_avg", "available"} <= set(
        _schema_of(api_client, paths["/api/projects/{id}/recommended-freelancers"]["get"])["properties"])


def _schema_of(api_client, operation):
    components = api_client.get("/api/openapi.json").json()["components"]["schemas"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    items = components[ref]["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[-1]
    return components[items]
