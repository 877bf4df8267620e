"""The header in a real browser (Debian's Chromium): on a phone one row with a "Menu" button that opens
every link; on a desktop every link in view. Found by roles and accessible names."""

import os
import re

import pytest

from accounts.tests.factories import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [pytest.mark.browser]

HEADER_LINKS = ["Projects", "Freelancers", "My proposals", "Invites", "Contracts", "Messages", "Settings",
                "Security"]


def _log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"^(?!.*/login/).*$"))


def test_header_folds_into_a_menu_on_a_phone_and_shows_every_link_on_a_desktop(live_server, transactional_db,
                                                                                make_user) -> None:
    from playwright.sync_api import expect, sync_playwright

    user = make_user("freelancer", first_name="Nia", last_name="Menu")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(viewport=PHONE).new_page()
            phone.set_default_timeout(15_000)
            _log_in(phone, live_server.url, user.email)
            phone.goto(f"{live_server.url}/projects/")
            menu = phone.get_by_role("button", name="Menu")
            expect(menu).to_be_visible()
            expect(menu).to_have_attribute("aria-expanded", "false")
            expect(phone.get_by_role("navigation", name="Main")).to_be_hidden()
            header = phone.get_by_role("banner")
            assert header.bounding_box()["height"] <= 70, header.bounding_box()

            menu.click()
            expect(menu).to_have_attribute("aria-expanded", "true")
            for name in HEADER_LINKS:
                expect(header.get_by_role("link", name=name, exact=True)).to_be_visible()
            expect(header.get_by_role("link", name=re.compile("^Notifications"))).to_be_visible()
            expect(header.get_by_role("button", name="Log out")).to_be_visible()
            header.get_by_role("link", name="Security", exact=True).click()
            expect(phone.get_by_role("heading", level=1)).to_have_text("Security settings")

            phone.get_by_role("button", name="Menu").click()
            phone.keyboard.press("Escape")
            expect(phone.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
            expect(phone.get_by_role("navigation", name="Account")).to_be_hidden()

            desktop = browser.new_context(viewport=DESKTOP).new_page()
            desktop.set_default_timeout(15_000)
            _log_in(desktop, live_server.url, user.email)
            desktop.goto(f"{live_server.url}/projects/")
            expect(desktop.get_by_role("button", name="Menu")).to_be_hidden()
            header = desktop.get_by_role("banner")
            for name in HEADER_LINKS:
                expect(header.get_by_role("link", name=name, exact=True)).to_be_visible()
            expect(header.get_by_role("button", name="Log out")).to_be_visible()
        finally:
            browser.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_not_found_page_fits_the_screen(live_server, transactional_db, viewport) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=viewport).new_page()
            response = page.goto(f"{live_server.url}/no-such-page/")
            assert response.status == 404
            expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
            expect(page.locator('meta[name="viewport"]')).to_have_count(1)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
        finally:
            browser.close()


def test_missing_pages_under_make_run_are_the_product_page(client, db, settings) -> None:
    """`make run` has DEBUG on: a missing address and a missing record still get the product's page."""
    settings.DEBUG = True
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "devtools.middleware.ProductNotFoundPageMiddleware"]
    for url in ("/no-such-page/", "/projects/999999/"):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert "<h1>Page not found</h1>" in html
        assert "For developers" in html
    assert client.get("/projects").status_code == 301  # a missing slash is still added
    api = client.get("/api/no-such-endpoint")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")
