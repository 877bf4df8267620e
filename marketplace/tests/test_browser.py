"""From a posted project to a contract in a real browser (Debian's Chromium, headless), found by labels and roles.

A client logs in and posts a project; a freelancer, in a second browser context, finds it by a word of its
description, opens it and sends a proposal; the client accepts it; both see the contract on /contracts/.
"""

import os
import re
from pathlib import Path

import pytest

from tests.helpers.browser import open_menu

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a-long-and-unusual-passphrase-77"
TITLE = "Illustrated field guide to mushrooms"
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
]


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_post_a_project_propose_accept_and_both_see_the_contract(live_server, transactional_db, make_user) -> None:
    from playwright.sync_api import expect, sync_playwright

    from contracts.models import Contract
    from marketplace.models import Project, Proposal

    base_url = live_server.url
    make_user("client", email="cleo.client@example.com", password=PASSWORD, first_name="Cleo", last_name="Client")
    make_user("freelancer", email="finn.worker@example.com", password=PASSWORD, first_name="Finn",
              last_name="Worker", headline="Scientific illustrator")
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            client_context = browser.new_context(viewport=PHONE)
            freelancer_context = browser.new_context(viewport={"width": 1280, "height": 900})
            client_page = client_context.new_page()
            freelancer_page = freelancer_context.new_page()
            for page in (client_page, freelancer_page):
                page.set_default_timeout(15_000)

            # The client logs in and posts a project from "My projects".
            log_in(client_page, base_url, "cleo.client@example.com")
            open_menu(client_page)
            client_page.get_by_role("navigation", name="Main").get_by_role("link", name="My projects").click()
            expect(client_page.get_by_role("heading", level=1)).to_have_text("My projects")
            client_page.get_by_role("link", name="Post a project").first.click()
            expect(client_page.get_by_role("heading", level=1)).to_have_text("Post a project")
            client_page.get_by_label("Title", exact=True).fill(TITLE)
            client_page.get_by_label("Description").fill(
                "Forty watercolour plates of chanterelles, morels and boletes, each with a short caption.")
            client_page.get_by_label("Category").select_option(label="Design & creative")
            client_page.get_by_label("Skills").fill("Illustration, Watercolour")
            client_page.get_by_label("Budget type").select_option(label="Fixed price")
            client_page.get_by_label("Minimum budget").fill("800")
            client_page.get_by_label("Maximum budget").fill("1500")
            client_page.get_by_label("Currency").select_option(label="Euro")
            client_page.get_by_label("Public").check()
            client_page.get_by_role("button", name="Post project").click()
            expect(client_page.get_by_role("heading", level=1)).to_have_text(TITLE)
            expect(client_page.get_by_text("Your project is posted.")).to_be_visible()
            expect(client_page.get_by_text("800.00–1,500.00 EUR")).to_be_visible()  # noqa: RUF001
            project = Project.objects.get(title=TITLE)
            assert project.status == "open" and project.currency == "eur"
            client_page.screenshot(path=str(ARTIFACTS / "marketplace-project-posted.png"), full_page=True)

            # The freelancer finds it by a word from its description and sends a proposal.
            log_in(freelancer_page, base_url, "finn.worker@example.com")
            freelancer_page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects",
                                                                               exact=True).click()
            freelancer_page.get_by_label("Search projects").fill("chanterelles")
            freelancer_page.get_by_role("button", name="Search projects").click()
            expect(freelancer_page.get_by_role("heading", name="1 project found")).to_be_visible()
            freelancer_page.screenshot(path=str(ARTIFACTS / "marketplace-search.png"), full_page=True)
            freelancer_page.get_by_role("link", name=TITLE).click()
            expect(freelancer_page.get_by_role("heading", level=1)).to_have_text(TITLE)
            expect(freelancer_page.get_by_role("heading", name="Send a proposal")).to_be_visible()
            freelancer_page.get_by_label("Cover letter").fill(
                "I have painted fungi for two published guides; I can deliver ten plates a week.")
            freelancer_page.get_by_label("Bid amount (EUR)").fill("1200")
            freelancer_page.get_by_label("Estimated duration (days)").fill("28")
            freelancer_page.get_by_role("button", name="Send proposal").click()
            expect(freelancer_page.get_by_text("Your proposal is sent.")).to_be_visible()
            expect(freelancer_page.get_by_role("heading", name="Your proposal")).to_be_visible()
            assert Proposal.objects.get(project=project).bid_amount == 1200

            # The client compares the proposals and accepts Finn's, which makes the contract.
            client_page.reload()
            proposals = client_page.get_by_role("region", name=re.compile(r"^Proposals \("))
            expect(proposals.get_by_role("link", name="Finn Worker")).to_be_visible()
            expect(proposals).to_contain_text("1,200.00 EUR")
            client_page.screenshot(path=str(ARTIFACTS / "marketplace-proposals.png"), full_page=True)
            client_page.get_by_role("button", name=re.compile("^Accept and create contract")).click()
            expect(client_page.get_by_role("heading", level=1)).to_have_text(TITLE)
            expect(client_page.get_by_text("You hired Finn Worker.", exact=False)).to_be_visible()
            # Nothing paid yet: instead of the button, the page says what completing needs.
            expect(client_page.get_by_text("Nothing has been paid on this contract yet")).to_be_visible()
            expect(client_page.get_by_role("button", name="Mark contract as completed")).to_have_count(0)
            contract = Contract.objects.get(project=project)
            assert client_page.url.endswith(f"/contracts/{contract.pk}/")

            # Both see it on their contracts page.
            for page, other in ((client_page, "Finn Worker"), (freelancer_page, "Cleo Client")):
                open_menu(page)
                page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
                expect(page.get_by_role("heading", level=1)).to_have_text("Contracts")
                row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=TITLE))
                expect(row).to_contain_text(other)
                expect(row).to_contain_text("Active")
            freelancer_page.get_by_role("link", name=TITLE).click()
            expect(freelancer_page.get_by_role("heading", level=1)).to_have_text(TITLE)
            expect(freelancer_page.get_by_role("button", name="Mark contract as completed")).to_have_count(0)
            client_page.screenshot(path=str(ARTIFACTS / "marketplace-contracts-client.png"), full_page=True)
            freelancer_page.screenshot(path=str(ARTIFACTS / "marketplace-contract-freelancer.png"), full_page=True)
        finally:
            browser.close()
