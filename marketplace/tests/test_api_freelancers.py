"""Finding freelancers through HTTP: search, filters, ordering, and who is never listed."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import skills_from_names, user_set_active
from contracts.reviews import review_create
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def people(make_user):
    def freelancer(key, skills, **fields):
        user = make_user("freelancer", **fields)
        user.skills.set(skills_from_names(skills))
        return key, user

    made = dict([
        freelancer("fatima", ["Django", "PostgreSQL", "Stripe"], first_name="Fatima", last_name="Haddad",
                   headline="Senior Django engineer", bio="I build marketplaces and payment systems.",
                   hourly_rate=Decimal("85.00"), country="MA"),
        freelancer("diego", ["React Native", "TypeScript"], first_name="Diego", last_name="Santos",
                   headline="Mobile developer", bio="Offline-first apps for logistics companies.",
                   hourly_rate=Decimal("60.00"), country="BR"),
        freelancer("mei", ["Figma", "UX research"], first_name="Mei", last_name="Tanaka",
                   headline="Product designer", bio="Research with real users, then design systems.",
                   hourly_rate=Decimal("70.00"), country="JP", available=False),
        freelancer("liam", ["Python", "PostgreSQL", "Airflow"], first_name="Liam", last_name="Kowalski",
                   headline="Data engineer", bio="Pipelines and dashboards; I also ran three marathons.",
                   hourly_rate=Decimal("75.00"), country="DE"),
        freelancer("nora", ["Django", "Python"], first_name="Nora", last_name="Berg",
                   headline="Backend developer", bio="APIs in Django REST framework.", hourly_rate=None,
                   country="de"),
    ])
    # Never listed: a suspended freelancer and a client, both matching most searches.
    made["suspended"] = make_user("freelancer", first_name="Django", last_name="Suspended",
                                  headline="Django engineer", hourly_rate=Decimal("80.00"), country="DE")
    made["suspended"].skills.set(skills_from_names(["Django", "PostgreSQL", "Python"]))
    user_set_active(user=made["suspended"], active=False)
    made["client"] = make_user("client", first_name="Django", last_name="Client", headline="Django engineer",
                               bio="Hiring a Django engineer", country="DE")

    # Ratings (revealed: both parties reviewed): Fatima 5 and 4 -> 4.5, Liam 3, Diego 5.
    hirer = make_user("client")
    for key, rating in [("fatima", 5), ("fatima", 4), ("liam", 3), ("diego", 5)]:
        contract = make_contract(hirer, made[key], completed=True, title=f"Job for {key} rated {rating}")
        review_create(contract=contract, reviewer=hirer, rating=rating)
        review_create(contract=contract, reviewer=made[key], rating=5)
    return made


def find(api, **params):
    return ids(api.get("/api/freelancers", params))


def pk(people, *keys):
    return [people[key].id for key in keys]


class TestSearch:
    CASES = [
        ("Fatima", ["fatima"]),  # first name
        ("tanaka", ["mei"]),  # last name, any case
        ("designer", ["mei"]),  # headline
        ("marketplaces", ["fatima"]),  # bio
        ("marathon", ["liam"]),  # bio, stemmed
        ("logistics", ["diego"]),  # bio
        ("Airflow", ["liam"]),  # a skill only
        ("UX research", ["mei"]),  # a skill of two words
        ("typescript", ["diego"]),  # a skill, any case
        ("nothing-like-this", []),
    ]

    def test_by_name_headline_bio_and_skills(self, api_client, people):
        for query, expected in self.CASES:
            assert sorted(find(api_client, search=query)) == sorted(pk(people, *expected)), query

    def test_a_word_in_several_places_finds_them_all(self, api_client, people):
        # "Django" is Fatima's headline and skill and Nora's skill; never the suspended or the client account.
        assert sorted(find(api_client, search="django")) == sorted(pk(people, "fatima", "nora"))


class TestFilters:
    def test_skills_must_all_match(self, api_client, people):
        assert sorted(find(api_client, skills="postgresql")) == sorted(pk(people, "fatima", "liam"))
        assert find(api_client, skills="Django,PostgreSQL") == pk(people, "fatima")
        assert find(api_client, skills="django, python") == pk(people, "nora")
        assert find(api_client, skills="django,figma") == []
        assert find(api_client, skills="Cobol") == []

    def test_rates(self, api_client, people):
        assert sorted(find(api_client, min_rate="70")) == sorted(pk(people, "fatima", "mei", "liam"))
        assert sorted(find(api_client, max_rate="70.00")) == sorted(pk(people, "diego", "mei"))
        assert sorted(find(api_client, min_rate="65", max_rate="80")) == sorted(pk(people, "mei", "liam"))
        assert find(api_client, min_rate="90") == []
        # Nonsense is ignored, not an error.
        assert len(find(api_client, min_rate="cheap")) == 5

    def test_min_rating(self, api_client, people):
        assert sorted(find(api_client, min_rating="4.5")) == sorted(pk(people, "fatima", "diego"))
        assert sorted(find(api_client, min_rating="3")) == sorted(pk(people, "fatima", "diego", "liam"))
        assert find(api_client, min_rating="5") == pk(people, "diego")

    def test_country(self, api_client, people):
        assert sorted(find(api_client, country="DE")) == sorted(pk(people, "liam", "nora"))
        assert sorted(find(api_client, country="de")) == sorted(pk(people, "liam", "nora"))
        assert find(api_client, country="JP") == pk(people, "mei")
        assert find(api_client, country="FR") == []

    def test_available(self, api_client, people):
        assert find(api_client, available="false") == pk(people, "mei")
        assert sorted(find(api_client, available="true")) == sorted(pk(people, "fatima", "diego", "liam", "nora"))

    def test_filters_combine(self, api_client, people):
        assert find(api_client, skills="postgresql", country="DE", available="true", min_rating="3") == pk(
            people, "liam")
        assert find(api_client, search="engineer", max_rate="80") == pk(people, "liam")


class TestOrdering:
    def test_by_rating(self, api_client, people):
        best_first = find(api_client, ordering="-rating")
        assert best_first[:3] == pk(people, "diego", "fatima", "liam")
        assert set(best_first[3:]) == set(pk(people, "mei", "nora"))  # unrated last
        assert find(api_client) == best_first  # the default
        worst_first = find(api_client, ordering="rating")
        assert set(worst_first[:2]) == set(pk(people, "mei", "nora"))  # unrated first
        assert worst_first[2:] == pk(people, "liam", "fatima", "diego")

    def test_by_rate(self, api_client, people):
        assert find(api_client, ordering="rate") == pk(people, "diego", "mei", "liam", "fatima", "nora")
        assert find(api_client, ordering="-rate") == pk(people, "fatima", "liam", "mei", "diego", "nora")

    def test_the_figures_are_in_each_row(self, api_client, people):
        rows = {row["id"]: row for row in api_client.get("/api/freelancers").json()["results"]}
        fatima = rows[people["fatima"].id]
        assert (fatima["rating_avg"], fatima["review_count"], fatima["completed_contracts"]) == ("4.50", 2, 2)
        assert fatima["hourly_rate"] == "85.00" and fatima["currency"] == "usd"
        assert sorted(fatima["skills"]) == ["Django", "PostgreSQL", "Stripe"]
        nora = rows[people["nora"].id]
        assert (nora["rating_avg"], nora["review_count"], nora["completed_contracts"]) == (None, 0, 0)
        assert "email" not in fatima


class TestNeverListed:
    def test_inactive_and_client_accounts(self, api_client, client_for, staff_user, people):
        hidden = {people["suspended"].id, people["client"].id, staff_user.id}
        for params in ({}, {"search": "django"}, {"search": "Suspended"}, {"search": "Client"},
                       {"skills": "django"}, {"country": "DE"}, {"page_size": 100}):
            for reader in (api_client, client_for(staff_user)):
                assert not hidden & set(find(reader, **params)), params
        for user in (people["suspended"], people["client"], staff_user):
            assert api_client.get(f"/api/freelancers/{user.id}").status_code == 404
        assert api_client.get(f"/api/freelancers/{people['fatima'].id}").status_code == 200

    def test_a_suspended_freelancer_disappears_and_returns(self, api_client, people):
        user_set_active(user=people["liam"], active=False)
        assert people["liam"].id not in find(api_client)
        user_set_active(user=people["liam"], active=True)
        assert people["liam"].id in find(api_client)


def test_list_queries_do_not_grow_with_page_size(api_client, make_user):
    hirer = make_user("client")
    for n in range(50):
        user = make_user("freelancer", hourly_rate=Decimal(40 + n), headline=f"Developer {n}")
        user.skills.set(skills_from_names(["Python", f"Skill {n % 6}"]))
        if n % 10 == 0:
            contract = make_contract(hirer, user, completed=True, title=f"Job {n}")
            review_create(contract=contract, reviewer=hirer, rating=4)
            review_create(contract=contract, reviewer=user, rating=5)

    def count(size, **params):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/api/freelancers", {"page_size": size, **params})
        assert len(response.json()["results"]) == size
        return len(queries)

    assert count(5) == count(50)
    assert count(5, search="developer", ordering="-rate") == count(50, search="developer", ordering="-rate")
