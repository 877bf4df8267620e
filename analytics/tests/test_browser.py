"""Staff log in and read the dashboard in a real browser (Debian's Chromium, headless), found by labels and roles."""

import os
from pathlib import Path

import pytest

from analytics.tests.scenario import build_world

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"  # conftest's make_user

pytestmark = [
    pytest.mark.browser,
]


def test_staff_read_the_dashboard_charts(live_server, transactional_db, make_user, staff_user) -> None:
    from playwright.sync_api import expect, sync_playwright

    build_world(make_user, staff_user)
    base_url = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)

            page.goto(f"{base_url}/login/?next=/staff/dashboard/")
            page.get_by_label("E-mail address").fill(staff_user.email)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Log in", exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Staff dashboard")

            # Pick a week, by day, through the labelled period picker.
            page.get_by_label("Period").select_option(label="Last 7 days")
            page.get_by_label("Group by").select_option(label="Day")
            page.get_by_role("button", name="Show figures").click()
            page.wait_for_url("**/staff/dashboard/?days=7&interval=day")
            expect(page.get_by_label("Period")).to_have_value("7")

            signups = page.get_by_role("img", name="Sign-ups over time")
            expect(signups).to_be_visible()
            expect(signups.locator("circle.chart__point")).to_have_count(14)  # 7 days, clients and freelancers
            expect(signups.locator("polyline")).to_have_count(2)
            projects = page.get_by_role("img", name="Projects and proposals over time")
            expect(projects.locator("rect.chart__bar")).to_have_count(14)
            revenue = page.get_by_role("img", name="Revenue over time")
            expect(revenue.locator("circle.chart__point")).to_have_count(21)
            expect(revenue.locator("circle.chart__point title").last).to_contain_text("Refunds: 0.00 USD")
            funnel = page.get_by_role("img", name="Projects by status")
            expect(funnel.locator("rect.chart__bar")).to_have_count(5)
            expect(page.get_by_role("img", name="Proposals by status").locator("rect.chart__bar")).to_have_count(5)

            # The bars really have a size on screen: today's projects bar is taller than an empty day's.
            bars = projects.locator('g[data-series="projects"] rect.chart__bar')
            assert bars.last.bounding_box()["height"] > 20
            assert bars.first.bounding_box()["height"] < 1

            expect(page.get_by_role("heading", name="Top freelancers")).to_be_visible()
            expect(page.locator("#top-freelancers tbody tr")).to_have_count(1)
            expect(page.locator("#top-clients tbody tr")).to_have_count(2)
            expect(page.get_by_role("link", name="Download CSV of the top clients")).to_have_attribute(
                "href", "/staff/dashboard/export/top-clients.csv?days=7")

            page.screenshot(path=str(ARTIFACTS / "staff-dashboard.png"), full_page=True)
        finally:
            browser.close()
