"""Accepting a proposal makes the contract, through HTTP: only the project's owner, only once."""

import threading

import pytest
from django.db import connections

from contracts.models import Contract
from marketplace.models import Proposal
from marketplace.tests.factories import make_project, make_proposal

pytestmark = pytest.mark.django_db


class TestAccept:
    def test_accepting_makes_the_contract_in_one_step(self, client_for, client_user, freelancer_user, make_user):
        project = make_project(client_user)
        chosen = make_proposal(freelancer_user, project, bid_amount="2750.50")
        other = make_proposal(make_user("freelancer"), project)
        withdrawn = make_proposal(make_user("freelancer"), project)
        client_for(withdrawn.freelancer).post(f"/api/proposals/{withdrawn.id}/withdraw")

        response = client_for(client_user).post(f"/api/proposals/{chosen.id}/accept")
        assert response.status_code == 201, response.json()
        contract = response.json()
        assert contract["status"] == "active"
        assert contract["total_amount"] == "2750.50" and contract["currency"] == "usd"
        assert contract["client"]["id"] == client_user.id and contract["freelancer"]["id"] == freelancer_user.id
        statuses = dict(Proposal.objects.filter(project=project).values_list("id", "status"))
        assert statuses == {chosen.id: "accepted", other.id: "rejected", withdrawn.id: "withdrawn"}
        project.refresh_from_db()
        assert project.status == "in_progress"
        # Both parties see it; nobody else does.
        assert client_for(freelancer_user).get(f"/api/contracts/{contract['id']}").status_code == 200
        assert client_for(client_user).get("/api/contracts").json()["count"] == 1
        assert client_for(other.freelancer).get(f"/api/contracts/{contract['id']}").status_code == 404

    def test_a_second_accept_is_a_conflict(self, client_for, client_user, freelancer_user, make_user):
        project = make_project(client_user)
        first = make_proposal(freelancer_user, project)
        second = make_proposal(make_user("freelancer"), project)
        owner = client_for(client_user)
        assert owner.post(f"/api/proposals/{first.id}/accept").status_code == 201
        response = owner.post(f"/api/proposals/{second.id}/accept")
        assert response.status_code == 409
        assert Contract.objects.count() == 1

    def test_only_the_owner_accepts(self, client_for, client_user, freelancer_user, make_user, staff_user):
        proposal = make_proposal(freelancer_user, make_project(client_user))
        assert client_for(freelancer_user).post(f"/api/proposals/{proposal.id}/accept").status_code == 404
        assert client_for(make_user("client")).post(f"/api/proposals/{proposal.id}/accept").status_code == 404
        assert client_for(staff_user).post(f"/api/proposals/{proposal.id}/accept").status_code == 404
        assert Contract.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_make_one_contract(client_user, freelancer_user, make_user, client_for):
    """Two of the client's tabs accept two proposals at the same moment: one contract, one 409."""
    project = make_project(client_user)
    proposals = [make_proposal(freelancer_user, project), make_proposal(make_user("freelancer"), project)]
    apis = [client_for(client_user), client_for(client_user)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def accept(api, proposal):
        try:
            barrier.wait()
            statuses.append(api.post(f"/api/proposals/{proposal.id}/accept").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(apis, proposals, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert Contract.objects.filter(project=project).count() == 1
    assert Proposal.objects.filter(project=project, status="accepted").count() == 1
