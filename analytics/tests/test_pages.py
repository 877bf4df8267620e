"""The staff dashboard page and its CSV downloads: who may see them, what they show, without JavaScript."""

import csv
import io
import re

import pytest
from django.utils import timezone

from analytics.tests.scenario import build_world

PAGE = "/staff/dashboard/"


@pytest.fixture
def world(make_user, staff_user):
    return build_world(make_user, staff_user)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


class TestAccess:
    def test_visitors_are_sent_to_log_in(self, client, db):
        response = client.get(PAGE)
        assert response.status_code == 302
        assert response["Location"] == "/login/?next=/staff/dashboard/"

    @pytest.mark.parametrize("kind", ["client", "freelancer"])
    def test_members_find_nothing(self, client, make_user, kind):
        client.force_login(make_user(kind))
        assert client.get(PAGE).status_code == 404
        assert client.get("/staff/dashboard/export/top-clients.csv").status_code == 404

    def test_csv_downloads_send_visitors_to_log_in(self, client, db):
        response = client.get("/staff/dashboard/export/users.csv?days=7")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


class TestDashboard:
    def test_the_page_shows_cards_charts_funnels_and_tables(self, world, staff_client):
        response = staff_client.get(PAGE, {"days": 7, "interval": "day"})
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("<h1") == 1 and "Staff dashboard" in html
        # The period picker: labelled selects in a GET form.
        assert '<label for="dashboard-days">Period</label>' in html
        assert '<label for="dashboard-interval">Group by</label>' in html
        assert re.findall(r'<option value="(\d+)"', html) == ["7", "30", "90", "365"]
        assert '<option value="7" selected>' in html and '<option value="day" selected>' in html
        # Summary cards.
        assert "<dt>Total revenue</dt><dd>1,500.00 USD</dd>" in html
        assert "<dt>Open disputes</dt><dd>1</dd>" in html
        assert "<dt>Average rating</dt><dd>4.5 / 5</dd>" in html

        signups = svg(html, "signups-chart")
        assert 'role="img"' in signups and 'aria-labelledby="signups-chart-title signups-chart-desc"' in signups
        assert '<title id="signups-chart-title">Sign-ups over time</title>' in signups
        assert '<desc id="signups-chart-desc">' in signups
        assert signups.count('class="chart__point"') == 14  # 7 days, clients and freelancers
        assert "Sign-ups</text>" in signups and ">Day</text>" in signups  # axis labels
        today = timezone.localdate()
        assert f"<title>{today.day} {today:%b %Y} · Clients: 2</title>" in signups
        projects = svg(html, "projects-chart")
        assert projects.count('class="chart__bar"') == 14
        revenue = svg(html, "revenue-chart")
        assert revenue.count('class="chart__point"') == 21
        assert "Fundings: 1,500.00 USD</title>" in revenue
        assert svg(html, "project-funnel-chart").count('class="chart__bar"') == 5
        funnel = svg(html, "proposal-funnel-chart")
        assert funnel.count('class="chart__bar"') == 5 and "<title>Accepted: 2 proposals</title>" in funnel

        assert 'id="top-freelancers"' in html and "Fay Fisher" in html
        assert 'id="top-clients"' in html and "Alice Archer" in html
        assert html.count("Download CSV") == 5
        assert "/staff/dashboard/export/top-freelancers.csv?days=7" in html
        assert "/staff/dashboard/export/users.csv?days=7&amp;interval=day" in html
        # Nothing on it needs JavaScript: no inline script, no chart library.
        scripts = re.findall(r"<script[^>]*>", html)
        assert all("src=" in tag and "chart" not in tag for tag in scripts)

    def test_weeks_and_a_year(self, world, staff_client):
        html = staff_client.get(PAGE, {"days": 365, "interval": "week"}).content.decode()
        points = svg(html, "signups-chart").count('class="chart__point"')
        assert points in (2 * 53, 2 * 54)
        assert "Week starting</text>" in html

    def test_a_bad_period_shows_the_default_and_says_so(self, world, staff_client):
        response = staff_client.get(PAGE, {"days": "12", "interval": "year"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "Choose a period and a grouping" in html
        assert svg(html, "signups-chart").count('class="chart__point"') == 60

    def test_an_empty_marketplace_still_draws(self, staff_client):
        html = staff_client.get(PAGE).content.decode()
        assert svg(html, "revenue-chart").count('class="chart__point"') == 90
        assert "No freelancer earned" in html and "No client spent" in html


class TestCsvDownloads:
    def test_tables_download_as_csv(self, world, staff_client):
        response = staff_client.get("/staff/dashboard/export/top-clients.csv", {"days": 30})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="megilance-top-clients-last-30-days.csv"'
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(row["rank"], row["name"], row["total_spent"]) for row in rows] == [
            ("1", "Alice Archer", "1000.00"), ("2", "Bob Baker", "500.00")]

    def test_series_download(self, world, staff_client):
        response = staff_client.get("/staff/dashboard/export/revenue.csv", {"days": 7, "interval": "day"})
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["period", "fundings", "fees", "refunds", "transaction_count", "currency"]
        assert rows[-1] == [timezone.localdate().isoformat(), "1500.00", "100.00", "0.00", "2", "usd"]
        assert len(rows) == 8

    def test_bad_input_and_unknown_tables(self, staff_client):
        response = staff_client.get("/staff/dashboard/export/users.csv", {"days": 1000})
        assert response.status_code == 400 and b"days" in response.content
        assert staff_client.get("/staff/dashboard/export/secrets.csv").status_code == 404
