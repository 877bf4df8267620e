"""In a real browser (Debian's Chromium, headless): a freelancer sees their best matches, a client on a phone
saves a search from the results, sets its alert, is offered skill names while typing them, and is shown what
similar work was paid beside the budget."""

import os
import statistics
from decimal import Decimal

import pytest

from tests.helpers.browser import open_menu

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "a-long-and-unusual-passphrase-77"
PHONE = {"width": 390, "height": 844}
TITLE = "Booking site for a dental clinic"

pytestmark = [pytest.mark.browser]


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_best_matches_and_a_saved_search(live_server, transactional_db, make_user) -> None:
    from playwright.sync_api import expect, sync_playwright

    from accounts.services import profile_update
    from discovery.models import SavedSearch
    from marketplace.tests.factories import make_project

    base_url = live_server.url
    client = make_user("client", email="cleo.client@example.com", password=PASSWORD, first_name="Cleo")
    freelancer = make_user("freelancer", email="finn.worker@example.com", password=PASSWORD, first_name="Finn")
    # Committed for real here: the scores are computed by the task each commit queues.
    profile_update(user=freelancer, data={"skills": ["Django", "PostgreSQL"], "hourly_rate": Decimal("40.00"),
                                          "headline": "Django developer"})
    make_project(client, title=TITLE, skills=["Django", "PostgreSQL"])
    make_project(client, title="Logo for a bakery", skills=["Illustrator"])
    # Five earlier hires of web work, for the price guidance beside the budget.
    from contracts.services import proposal_accept
    from marketplace.tests.factories import make_proposal

    bids = ["900.00", "1100.00", "1250.00", "1600.00", "2400.00"]
    for n, bid in enumerate(bids):
        hired = make_project(client, title=f"Earlier web work {n}", category="web-development", skills=["Go"])
        proposal_accept(proposal=make_proposal(freelancer, hired, bid_amount=Decimal(bid)), by=client)
    low, median, high = statistics.quantiles([Decimal(bid) for bid in bids], n=4, method="inclusive")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(15_000)
            log_in(page, base_url, "finn.worker@example.com")
            page.goto(f"{base_url}/dashboard/")
            matches = page.get_by_role("region", name="Best matches")
            expect(matches.get_by_role("link", name=TITLE)).to_be_visible()
            expect(matches.get_by_text("2 of 2 skills")).to_be_visible()
            expect(matches.get_by_text("Logo for a bakery")).to_have_count(0)
            page.goto(f"{base_url}/projects/")
            page.get_by_role("navigation", name="Project lists").get_by_role("link", name="Best matches").click()
            expect(page.get_by_role("heading", level=2, name="Best matches")).to_be_visible()
            expect(page.get_by_role("link", name=TITLE)).to_be_visible()
            expect(page.get_by_text("within your rate")).to_be_visible()

            phone = browser.new_context(viewport=PHONE).new_page()
            phone.set_default_timeout(15_000)
            log_in(phone, base_url, "cleo.client@example.com")
            open_menu(phone)
            phone.get_by_role("navigation", name="Main").get_by_role("link", name="Projects", exact=True).click()
            phone.get_by_label("Search projects").fill("booking")
            phone.get_by_role("button", name="Search projects").click()
            expect(phone.get_by_role("heading", name="2 projects found")).to_be_visible()  # both briefs say it
            phone.get_by_label("Tell me about new projects").select_option(label="As soon as one is posted")
            phone.get_by_role("button", name="Save this search").click()
            expect(phone.get_by_role("heading", level=1)).to_have_text("Saved searches")
            expect(phone.get_by_role("link", name="booking")).to_be_visible()
            search = SavedSearch.objects.get(user=client)
            assert (search.params, search.alert) == ({"search": "booking"}, "instant")
            phone.get_by_label("Alerts").select_option(label="Once a day")
            phone.get_by_role("button", name="Save changes to booking").click()
            expect(phone.get_by_text("“booking” updated.")).to_be_visible()
            search.refresh_from_db()
            assert search.alert == "daily"

            # Posting a project, the skills field suggests the names people already use, and the budget is
            # shown what similar work was paid once the category is chosen.
            phone.goto(f"{base_url}/projects/new/")
            phone.get_by_label("Skills").press_sequentially("Postg")
            expect(phone.locator("datalist option").first).to_have_attribute("value", "PostgreSQL")
            guidance = phone.locator("#budget-guidance")
            phone.get_by_label("Skills").fill("")
            phone.get_by_label("Category").select_option(label="Design & creative")
            expect(guidance).to_be_hidden()  # nothing hired in design yet: nothing said
            phone.get_by_label("Category").select_option(label="Web development")
            expect(guidance).to_have_text(
                f"Similar work paid {low:.2f}\N{EN DASH}{high:.2f} USD, typically {median:.2f} "
                "(middle half of 5 hires).")
        finally:
            browser.close()
