"""Reviews through HTTP: the two parties of a completed contract, once each, double-blind for 14 days."""

import datetime
import threading

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone

from contracts.reviews import review_create
from contracts.tests.factories import make_contract
from marketplace.models import Review
from marketplace.tasks import refresh_revealed_ratings

pytestmark = pytest.mark.django_db


def review(api, contract, rating=5, comment="Great to work with."):
    return api.post("/api/reviews", {"contract_id": contract.id, "rating": rating, "comment": comment},
                    format="json")


def ids(api, **params):
    response = api.get("/api/reviews", params)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def figures(api, freelancer):
    body = api.get(f"/api/freelancers/{freelancer.id}").json()
    return body["rating_avg"], body["review_count"]


@pytest.fixture
def contract(client_user, freelancer_user):
    return make_contract(client_user, freelancer_user, completed=True)


class TestWho:
    def test_both_parties_review_once_each(self, client_for, contract):
        client_api, freelancer_api = client_for(contract.client), client_for(contract.freelancer)
        first = review(client_api, contract, 4, "  Solid work, a little late.  ")
        assert first.status_code == 201, first.json()
        body = first.json()
        assert body["reviewer"]["id"] == contract.client_id and body["reviewee"]["id"] == contract.freelancer_id
        assert body["rating"] == 4 and body["comment"] == "Solid work, a little late." and body["revealed"] is False
        again = review(client_api, contract, 1, "Changed my mind")
        assert again.status_code == 409 and again.json()["error_type"] == "duplicate_review"
        second = review(freelancer_api, contract, 5)
        assert second.status_code == 201
        assert second.json()["reviewee"]["id"] == contract.client_id and second.json()["revealed"] is True
        assert review(freelancer_api, contract, 2).status_code == 409
        assert Review.objects.filter(contract_id=contract.pk).count() == 2
        assert Review.objects.get(contract_id=contract.pk, reviewer=contract.client).rating == 4

    def test_not_before_the_contract_is_completed(self, client_for, client_user, freelancer_user):
        active = make_contract(client_user, freelancer_user)
        for party in (client_user, freelancer_user):
            response = review(client_for(party), active)
            assert response.status_code == 409
            assert response.json()["error_type"] == "contract_not_completed"
        assert not Review.objects.exists()

    def test_strangers_find_no_such_contract(self, client_for, make_user, staff_user, api_client, contract):
        for stranger in (make_user("client"), make_user("freelancer"), staff_user):
            response = review(client_for(stranger), contract)
            assert response.status_code == 400, stranger
            assert "contract_id" in response.json()["errors"]
        assert api_client.post("/api/reviews", {"contract_id": contract.id, "rating": 5},
                               format="json").status_code == 401
        missing = client_for(contract.client).post("/api/reviews", {"contract_id": 999999, "rating": 5}, format="json")
        assert missing.status_code == 400 and "contract_id" in missing.json()["errors"]
        assert not Review.objects.exists()

    @pytest.mark.parametrize(("field", "value"), [("rating", 0), ("rating", 6), ("rating", "five"),
                                                  ("comment", "x" * 5001), ("contract_id", "abc")])
    def test_bad_input(self, client_for, contract, field, value):
        body = {"contract_id": contract.id, "rating": 5, "comment": "", field: value}
        response = client_for(contract.client).post("/api/reviews", body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]


class TestDoubleBlind:
    def test_hidden_until_both_wrote(self, client_for, api_client, make_user, staff_user, contract):
        client_api, freelancer_api = client_for(contract.client), client_for(contract.freelancer)
        first = review(client_api, contract, 3, "Communication could be better.").json()["id"]
        # The author sees it; the other party, strangers and the public don't.
        assert ids(client_api, user=contract.freelancer_id) == [first]
        assert ids(freelancer_api, user=contract.freelancer_id) == []
        assert ids(freelancer_api) == []
        assert ids(client_for(make_user("client")), user=contract.freelancer_id) == []
        assert ids(api_client, user=contract.freelancer_id) == []
        assert ids(api_client, contract=contract.id) == []
        assert ids(client_for(staff_user), user=contract.freelancer_id) == [first]  # staff moderate everything
        assert figures(api_client, contract.freelancer) == (None, 0)

        second = review(freelancer_api, contract, 5, "A clear brief.").json()["id"]
        for reader in (api_client, client_api, freelancer_api):
            assert ids(reader, user=contract.freelancer_id) == [first]
            assert ids(reader, user=contract.client_id) == [second]
            assert set(ids(reader, contract=contract.id)) == {first, second}
        rows = api_client.get("/api/reviews", {"user": contract.freelancer_id}).json()["results"]
        assert rows[0]["revealed"] is True and rows[0]["comment"] == "Communication could be better."
        assert figures(api_client, contract.freelancer) == ("3.00", 1)

    def test_a_lone_review_is_revealed_after_fourteen_days(self, client_for, api_client, contract):
        lone = review(client_for(contract.client), contract, 2, "Missed two deadlines.").json()["id"]
        completed = contract.completed_at
        with time_machine.travel(completed + datetime.timedelta(days=13, hours=23)):
            assert ids(api_client, user=contract.freelancer_id) == []
            assert figures(api_client, contract.freelancer) == (None, 0)
        with time_machine.travel(completed + datetime.timedelta(days=14, minutes=1)):
            assert ids(api_client, user=contract.freelancer_id) == [lone]
            assert api_client.get("/api/reviews", {"user": contract.freelancer_id}).json()["results"][0]["revealed"]
            # The profile's figures are the ones kept on the account: they count it once the hourly task ran.
            assert figures(api_client, contract.freelancer) == (None, 0)
            assert refresh_revealed_ratings() == {"ratings_refreshed": 1}
            assert figures(api_client, contract.freelancer) == ("2.00", 1)
            # The freelancer, signed in afresh (tokens of two weeks ago have expired), now reads it too.
            assert ids(client_for(contract.freelancer), user=contract.freelancer_id) == [lone]
            # ...and may still answer it; both are then public.
            late = review(client_for(contract.freelancer), contract, 4, "Fair client.")
            assert late.status_code == 201 and late.json()["revealed"] is True
            assert ids(api_client, user=contract.client_id) == [late.json()["id"]]

    def test_a_review_after_the_blind_period_is_visible_at_once(self, client_for, api_client, contract):
        with time_machine.travel(timezone.now() + datetime.timedelta(days=20)):
            response = review(client_for(contract.client), contract, 5)
            assert response.status_code == 201 and response.json()["revealed"] is True
            assert ids(api_client, user=contract.freelancer_id) == [response.json()["id"]]


def test_the_freelancers_figures_stay_right(client_for, api_client, client_user, make_user, freelancer_user):
    other_client = make_user("client")
    contracts = [make_contract(client, freelancer_user, completed=True, title=f"Job {n}")
                 for n, client in enumerate([client_user, other_client, client_user])]
    make_contract(client_user, freelancer_user, title="Still running")  # not completed: not counted
    for contract, rating in zip(contracts, [5, 4, 4], strict=True):
        assert review(client_for(contract.client), contract, rating).status_code == 201
        assert review(client_for(freelancer_user), contract, 1).status_code == 201  # ratings of the clients
    body = api_client.get(f"/api/freelancers/{freelancer_user.id}").json()
    assert body["rating_avg"] == "4.33" and body["review_count"] == 3 and body["completed_contracts"] == 3
    row = next(r for r in api_client.get("/api/freelancers").json()["results"] if r["id"] == freelancer_user.id)
    assert (row["rating_avg"], row["review_count"], row["completed_contracts"]) == ("4.33", 3, 3)
    # A hidden review does not move the figures.
    fourth = make_contract(other_client, freelancer_user, completed=True, title="Job 4")
    assert review(client_for(other_client), fourth, 1).status_code == 201
    assert figures(api_client, freelancer_user) == ("4.33", 3)
    assert review(client_for(freelancer_user), fourth, 5).status_code == 201
    assert figures(api_client, freelancer_user) == ("3.50", 4)


@pytest.mark.django_db(transaction=True)
def test_two_reviews_at_the_same_moment_are_both_revealed(client_user, freelancer_user, client_for):
    """The client's review is still on its way to COMMIT when the freelancer's arrives.

    Each transaction counts only its own row, so neither brings `visible_from` forward and both stay hidden
    for 14 days
    although both parties wrote. The second review must wait for the first (a lock on the contract) and see it.
    """
    contract = make_contract(client_user, freelancer_user, completed=True)
    freelancer_api = client_for(freelancer_user)
    client_wrote, freelancer_done = threading.Event(), threading.Event()
    statuses: list[int] = []

    def client_reviews():
        try:
            with transaction.atomic():
                review_create(contract=contract, reviewer=client_user, rating=4)
                client_wrote.set()
                freelancer_done.wait(timeout=3)  # a correct service makes the freelancer wait for this COMMIT
        finally:
            connections.close_all()

    def freelancer_reviews():
        try:
            assert client_wrote.wait(timeout=10)
            statuses.append(review(freelancer_api, contract, 5).status_code)
            freelancer_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client_reviews), threading.Thread(target=freelancer_reviews)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [201]
    assert Review.objects.filter(contract_id=contract.pk).count() == 2
    assert not Review.objects.filter(contract_id=contract.pk, visible_from__gt=timezone.now()).exists()
