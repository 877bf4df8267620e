"""The deeper analytics endpoints: registration trends, locations, completion rates, categories, revenue trends,
payment methods, freelancer success, platform health and engagement, on the marketplace of `scenario.py`
(figures worked out by hand from its story) and on data made for one question each."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from accounts.services import user_set_active
from analytics.tests.scenario import build_world
from contracts.services import contract_set_status
from contracts.tests.factories import make_contract
from marketplace.tests.factories import make_project, make_proposal
from risk.scoring import Score
from risk.services import case_open

pytestmark = pytest.mark.django_db

NEW = ["registrations", "locations", "completion-rates", "categories", "revenue-trends", "payment-methods",
       "freelancer-success", "health", "engagement"]


@pytest.fixture
def world(make_user, staff_user):
    return build_world(make_user, staff_user)


@pytest.fixture
def staff_api(client_for, staff_user):
    return client_for(staff_user)


def get(api, name, **params):
    response = api.get(f"/api/analytics/{name}", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_registrations_per_day_and_against_the_period_before(world, staff_api):
    body = get(staff_api, "registrations")
    assert body["totals"] == {"total": 4, "clients": 2, "freelancers": 2, "previous_period": 0,
                              "change_percent": None}
    assert len(body["series"]) == 30
    assert body["series"][-1] == {"period": timezone.localdate().isoformat(), "clients": 2, "freelancers": 2,
                                  "total": 4, "cumulative": 4}
    assert all(point["total"] == 0 for point in body["series"][:-1])
    # 31 days: the period before (days 31 to 61 back) holds Olga, who joined 60 days ago.
    longer = get(staff_api, "registrations", days=31)["totals"]
    assert longer["previous_period"] == 1 and longer["change_percent"] == 300.0  # (4 - 1) / 1


@time_machine.travel(datetime(2026, 3, 18, 12, 0, tzinfo=UTC), tick=False)
def test_registrations_by_week_and_by_month(make_user, client_for, staff_user):
    staff_api = client_for(staff_user)  # signed in at the travelled-to time
    joined = {"client": [date(2026, 3, 16), date(2026, 2, 27)], "freelancer": [date(2026, 3, 15), date(2026, 1, 31)]}
    for kind, days in joined.items():
        for day in days:
            user = make_user(kind)
            User.objects.filter(pk=user.pk).update(date_joined=datetime.combine(day, datetime.min.time(), UTC)
                                                   + timedelta(hours=9))
    weeks = get(staff_api, "registrations", days=60, interval="week")
    # The 60 days up to Wednesday 18 March start on Sunday 18 January: weeks start on the Mondays from 12 January.
    assert weeks["series"][0]["period"] == "2026-01-12" and weeks["series"][-1]["period"] == "2026-03-16"
    nonzero = {point["period"]: (point["clients"], point["freelancers"]) for point in weeks["series"]
               if point["total"]}
    assert nonzero == {"2026-01-26": (0, 1), "2026-02-23": (1, 0), "2026-03-09": (0, 1), "2026-03-16": (1, 0)}
    assert weeks["series"][-1]["cumulative"] == 4
    months = get(staff_api, "registrations", days=90, interval="month")
    assert [(p["period"], p["total"]) for p in months["series"]] == [
        ("2025-12-01", 0), ("2026-01-01", 1), ("2026-02-01", 1), ("2026-03-01", 2)]
    assert months["totals"] == {"total": 4, "clients": 2, "freelancers": 2, "previous_period": 0,
                                "change_percent": None}


def test_locations(world, staff_api):
    body = get(staff_api, "locations")
    assert body["total_users"] == 5 and body["countries_count"] == 3  # staff accounts are not members
    assert body["countries"] == [
        {"country": "US", "users": 2, "new_users": 2, "clients": 1, "freelancers": 1, "share": 40.0},
        {"country": None, "users": 1, "new_users": 1, "clients": 0, "freelancers": 1, "share": 20.0},
        {"country": "DE", "users": 1, "new_users": 0, "clients": 1, "freelancers": 0, "share": 20.0},
        {"country": "GB", "users": 1, "new_users": 1, "clients": 1, "freelancers": 0, "share": 20.0},
    ]


def test_completion_rates(world, staff_api):
    body = get(staff_api, "completion-rates")
    # Posted in the period: the completed, the disputed (in progress), the open and the cancelled project.
    assert body["projects"] == {"posted": 4, "open": 1, "in_progress": 1, "completed": 1, "cancelled": 1,
                                "completion_rate": 25.0, "cancellation_rate": 25.0}
    assert body["contracts"] == {"started": 2, "active": 0, "completed": 1, "disputed": 1, "cancelled": 0,
                                 "completion_rate": 50.0, "ended_completion_rate": 100.0}
    assert body["milestones"] == {"created": 2, "pending": 0, "funded": 0, "submitted": 0, "released": 1,
                                  "refunded": 0, "disputed": 1, "release_rate": 100.0}


def test_popular_categories(world, staff_api, make_user):
    designer = make_user("freelancer")
    logo = make_project(world.bob, title="A logo", category="design-creative", budget_min=Decimal("100.00"),
                        budget_max=Decimal("200.00"))
    make_proposal(designer, logo)
    make_project(world.bob, title="A draft logo", category="design-creative", status="draft")
    body = get(staff_api, "categories")
    assert body["projects_posted"] == 5
    # Web development: the two contracts' projects (budget 1,000-3,000), the open one (500-1,500) and the EUR
    # one, which has no proposals and no part in the USD average.
    assert body["categories"] == [
        {"category": "Web development", "slug": "web-development", "projects": 4, "share": 80.0, "proposals": 4,
         "proposals_per_project": 1.0, "completed": 1, "average_budget": "1666.67"},
        {"category": "Design & creative", "slug": "design-creative", "projects": 1, "share": 20.0, "proposals": 1,
         "proposals_per_project": 1.0, "completed": 0, "average_budget": "150.00"},
    ]


def test_revenue_trends(world, staff_api):
    body = get(staff_api, "revenue-trends")
    today = body["series"][-1]
    assert today == {"period": timezone.localdate().isoformat(), "fundings": "1500.00", "subscriptions": "0.00",
                     "refunds": "0.00", "releases": "900.00", "revenue": "1500.00", "cumulative": "1500.00",
                     "change_percent": None}
    assert body["totals"] == {"revenue": "1500.00", "previous_period": "0.00", "change_percent": None}
    # 45 days: the 45 before take in Olga's $9,999 of 60 days ago: (1,500 - 9,999) / 9,999 = -85 %.
    assert get(staff_api, "revenue-trends", days=45)["totals"] == {
        "revenue": "1500.00", "previous_period": "9999.00", "change_percent": -85.0}
    weekly = get(staff_api, "revenue-trends", days=365, interval="month")
    assert weekly["series"][-1]["cumulative"] == "11499.00"


def test_payment_methods(world, staff_api):
    body = get(staff_api, "payment-methods")
    assert body["total"] == "1500.00"
    assert body["methods"] == [
        {"method": "card", "label": "Card payment into escrow", "provider": "stripe", "payments": 2, "failed": 0,
         "amount": "1500.00", "share": 100.0, "success_rate": 100.0, "average_payment": "750.00"},
        {"method": "card_subscription", "label": "Card, Client Pro subscription", "provider": "stripe",
         "payments": 0, "failed": 0, "amount": "0.00", "share": 0.0, "success_rate": None,
         "average_payment": None},
    ]


def test_freelancer_success(world, staff_api, make_user):
    # A freelancer with one contract completed and one cancelled in the period: 50 % success.
    half = make_user("freelancer")
    make_contract(world.bob, half, completed=True)
    contract_set_status(contract=make_contract(world.bob, half), to="cancelled", by=world.bob)
    body = get(staff_api, "freelancer-success")
    assert body["freelancers_with_ended_contracts"] == 2
    assert body["contracts_ended"] == 3 and body["contracts_completed"] == 2
    assert body["success_rate"] == 66.67
    # Proposals: four of the scenario (two accepted) and the two accepted here.
    assert body["proposals_submitted"] == 6 and body["proposals_accepted"] == 4
    assert body["proposal_win_rate"] == 66.67
    assert body["reviews"] == 1 and body["average_rating"] == 5.0  # Alice's 5 for Fay
    assert body["rating_distribution"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    assert body["success_bands"] == [{"band": "90-100", "freelancers": 1}, {"band": "75-89", "freelancers": 0},
                                     {"band": "50-74", "freelancers": 1}, {"band": "0-49", "freelancers": 0}]


def test_platform_health(world, staff_api, make_user):
    user_set_active(user=make_user("client"), active=False)
    case_open(user=world.finn, score=Score(points=60, reasons=[]))
    body = get(staff_api, "health")
    assert {key: value for key, value in body.items() if key not in ("start", "end")} == {
        "period_days": 30, "currency": "usd",
        "active_disputes": 1, "disputes_opened": 1, "contracts_started": 2, "dispute_rate": 50.0,
        "refund_rate": 0.0, "card_payments_attempted": 2, "card_payments_failed": 0, "payment_failure_rate": 0.0,
        # Fay's $1,000 less the 10 % fee waits for her payout details.
        "held_payouts": 1, "held_payout_amount": "900.00",
        "pending_support_tickets": 0, "average_response_time_hours": None, "open_reconciliation_mismatches": 0,
        "open_fraud_cases": 1,
        "suspended_accounts": 1, "daily_active_users": 3, "user_satisfaction_rating": 4.5,
    }


def test_engagement(world, staff_api):
    body = get(staff_api, "engagement", days=7)
    # Sign-ins: the scenario's staff and Alice, and this test's own staff session.
    assert body["totals"] == {
        "messages_sent": 3, "proposals_submitted": 4, "projects_posted": 4, "contracts_created": 2,
        "reviews_posted": 2, "sign_ins": 3, "active_users": 3, "daily_active_users": 3, "monthly_active_users": 3,
        "stickiness": 100.0, "active_chats": 2, "messages_per_active_chat": 1.5, "messages_per_active_user": 1.0,
    }
    assert len(body["series"]) == 7
    assert body["series"][-1] == {"period": timezone.localdate().isoformat(), "messages_sent": 3,
                                  "proposals_submitted": 4, "projects_posted": 4, "contracts_created": 2,
                                  "reviews_posted": 2, "sign_ins": 3}


@pytest.mark.parametrize("name", NEW)
def test_staff_only_and_bad_input(name, api_client, client_for, client_user, staff_api):
    path = f"/api/analytics/{name}"
    assert api_client.get(path).status_code == 401
    refused = client_for(client_user).get(path)
    assert refused.status_code == 403 and refused.json()["error_type"]
    bad = staff_api.get(path, {"days": 0})
    assert bad.status_code == 400 and "days" in bad.json()["errors"]


def test_in_the_schema(api_client):
    schema = api_client.get("/api/openapi.json").json()
    for name in NEW:
        operation = schema["paths"][f"/api/analytics/{name}"]["get"]
        assert "analytics" in operation["tags"]
        assert "application/json" in operation["responses"]["200"]["content"]
    assert "interval" in {p["name"] for p in schema["paths"]["/api/analytics/registrations"]["get"]["parameters"]}


def test_the_dashboard_shows_them(world, client, staff_user):
    client.force_login(staff_user)
    page = client.get("/staff/dashboard/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Health, completion and engagement" in text
    assert 'id="payment-methods"' in text and "Card payment into escrow" in text
    assert "900.00 USD" in text  # held payouts
