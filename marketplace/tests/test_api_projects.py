"""Projects through HTTP: posting, finding, editing, and who may see or change what."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.models import Project, ProjectStatusChange
from marketplace.tests.factories import make_project, make_proposal

pytestmark = pytest.mark.django_db

BODY = {
    "title": "Mobile app for a bakery chain",
    "description": "Ordering and loyalty points for 12 shops, iOS and Android, with an admin panel.",
    "category": "mobile-development",
    "skills": ["React Native", "TypeScript"],
    "budget_type": "fixed",
    "budget_min": "4000.00",
    "budget_max": "9000.00",
    "currency": "usd",
    "deadline": (datetime.date.today() + datetime.timedelta(days=60)).isoformat(),
    "visibility": "public",
}


class TestPost:
    def test_a_client_posts_an_open_project(self, client_for, client_user):
        response = client_for(client_user).post("/api/projects", BODY, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "open"
        assert body["budget_min"] == "4000.00" and body["budget_max"] == "9000.00" and body["currency"] == "usd"
        assert sorted(body["skills"]) == ["React Native", "TypeScript"]
        assert body["category"] == "mobile-development"
        assert body["client"]["id"] == client_user.id
        assert body["published_at"]
        changes = list(ProjectStatusChange.objects.filter(project_id=body["id"]).values_list("to_status", flat=True))
        assert changes == ["open"]

    def test_a_draft_stays_private_until_opened(self, client_for, client_user, freelancer_user, api_client):
        owner = client_for(client_user)
        draft = owner.post("/api/projects", {**BODY, "status": "draft"}, format="json").json()
        assert draft["status"] == "draft" and draft["published_at"] is None
        assert client_for(freelancer_user).get(f"/api/projects/{draft['id']}").status_code == 404
        assert api_client.get(f"/api/projects/{draft['id']}").status_code == 404
        opened = owner.patch(f"/api/projects/{draft['id']}", {"status": "open"}, format="json")
        assert opened.json()["status"] == "open"
        assert client_for(freelancer_user).get(f"/api/projects/{draft['id']}").status_code == 200

    def test_freelancers_and_anonymous_cannot_post(self, client_for, freelancer_user, api_client):
        assert client_for(freelancer_user).post("/api/projects", BODY, format="json").status_code == 403
        assert api_client.post("/api/projects", BODY, format="json").status_code == 401

    @pytest.mark.parametrize(
        ("field", "value"),
        [("budget_min", "-5"), ("budget_max", "abc"), ("budget_max", "100.00"), ("budget_type", "weekly"),
         ("visibility", "secret"), ("category", "no-such-category"), ("deadline", "2001-01-01"),
         ("title", ""), ("currency", "btc"), ("status", "completed"), ("budget_min", 12.3456)],
    )
    def test_bad_input_is_a_400_naming_the_field(self, client_for, client_user, field, value):
        response = client_for(client_user).post("/api/projects", {**BODY, field: value}, format="json")
        assert response.status_code == 400, response.json()
        assert field in response.json()["errors"]
        assert Project.objects.count() == 0

    def test_money_is_never_a_float(self, client_for, client_user):
        body = client_for(client_user).post("/api/projects", {**BODY, "budget_min": "0.1", "budget_max": "0.3"},
                                            format="json").json()
        assert body["budget_min"] == "0.10" and body["budget_max"] == "0.30"


class TestBrowseAndSearch:
    @pytest.fixture
    def projects(self, make_user):
        alice = make_user("client")
        return {
            "django": make_project(alice, title="Django marketplace backend",
                                   description="Payments and search for a marketplace.", skills=["Django"],
                                   budget_min="5000", budget_max="8000"),
            "logo": make_project(alice, title="Logo for a coffee roaster", description="A friendly wordmark.",
                                 category="design-creative", skills=["Illustrator"], budget_min="200",
                                 budget_max="500"),
            "scraper": make_project(alice, title="Price scraper", description="Python job that reads shop prices "
                                    "and stores them in PostgreSQL every night.", skills=["Python", "Scrapy"],
                                    category="data-analytics", budget_type="hourly", budget_min="30",
                                    budget_max="60"),
            "draft": make_project(alice, title="Secret Django plan", description="Not yet.", status="draft"),
            "invite_only": make_project(alice, title="Private Django audit", description="Security review.",
                                        visibility="invite_only"),
        }

    def ids(self, response):
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    def test_anyone_browses_public_projects(self, api_client, projects):
        ids = self.ids(api_client.get("/api/projects"))
        assert set(ids) == {projects["django"].id, projects["logo"].id, projects["scraper"].id}
        assert ids[0] == projects["scraper"].id  # newest first

    def test_full_text_search_ranks_by_relevance(self, api_client, projects):
        ids = self.ids(api_client.get("/api/projects", {"search": "django"}))
        assert ids == [projects["django"].id]
        ids = self.ids(api_client.get("/api/projects", {"search": "postgresql prices"}))
        assert ids == [projects["scraper"].id]
        # Stemming: "payment" finds "Payments".
        assert self.ids(api_client.get("/api/projects", {"search": "payment"})) == [projects["django"].id]

    def test_filters(self, api_client, projects):
        assert self.ids(api_client.get("/api/projects", {"category": "design-creative"})) == [projects["logo"].id]
        assert self.ids(api_client.get("/api/projects", {"skills": "scrapy,illustrator"})) == [
            projects["scraper"].id, projects["logo"].id]
        assert set(self.ids(api_client.get("/api/projects", {"budget_min": "1000"}))) == {projects["django"].id}
        assert set(self.ids(api_client.get("/api/projects", {"budget_max": "100"}))) == {projects["scraper"].id}
        assert self.ids(api_client.get("/api/projects", {"status": "completed"})) == []

    @pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e999", "abc"])
    def test_odd_amounts_in_filters_are_ignored(self, api_client, projects, value):
        assert api_client.get("/api/projects", {"budget_min": value, "budget_max": value}).status_code == 200
        assert api_client.get("/api/freelancers", {"min_rate": value, "max_rate": value,
                                                   "min_rating": value}).status_code == 200

    def test_ordering_by_budget(self, api_client, projects):
        ids = self.ids(api_client.get("/api/projects", {"ordering": "-budget"}))
        assert ids == [projects["django"].id, projects["logo"].id, projects["scraper"].id]

    def test_the_owner_sees_drafts_and_invite_only_with_mine(self, client_for, projects):
        owner = client_for(projects["draft"].client)
        ids = set(self.ids(owner.get("/api/projects", {"mine": "true"})))
        assert ids == {p.id for p in projects.values()}

    def test_invited_freelancers_see_invite_only_projects(self, client_for, freelancer_user, projects):
        freelancer = client_for(freelancer_user)
        private = projects["invite_only"]
        assert freelancer.get(f"/api/projects/{private.id}").status_code == 404
        owner = client_for(private.client)
        invite = owner.post("/api/invites", {"project_id": private.id, "freelancer_id": freelancer_user.id,
                                             "message": "Would you look at this?"}, format="json")
        assert invite.status_code == 201, invite.json()
        assert freelancer.get(f"/api/projects/{private.id}").status_code == 200
        assert private.id in self.ids(freelancer.get("/api/projects"))

    def test_pagination_shape_and_cap(self, api_client, projects):
        body = api_client.get("/api/projects", {"page_size": 2}).json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
        assert len(api_client.get("/api/projects", {"page_size": 1000}).json()["results"]) == 3


class TestChange:
    def test_only_the_owner_edits(self, client_for, client_user, make_user, freelancer_user, staff_user,
                                  api_client):
        project = make_project(client_user)
        url = f"/api/projects/{project.id}"
        other_client = client_for(make_user("client"))
        assert other_client.patch(url, {"title": "Mine now"}, format="json").status_code == 404
        assert client_for(freelancer_user).patch(url, {"title": "Mine now"}, format="json").status_code == 404
        assert api_client.patch(url, {"title": "Mine now"}, format="json").status_code == 401
        assert client_for(staff_user).patch(url, {"title": "Mine now"}, format="json").status_code == 404
        response = client_for(client_user).patch(url, {"title": "A better title", "skills": ["Vue"]}, format="json")
        assert response.status_code == 200
        assert response.json()["title"] == "A better title" and response.json()["skills"] == ["Vue"]

    def test_put_replaces(self, client_for, client_user):
        project = make_project(client_user)
        response = client_for(client_user).put(f"/api/projects/{project.id}", BODY, format="json")
        assert response.status_code == 200
        assert response.json()["title"] == BODY["title"]

    def test_status_moves_are_checked(self, client_for, client_user):
        project = make_project(client_user)
        api = client_for(client_user)
        assert api.patch(f"/api/projects/{project.id}", {"status": "completed"}, format="json").status_code == 400
        assert api.patch(f"/api/projects/{project.id}", {"status": "cancelled"}, format="json").status_code == 200
        reopen = api.patch(f"/api/projects/{project.id}", {"status": "open"}, format="json")
        assert reopen.status_code == 409
        assert reopen.json()["error_type"] == "not_editable"

    def test_delete_removes_a_draft_and_cancels_an_open_project(self, client_for, client_user, freelancer_user):
        api = client_for(client_user)
        draft = make_project(client_user, status="draft")
        assert api.delete(f"/api/projects/{draft.id}").status_code == 204
        assert not Project.objects.filter(pk=draft.pk).exists()
        open_project = make_project(client_user)
        make_proposal(freelancer_user, open_project)
        response = api.delete(f"/api/projects/{open_project.id}")
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert client_for(freelancer_user).delete(f"/api/projects/{open_project.id}").status_code == 404

    def test_a_project_in_progress_cannot_be_edited_or_deleted(self, client_for, client_user, freelancer_user):
        from contracts.services import proposal_accept

        project = make_project(client_user)
        proposal_accept(proposal=make_proposal(freelancer_user, project), by=client_user)
        api = client_for(client_user)
        assert api.patch(f"/api/projects/{project.id}", {"title": "x"}, format="json").status_code == 409
        assert api.delete(f"/api/projects/{project.id}").status_code == 409

    def test_unknown_project_is_404(self, api_client):
        assert api_client.get("/api/projects/999999").status_code == 404


def test_list_queries_do_not_grow_with_page_size(api_client, make_user, freelancer_user):
    client = make_user("client")
    for n in range(50):
        project = make_project(client, title=f"Project {n}", skills=["Django", f"Skill {n % 7}"])
        if n % 5 == 0:
            make_proposal(freelancer_user, project)

    def count(size):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/api/projects", {"page_size": size})
        assert len(response.json()["results"]) == size
        return len(queries)

    count(5)  # visitors' unfiltered count is kept after the first page
    assert count(5) == count(50)


def test_categories_are_listed(api_client):
    body = api_client.get("/api/categories").json()
    assert {"name": "Web development", "slug": "web-development"}.items() <= body[0].items() or any(
        row["slug"] == "web-development" for row in body
    )
