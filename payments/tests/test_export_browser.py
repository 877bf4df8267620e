"""The CSV export in a real browser (Debian's Chromium, headless): while the server prepares the file the link
says "Preparing…", is disabled and shows a progress bar; then the file is saved under the server's name and the
link comes back. Under the site's content security policy, on a phone and on a desktop."""

import os

import pytest

from accounts.tests.factories import PASSWORD
from payments.models import Payment

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LISTEN = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});"""

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_the_csv_link_is_busy_until_the_file_is_saved(live_server, transactional_db, make_user, tmp_path,
                                                     viewport) -> None:
    from playwright.sync_api import expect, sync_playwright

    client = make_user("client", email="carla.csv@example.com", first_name="Carla", last_name="Client")
    payment = Payment.objects.create(user=client, kind="funding", amount=123456, currency="usd",
                                     description="Escrow for “Design”", contract_title="Booking site")
    held = []  # the export request, answered only once the busy state has been seen

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=viewport, accept_downloads=True).new_page()
            page.set_default_timeout(20_000)
            page.add_init_script(LISTEN)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_server.url}/login/")
            page.get_by_label("E-mail address").fill(client.email)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Log in", exact=True).click()
            page.wait_for_url(lambda url: "/login/" not in url)
            page.goto(f"{live_server.url}/payments/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Payments")

            page.route("**/payments/export.csv", lambda route: held.append(route))
            link = page.get_by_role("link", name="Download all your payments (CSV)")
            link.click()
            busy = page.get_by_role("link", name="Preparing…")
            expect(busy).to_be_visible()
            expect(busy).to_have_attribute("aria-disabled", "true")
            expect(page.get_by_role("status").filter(has=page.locator("progress"))).to_contain_text(
                "Preparing your download")
            busy.click(force=True)  # a second click while busy sends nothing more
            page.wait_for_timeout(200)
            assert len(held) == 1

            with page.expect_download() as download_info:
                held[0].continue_()
            download = download_info.value
            assert download.suggested_filename == "megilance-payments.csv"
            saved = tmp_path / "payments.csv"
            download.save_as(saved)
            text = saved.read_text()
            assert payment.receipt_number in text and "1234.56" in text

            expect(link).to_be_visible()
            expect(link).not_to_have_attribute("aria-disabled", "true")
            expect(page.locator(".download-progress")).to_have_count(0)
            assert page.evaluate("window.__violations") == [] and errors == []
        finally:
            browser.close()


def test_when_preparing_fails_the_plain_link_is_followed(live_server, transactional_db, make_user) -> None:
    from playwright.sync_api import expect, sync_playwright

    client = make_user("client", email="carla.fallback@example.com")
    Payment.objects.create(user=client, kind="funding", amount=5000, currency="usd", description="Escrow")
    seen = []

    def first_fails(route) -> None:
        seen.append(route.request.resource_type)
        if len(seen) == 1:
            route.abort()
        else:
            route.continue_()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{live_server.url}/login/")
            page.get_by_label("E-mail address").fill(client.email)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Log in", exact=True).click()
            page.wait_for_url(lambda url: "/login/" not in url)
            page.goto(f"{live_server.url}/payments/")
            page.route("**/payments/export.csv", first_fails)
            link = page.get_by_role("link", name="Download all your payments (CSV)")
            with page.expect_download() as download_info:
                link.click()
            assert download_info.value.suggested_filename == "megilance-payments.csv"
            assert seen == ["fetch", "document"]  # the page's fetch, then the plain link
            expect(link).not_to_have_attribute("aria-disabled", "true")
        finally:
            browser.close()
