"""People and their work in a real browser (Debian's Chromium, headless), on the demo data: each role's
dashboard after logging in, a freelancer's profile with avatar, stars and portfolio pictures, "Message"
opening the chat, and a project's proposals fitting a desktop and a phone screen.

With MEGILANCE_SCREENSHOTS=1 the tests also write the README's screenshots into docs/screenshots/.
"""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_PASSWORD = "megilance-demo"

pytestmark = [pytest.mark.browser]


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, viewport=DESKTOP):
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def screenshot(page, name: str, *, full_page: bool = False) -> None:
    """Writes docs/screenshots/<name>.png when asked to, as a small palette PNG."""
    if os.environ.get("MEGILANCE_SCREENSHOTS") != "1":
        return
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(full_page=full_page)))
    image.convert("RGB").quantize(colors=96).save(SCREENSHOTS / f"{name}.png", optimize=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_client_lands_on_the_dashboard_and_messages_a_freelancer_from_the_profile(live_server, demo, browser):
    from playwright.sync_api import expect

    page = open_page(browser)
    log_in(page, live_server.url, "alice@acme.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome back, Alice")
    expect(page.get_by_role("region", name="Needs your action")).to_contain_text("Telemetry pipeline")
    expect(page.get_by_role("region", name="My projects")).to_contain_text("new")
    screenshot(page, "dashboard-client")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Freelancers").click()
    page.get_by_role("link", name="Fatima Haddad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fatima Haddad")
    expect(page.locator(".profile-head .avatar-initials")).to_have_text("FH")
    expect(page.get_by_role("img", name="5 out of 5").first).to_be_visible()
    thumbnails = page.get_by_role("img", name=re.compile(r"image \d \(opens the full size\)"))
    expect(thumbnails).to_have_count(3)
    # Loaded with the page, not only once scrolled to: a screenshot or a quick scroll shows pictures, not boxes.
    page.wait_for_load_state("load")
    loaded = page.evaluate("[...document.querySelectorAll('.thumbs img')].map(i => i.complete && i.naturalWidth)")
    assert len(loaded) == 3 and all(loaded), loaded

    page.get_by_role("button", name=re.compile(r"^Message")).click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Chat with Fatima Haddad")


def test_a_freelancer_lands_on_the_dashboard_with_matches_earnings_and_profile_progress(live_server, demo, browser):
    from playwright.sync_api import expect

    page = open_page(browser)
    log_in(page, live_server.url, "liam@megilance.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome back, Liam")
    expect(page.get_by_role("region", name="Best matches")).to_contain_text("Data warehouse for delivery metrics")
    expect(page.get_by_role("region", name="Earnings")).not_to_contain_text("0.00 USD Waiting")
    expect(page.get_by_role("progressbar", name="Profile completeness")).to_be_visible()
    expect(page.get_by_role("region", name="Active contracts")).to_contain_text("Per-minute roll-ups")
    screenshot(page, "dashboard-freelancer")
    assert fits_the_screen(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_proposals_fit_the_screen_sort_and_compare(live_server, demo, browser, viewport):
    from playwright.sync_api import expect

    from marketplace.models import Project

    project = Project.objects.get(title="Delivery zones map and routing API")
    page = open_page(browser, viewport)
    log_in(page, live_server.url, "bob@northwind.test")
    if viewport is PHONE:
        # Avatars are round badges beside the name at every width, not loose initials above the heading.
        box = page.locator(".dash-hello .avatar-initials").bounding_box()
        assert box and box["width"] == box["height"] >= 40, box
        heading = page.get_by_role("heading", level=1).bounding_box()
        assert heading and heading["x"] > box["x"] + box["width"], (box, heading)
        screenshot(page, "phone-header")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    proposals = page.get_by_role("region", name=re.compile(r"^Proposals \("))
    letter = proposals.get_by_text(re.compile("^I have built three marketplaces")).first
    expect(letter).to_be_visible()
    assert fits_the_screen(page)
    box = letter.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    page.get_by_label("Sort by").select_option(label="Lowest bid first")
    page.get_by_role("button", name="Apply").click()
    names = proposals.get_by_role("heading", level=3)
    expect(names.first).to_have_text("Fatima Haddad")
    page.get_by_label("Compare the proposal from Fatima Haddad").check()
    page.get_by_label("Compare the proposal from Liam O'Connor").check()
    page.get_by_role("button", name=re.compile("^Compare selected")).click()
    compared = page.get_by_role("region", name="Side by side")
    expect(compared.get_by_role("columnheader")).to_have_text(["Fatima Haddad", "Liam O'Connor"])
    assert fits_the_screen(page)
