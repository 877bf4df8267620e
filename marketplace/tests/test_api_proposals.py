"""Proposals and invites, through HTTP for every kind of caller (accepting one: contracts/tests)."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.models import ProposalStatusChange
from marketplace.tests.factories import make_project, make_proposal

pytestmark = pytest.mark.django_db

LETTER = "I have shipped four marketplaces in Django and can start on Monday."


def propose(api, project, **overrides):
    body = {"project_id": project.id, "cover_letter": LETTER, "bid_amount": "2500.00", "currency": "usd",
            "estimated_duration_days": 21, **overrides}
    return api.post("/api/proposals", body, format="json")


class TestSubmit:
    def test_a_freelancer_proposes(self, client_for, client_user, freelancer_user):
        project = make_project(client_user)
        response = propose(client_for(freelancer_user), project)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "submitted"
        assert body["bid_amount"] == "2500.00" and body["currency"] == "usd"
        assert body["project_id"] == project.id and body["freelancer"]["id"] == freelancer_user.id

    def test_one_proposal_per_freelancer_and_project(self, client_for, client_user, freelancer_user):
        project = make_project(client_user)
        api = client_for(freelancer_user)
        assert propose(api, project).status_code == 201
        again = propose(api, project)
        assert again.status_code == 409
        assert again.json()["error_type"] == "duplicate_proposal"

    def test_clients_cannot_propose(self, client_for, client_user, make_user):
        project = make_project(client_user)
        assert propose(client_for(make_user("client")), project).status_code == 403

    @pytest.mark.parametrize(("field", "value"), [("bid_amount", "0"), ("bid_amount", "-10"),
                                                  ("estimated_duration_days", 0), ("cover_letter", "hi"),
                                                  ("project_id", 999999), ("currency", "xyz")])
    def test_bad_input(self, client_for, client_user, freelancer_user, field, value):
        project = make_project(client_user)
        response = propose(client_for(freelancer_user), project, **{field: value})
        assert response.status_code == 400
        assert field in response.json()["errors"]

    def test_not_on_drafts_closed_or_invite_only_projects(self, client_for, client_user, freelancer_user):
        api = client_for(freelancer_user)
        assert propose(api, make_project(client_user, status="draft")).status_code == 400
        assert propose(api, make_project(client_user, visibility="invite_only")).status_code == 400
        closed = make_project(client_user)
        client_for(client_user).patch(f"/api/projects/{closed.id}", {"status": "cancelled"}, format="json")
        assert propose(api, closed).status_code == 409

    def test_an_invite_lets_a_freelancer_propose_on_an_invite_only_project(self, client_for, client_user,
                                                                          freelancer_user):
        project = make_project(client_user, visibility="invite_only")
        owner = client_for(client_user)
        invite = owner.post("/api/invites", {"project_id": project.id, "freelancer_id": freelancer_user.id},
                            format="json").json()
        api = client_for(freelancer_user)
        received = api.get("/api/invites").json()["results"]
        assert [row["id"] for row in received] == [invite["id"]]
        assert received[0]["client"]["id"] == client_user.id
        assert propose(api, project).status_code == 201
        assert api.get("/api/invites").json()["results"][0]["status"] == "accepted"


class TestVisibility:
    def test_who_sees_a_proposal(self, client_for, client_user, freelancer_user, make_user, staff_user,
                                 api_client):
        project = make_project(client_user)
        proposal = make_proposal(freelancer_user, project)
        url = f"/api/proposals/{proposal.id}"
        assert client_for(freelancer_user).get(url).status_code == 200
        assert client_for(client_user).get(url).status_code == 200
        assert client_for(staff_user).get(url).status_code == 200
        assert client_for(make_user("freelancer")).get(url).status_code == 404
        assert client_for(make_user("client")).get(url).status_code == 404
        assert api_client.get(url).status_code == 401

    def test_lists(self, client_for, client_user, freelancer_user, make_user):
        project = make_project(client_user)
        mine = make_proposal(freelancer_user, project)
        other_freelancer = make_user("freelancer")
        theirs = make_proposal(other_freelancer, project)
        elsewhere = make_proposal(freelancer_user, make_project(make_user("client")))

        def ids(api, **params):
            return {row["id"] for row in api.get("/api/proposals", params).json()["results"]}

        assert ids(client_for(freelancer_user)) == {mine.id, elsewhere.id}
        assert ids(client_for(client_user)) == {mine.id, theirs.id}
        assert ids(client_for(client_user), project=project.id) == {mine.id, theirs.id}
        assert ids(client_for(make_user("client"))) == set()


class TestChanges:
    def test_the_freelancer_edits_while_submitted(self, client_for, client_user, freelancer_user):
        proposal = make_proposal(freelancer_user, make_project(client_user))
        api = client_for(freelancer_user)
        response = api.patch(f"/api/proposals/{proposal.id}", {"bid_amount": "1800"}, format="json")
        assert response.status_code == 200
        assert response.json()["bid_amount"] == "1800.00"
        assert client_for(client_user).patch(f"/api/proposals/{proposal.id}", {"bid_amount": "1"},
                                             format="json").status_code == 404
        client_for(client_user).post(f"/api/proposals/{proposal.id}/shortlist")
        locked = api.patch(f"/api/proposals/{proposal.id}", {"bid_amount": "1700"}, format="json")
        assert locked.status_code == 409

    def test_withdraw_and_delete_keep_the_record(self, client_for, client_user, freelancer_user):
        proposal = make_proposal(freelancer_user, make_project(client_user))
        api = client_for(freelancer_user)
        assert client_for(client_user).post(f"/api/proposals/{proposal.id}/withdraw").status_code == 404
        response = api.delete(f"/api/proposals/{proposal.id}")
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
        again = api.post(f"/api/proposals/{proposal.id}/withdraw")  # a repeated click changes nothing
        assert again.status_code == 200 and again.json()["status"] == "withdrawn"
        assert api.patch(f"/api/proposals/{proposal.id}", {"bid_amount": "10"}, format="json").status_code == 409
        assert client_for(client_user).get(f"/api/proposals/{proposal.id}").json()["status"] == "withdrawn"

    def test_the_client_shortlists_and_rejects(self, client_for, client_user, freelancer_user):
        proposal = make_proposal(freelancer_user, make_project(client_user))
        owner = client_for(client_user)
        assert client_for(freelancer_user).post(f"/api/proposals/{proposal.id}/reject").status_code == 404
        assert owner.post(f"/api/proposals/{proposal.id}/shortlist").json()["status"] == "shortlisted"
        assert owner.post(f"/api/proposals/{proposal.id}/reject").json()["status"] == "rejected"
        assert owner.post(f"/api/proposals/{proposal.id}/shortlist").status_code == 409
        moves = list(ProposalStatusChange.objects.filter(proposal=proposal).values_list("to_status", flat=True))
        assert moves == ["submitted", "shortlisted", "rejected"]


def test_proposal_list_queries_do_not_grow(client_for, client_user, make_user):
    project = make_project(client_user)
    for _ in range(50):
        make_proposal(make_user("freelancer"), project)
    api = client_for(client_user)

    def count(size):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get("/api/proposals", {"page_size": size}).json()["results"]) == size
        return len(queries)

    assert count(5) == count(50)
