"""What the API accepts as money, how it reports errors about list items, and what its schema promises."""

from decimal import Decimal

import pytest

from contracts.models import Milestone
from contracts.tests.factories import make_contract
from marketplace.models import Project, Proposal
from marketplace.tests.factories import make_project
from marketplace.tests.test_api_projects import BODY

pytestmark = pytest.mark.django_db

REFUSED_AMOUNTS = ["1e3", "1E3", 1000, 1000.5, "12.345", "-5.00", " 12.00", "12.00\n", "0x10", "NaN", "Infinity",
                   "1,000.00", "12.", ".5", True]


class TestMoney:
    @pytest.mark.parametrize("amount", REFUSED_AMOUNTS)
    def test_a_budget_must_be_a_decimal_string_with_two_places_at_most(self, client_for, client_user, amount):
        response = client_for(client_user).post("/api/projects", {**BODY, "budget_min": amount}, format="json")
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["error_type"] == "validation_error"
        assert body["errors"]["budget_min"] == [
            'Enter an amount as a string of digits with at most two decimal places, like "1500.00".']
        assert Project.objects.count() == 0

    @pytest.mark.parametrize(("amount", "stored"), [("1500", "1500.00"), ("1500.5", "1500.50"), ("0.10", "0.10")])
    def test_decimal_strings_are_kept_exactly(self, client_for, client_user, amount, stored):
        response = client_for(client_user).post("/api/projects", {**BODY, "budget_min": amount}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["budget_min"] == stored
        assert Project.objects.get().budget_min == Decimal(stored)

    @pytest.mark.parametrize("amount", ["1e3", 250, 250.25])
    def test_a_bid_and_a_milestone_refuse_numbers_and_exponents(self, client_for, client_user, freelancer_user,
                                                                amount):
        project = make_project(client_user)
        bid = client_for(freelancer_user).post("/api/proposals", {
            "project_id": project.pk, "cover_letter": "I have built this kind of site many times before.",
            "bid_amount": amount, "estimated_duration_days": 10}, format="json")
        assert bid.status_code == 400 and "bid_amount" in bid.json()["errors"]
        assert Proposal.objects.count() == 0
        contract = make_contract(client_user, freelancer_user)
        milestone = client_for(client_user).post(f"/api/contracts/{contract.pk}/milestones",
                                                 {"title": "Design", "amount": amount}, format="json")
        assert milestone.status_code == 400 and "amount" in milestone.json()["errors"]
        assert Milestone.objects.count() == 0

    def test_an_hourly_rate_refuses_an_exponent(self, client_for, freelancer_user):
        response = client_for(freelancer_user).patch("/api/auth/me", {"hourly_rate": "1e2"}, format="json")
        assert response.status_code == 400 and "hourly_rate" in response.json()["errors"]
        freelancer_user.refresh_from_db()
        assert freelancer_user.hourly_rate == Decimal("55.00")

    def test_the_schema_describes_money_inputs_as_decimal_strings(self, api_client):
        schema = api_client.get("/api/openapi.json").json()["components"]["schemas"]
        for component, field in (("ProjectInputRequest", "budget_min"), ("ProposalInputRequest", "bid_amount"),
                                 ("MilestoneInputRequest", "amount"), ("ResolveInputRequest", "freelancer_amount")):
            described = schema[component]["properties"][field]
            assert described["type"] == "string", (component, described)
            assert described["pattern"] == r"^\d{1,10}(\.\d{1,2})?$"


class TestListItemErrors:
    def test_an_error_about_a_list_item_is_a_message_under_its_field(self, client_for, client_user):
        skills = ["Django", "x" * 60, "PostgreSQL", "y" * 51]
        response = client_for(client_user).post("/api/projects", {**BODY, "skills": skills}, format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert errors == {"skills": ["Item 2: Ensure this field has no more than 50 characters.",
                                     "Item 4: Ensure this field has no more than 50 characters."]}
        assert response.json()["detail"] == "Invalid input: Item 2: Ensure this field has no more than 50 characters."


class TestCategory:
    def test_a_project_without_a_category_says_null_and_the_schema_allows_it(self, client_for, client_user,
                                                                            api_client):
        response = client_for(client_user).post("/api/projects", {**BODY, "category": ""}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["category"] is None and response.json()["category_name"] is None
        listed = api_client.get("/api/projects").json()["results"][0]
        assert listed["category"] is None and listed["category_name"] is None
        properties = api_client.get("/api/openapi.json").json()["components"]["schemas"]["Project"]["properties"]
        assert properties["category"]["nullable"] is True
        assert properties["category_name"]["nullable"] is True
