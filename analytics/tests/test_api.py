"""The analytics API end to end: the figures of a marketplace made through the real services, who may ask,
what bad input answers, CSV downloads and the schema."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.tests.scenario import build_world

SUMMARY = "/api/analytics/dashboard/summary"
LISTS = ["/api/analytics/users", "/api/analytics/projects", "/api/analytics/revenue",
         "/api/analytics/top-freelancers", "/api/analytics/top-clients"]
ENDPOINTS = [SUMMARY, *LISTS]


@pytest.fixture
def world(make_user, staff_user):
    return build_world(make_user, staff_user)


@pytest.fixture
def staff_api(client_for, staff_user):
    return client_for(staff_user)


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


class TestSummary:
    def test_every_figure_matches_the_marketplace(self, world, staff_api):
        response = staff_api.get(SUMMARY)
        assert response.status_code == 200
        body = response.json()
        assert list(body) == ["users", "projects", "revenue", "health", "engagement"]
        assert body["users"] == {
            "total_users": 6, "active_users": 3, "verified_users": 5, "users_with_2fa": 1,
            "user_types": {"client": 3, "freelancer": 2}, "period_days": 30,
        }
        assert body["projects"] == {
            "status_breakdown": {"draft": 1, "open": 2, "in_progress": 1, "completed": 1, "cancelled": 1},
            "average_budget": "1750.00", "currency": "usd", "projects_last_30_days": 4,
            "average_proposals_per_project": 0.8,
        }
        assert body["revenue"] == {
            "total_revenue": "1500.00", "platform_fees": "100.00", "net_revenue": "1400.00",
            "subscriptions": "0.00", "refunds": "0.00", "transaction_count": 2, "average_transaction": "750.00",
            "payment_methods": {"stripe": "1500.00"},
            "currency": "usd",
        }
        assert body["health"] == {
            "active_disputes": 1, "pending_support_tickets": 0, "average_response_time_hours": None,
            "user_satisfaction_rating": 4.5, "daily_active_users": 3,
        }
        assert body["engagement"] == {
            "period_days": 30, "messages_sent": 3, "proposals_submitted": 4, "projects_posted": 4,
            "contracts_created": 2, "reviews_posted": 2,
        }

    def test_a_longer_period_takes_in_the_older_activity(self, world, staff_api):
        body = staff_api.get(SUMMARY, {"days": 365}).json()
        assert body["users"]["active_users"] == 4 and body["users"]["period_days"] == 365
        assert body["projects"]["projects_last_365_days"] == 5
        assert "projects_last_30_days" not in body["projects"]
        assert body["revenue"]["total_revenue"] == "11499.00"
        assert body["revenue"]["transaction_count"] == 3
        assert body["revenue"]["average_transaction"] == "3833.00"
        assert body["revenue"]["net_revenue"] == "11399.00"
        assert body["engagement"]["period_days"] == 365

    def test_an_empty_marketplace_answers_zeros_and_nulls(self, staff_api):
        body = staff_api.get(SUMMARY, {"days": 7}).json()
        assert body["users"]["total_users"] == 1  # the staff account asking
        assert body["projects"]["average_budget"] is None
        assert body["projects"]["average_proposals_per_project"] == 0.0
        assert body["revenue"]["total_revenue"] == "0.00" and body["revenue"]["average_transaction"] == "0.00"
        assert body["health"]["user_satisfaction_rating"] is None

    def test_the_answer_is_cached_briefly(self, world, staff_api, make_user):
        first = staff_api.get(SUMMARY).json()
        make_user("client")
        assert staff_api.get(SUMMARY).json()["users"]["total_users"] == first["users"]["total_users"]
        assert staff_api.get(SUMMARY, {"days": 29}).json()["users"]["total_users"] == 7


class TestDetails:
    def test_users_series_rates_and_countries(self, world, staff_api):
        body = staff_api.get("/api/analytics/users", {"days": 7}).json()
        assert body["period_days"] == 7 and body["interval"] == "day"
        assert len(body["series"]) == 7
        today = body["series"][-1]
        assert today["period"] == timezone.localdate().isoformat()
        # Sign-ups today: Alice, Bob, Fay, Finn and the staff account (Olga joined 60 days ago).
        assert (today["clients"], today["freelancers"], today["total"]) == (2, 2, 5)
        # Staff and Alice started sessions today; Fay signed in on the pages.
        assert today["active_users"] == 3
        assert sum(row["total"] for row in body["series"][:-1]) == 0
        totals = body["totals"]
        assert totals["total_users"] == 6 and totals["new_users"] == 5
        assert totals["verification_rate"] == 83.33 and totals["two_factor_rate"] == 16.67
        assert {"country": "US", "users": 2} in body["countries"]
        assert {"country": None, "users": 1} in body["countries"]  # Finn did not say

    def test_users_by_month_reach_back_to_olga(self, world, staff_api):
        body = staff_api.get("/api/analytics/users", {"days": 365, "interval": "month"}).json()
        assert 12 <= len(body["series"]) <= 13
        assert all(row["period"].endswith("-01") for row in body["series"])
        assert sum(row["clients"] for row in body["series"]) == 3
        assert sum(row["active_users"] for row in body["series"]) >= 4

    def test_projects_funnel_categories_and_budgets(self, world, staff_api):
        body = staff_api.get("/api/analytics/projects", {"days": 30, "interval": "week"}).json()
        funnel = {row["status"]: row["count"] for row in body["status_funnel"]["projects"]}
        assert funnel == {"draft": 1, "open": 1, "in_progress": 1, "completed": 1, "cancelled": 1}
        proposals = {row["status"]: row["count"] for row in body["status_funnel"]["proposals"]}
        assert proposals == {"submitted": 2, "shortlisted": 0, "accepted": 2, "rejected": 0, "withdrawn": 0}
        assert body["totals"]["projects_posted"] == 4
        assert body["totals"]["completion_rate"] == 25.0  # 1 completed of 4 posted
        assert body["totals"]["average_budget"] == "1666.67"  # 2000, 2000 and 1000 (USD only)
        assert sum(row["projects_posted"] for row in body["series"]) == 4
        assert sum(row["proposals_submitted"] for row in body["series"]) == 4
        assert body["categories"][0] == {"category": "Web development", "slug": "web-development", "projects": 4}
        budgets = {row["currency"]: row for row in body["average_budgets"]}
        assert budgets["eur"]["average_budget"] == "200.00"
        assert budgets["usd"]["average_budget_min"] == "833.33"

    def test_revenue_series_and_totals(self, world, staff_api):
        body = staff_api.get("/api/analytics/revenue", {"days": 7}).json()
        assert body["currency"] == "usd" and len(body["series"]) == 7
        today = body["series"][-1]
        assert today == {"period": timezone.localdate().isoformat(), "fundings": "1500.00", "fees": "100.00",
                         "refunds": "0.00", "transaction_count": 2}
        assert body["totals"]["total_revenue"] == "1500.00"
        assert body["totals"]["releases"] == "900.00"
        assert [row["currency"] for row in body["by_currency"]] == ["usd"]

    def test_top_freelancers_by_each_measure(self, world, staff_api):
        body = staff_api.get("/api/analytics/top-freelancers").json()
        assert body["by"] == "earnings" and body["currency"] == "usd"
        assert body["results"] == [{
            "rank": 1, "id": world.fay.pk, "name": "Fay Fisher", "email": world.fay.email, "country": "US",
            "earnings": "900.00", "currency": "usd", "completed_contracts": 1, "average_rating": 5.0,
            "review_count": 1, "success_rate": 100.0,
        }]
        assert [row["id"] for row in staff_api.get("/api/analytics/top-freelancers", {"by": "rating"}).json()[
            "results"]] == [world.fay.pk]
        assert [row["id"] for row in staff_api.get("/api/analytics/top-freelancers", {"by": "contracts"}).json()[
            "results"]] == [world.fay.pk]

    def test_top_clients_by_spend(self, world, staff_api):
        results = staff_api.get("/api/analytics/top-clients").json()["results"]
        assert [(row["rank"], row["id"], row["total_spent"]) for row in results] == [
            (1, world.alice.pk, "1000.00"), (2, world.bob.pk, "500.00")]
        assert results[0]["projects_posted"] == 3 and results[0]["contracts_created"] == 1
        assert results[0]["company"] == "Acme Ltd"
        longer = staff_api.get("/api/analytics/top-clients", {"days": 365}).json()["results"]
        assert longer[0]["id"] == world.olga.pk and longer[0]["total_spent"] == "9999.00"
        by_projects = staff_api.get("/api/analytics/top-clients", {"by": "projects"}).json()["results"]
        assert by_projects[0]["id"] == world.alice.pk


class TestCsv:
    def test_top_freelancers_csv(self, world, staff_api):
        response = staff_api.get("/api/analytics/top-freelancers", {"format": "csv"})
        rows = read_csv(response)
        assert 'filename="megilance-top-freelancers-last-30-days.csv"' in response["Content-Disposition"]
        assert rows == [{"rank": "1", "id": str(world.fay.pk), "name": "Fay Fisher", "email": world.fay.email,
                         "country": "US", "earnings": "900.00", "currency": "usd", "completed_contracts": "1",
                         "average_rating": "5.0", "review_count": "1", "success_rate": "100.0"}]

    def test_top_clients_csv(self, world, staff_api):
        rows = read_csv(staff_api.get("/api/analytics/top-clients?format=csv"))
        assert [(row["name"], row["total_spent"], row["currency"]) for row in rows] == [
            ("Alice Archer", "1000.00", "usd"), ("Bob Baker", "500.00", "usd")]

    @pytest.mark.parametrize(("url", "columns"), [
        ("/api/analytics/users", ["period", "clients", "freelancers", "total", "active_users"]),
        ("/api/analytics/projects", ["period", "projects_posted", "proposals_submitted"]),
        ("/api/analytics/revenue", ["period", "fundings", "fees", "refunds", "transaction_count", "currency"]),
    ])
    def test_time_series_csv(self, world, staff_api, url, columns):
        response = staff_api.get(url, {"format": "csv", "days": 7, "interval": "day"})
        rows = read_csv(response)
        reader = csv.reader(io.StringIO(response.content.decode()))
        assert next(reader) == columns
        assert len(rows) == 7 and rows[-1]["period"] == timezone.localdate().isoformat()

    def test_formulas_are_written_as_text(self, make_user, staff_api):
        from analytics.exports import csv_text

        text = csv_text(["name", "amount"], [["=HYPERLINK(1)", "-5.00"], ["@cmd", None]])
        assert list(csv.reader(io.StringIO(text))) == [["name", "amount"], ["'=HYPERLINK(1)", "-5.00"],
                                                       ["'@cmd", ""]]

    def test_errors_stay_json_when_csv_was_asked_for(self, staff_api, api_client):
        response = staff_api.get("/api/analytics/users", {"format": "csv", "days": "0"})
        assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
        response = api_client.get("/api/analytics/users", {"format": "csv"})
        assert response.status_code == 401 and response.json()["error_type"] == "not_authenticated"


class TestAccess:
    @pytest.mark.parametrize("url", ENDPOINTS)
    def test_anonymous_callers_get_401(self, api_client, url):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["error_type"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("url", ENDPOINTS)
    @pytest.mark.parametrize("kind", ["client", "freelancer"])
    def test_people_who_are_not_staff_get_403(self, client_for, make_user, url, kind):
        response = client_for(make_user(kind)).get(url)
        assert response.status_code == 403
        assert response.json()["error_type"] == "permission_denied"

    @pytest.mark.parametrize("url", LISTS)
    def test_csv_is_staff_only_too(self, client_for, make_user, url):
        assert client_for(make_user("client")).get(url, {"format": "csv"}).status_code == 403

    @pytest.mark.parametrize("url", ENDPOINTS)
    def test_staff_get_200(self, staff_api, url):
        assert staff_api.get(url).status_code == 200


class TestValidation:
    @pytest.mark.parametrize("url", ENDPOINTS)
    @pytest.mark.parametrize("days", ["0", "366", "-3", "abc", "7.5", "1e3"])
    def test_bad_days_answer_400_json(self, staff_api, url, days):
        response = staff_api.get(url, {"days": days})
        assert response.status_code == 400
        body = response.json()
        assert body["error_type"] == "validation_error" and "days" in body["errors"]

    @pytest.mark.parametrize("url", LISTS[:3])
    def test_bad_interval_answers_400(self, staff_api, url):
        response = staff_api.get(url, {"interval": "year"})
        assert response.status_code == 400 and "interval" in response.json()["errors"]

    @pytest.mark.parametrize(("url", "by"), [("/api/analytics/top-freelancers", "spend"),
                                             ("/api/analytics/top-clients", "rating")])
    def test_bad_ordering_answers_400(self, staff_api, url, by):
        response = staff_api.get(url, {"by": by})
        assert response.status_code == 400 and "by" in response.json()["errors"]

    @pytest.mark.parametrize("days", ["1", "365"])
    def test_the_bounds_are_accepted(self, staff_api, days):
        body = staff_api.get("/api/analytics/users", {"days": days}).json()
        assert len(body["series"]) == int(days)


def test_every_endpoint_is_in_the_schema(api_client, db):
    schema = api_client.get("/api/openapi.json").json()
    for url in ENDPOINTS:
        operation = schema["paths"][url]["get"]
        assert operation["tags"] == ["analytics"]
        assert {"200", "400", "401", "403"} <= set(operation["responses"])
        names = [parameter["name"] for parameter in operation["parameters"]]
        assert "days" in names and len(names) == len(set(names))
        assert ("format" in names) == (url in LISTS)
    users = schema["paths"]["/api/analytics/users"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(users)
    summary = schema["components"]["schemas"]["AnalyticsSummary"]
    assert sorted(summary["required"]) == ["engagement", "health", "projects", "revenue", "users"]


def test_support_figures_are_zero_and_null_without_tickets(staff_api):
    health = staff_api.get(SUMMARY).json()["health"]
    assert (health["pending_support_tickets"], health["average_response_time_hours"]) == (0, None)


def test_support_tickets_pending_and_first_response_time(make_user, staff_user, staff_api):
    from support.models import SupportTicket
    from support.services import ticket_open, ticket_reply, ticket_resolve

    alice, bob, fay = make_user("client"), make_user("client"), make_user("freelancer")
    answered = ticket_open(user=alice, subject="Refund", message="Where is my refund?")
    ticket_reply(ticket=answered, author=staff_user, body="On its way.")
    ticket_open(user=bob, subject="Invoice", message="I need an invoice.")
    resolved = ticket_open(user=fay, subject="Payout", message="When am I paid?")
    ticket_reply(ticket=resolved, author=staff_user, body="Tomorrow.")
    ticket_resolve(ticket=resolved, by=fay)
    now = timezone.now()
    SupportTicket.objects.filter(pk=answered.pk).update(created_at=now - timedelta(hours=3), first_response_at=now)
    SupportTicket.objects.filter(pk=resolved.pk).update(created_at=now - timedelta(hours=1), first_response_at=now)

    health = staff_api.get(SUMMARY).json()["health"]
    assert health["pending_support_tickets"] == 2  # one waiting for us, one waiting for its member
    assert health["average_response_time_hours"] == 2.0


class TestRevenueNetOfRefunds:
    def test_subscriptions_count_and_refunds_come_off(self, world, staff_api):
        from payments.billing import invoice_book
        from payments.ledger import ledger_record
        from payments.models import LedgerAccount, Payment

        # A Client Pro month paid by Bob, and 200.00 of Alice's funding refunded to her.
        invoice_book(world.bob, {"id": "in_analytics_1", "status": "paid", "amount_paid": 5_000, "currency": "usd"})
        refund_tx, _ = ledger_record(kind="refund", reference="refund:analytics", currency="usd",
                                     entries=[(LedgerAccount.ESCROW, 20_000, None),
                                              (LedgerAccount.PLATFORM_CASH, -20_000, None)])
        Payment.objects.create(user=world.alice, kind="refund", amount=20_000, currency="usd",
                               ledger_transaction=refund_tx)
        # 1500.00 funded + 50.00 subscription - 200.00 refunded; fees stay 100.00.
        revenue = staff_api.get(SUMMARY, {"days": 29}).json()["revenue"]
        assert revenue["total_revenue"] == "1350.00"
        assert revenue["net_revenue"] == "1250.00"
        assert revenue["subscriptions"] == "50.00" and revenue["refunds"] == "200.00"
        totals = staff_api.get("/api/analytics/revenue", {"days": 7}).json()["totals"]
        assert totals["total_revenue"] == "1350.00" and totals["subscriptions"] == "50.00"

    def test_the_dashboard_shows_open_differences_with_stripe(self, world, client):
        from django.utils import timezone

        from payments.models import ReconciliationMismatch

        client.force_login(world.staff)
        page = client.get("/staff/dashboard/")
        assert page.status_code == 200 and b"no open differences" in page.content
        ReconciliationMismatch.objects.create(key="balance:usd", kind="balance", currency="usd", stripe_amount=100,
                                              ledger_amount=350, detail="Stripe holds 100, the ledger 350",
                                              last_seen_at=timezone.now())
        page = client.get("/staff/dashboard/")
        assert b"1 open difference" in page.content and b"Stripe holds 100, the ledger 350" in page.content
        assert b"1.00 USD" in page.content and b"3.50 USD" in page.content
