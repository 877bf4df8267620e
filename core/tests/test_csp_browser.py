"""The Content-Security-Policy in a real browser (Debian's Chromium, headless): signed in, the pages with
scripts of their own (the chat over its WebSocket, the notification bell, the API's documentation) work and
the browser reports no violation of the policy and no error."""

import re

import pytest

from messaging.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, asgi_server, in_another_thread, log_in

__all__ = ["asgi_server"]  # the fixture: the product under uvicorn, pages and WebSockets

pytestmark = [pytest.mark.browser]

# Recorded in the page before any of its own scripts run.
LISTEN = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});"""


def test_pages_work_under_the_policy_with_no_violation(asgi_server, make_user) -> None:
    from playwright.sync_api import expect, sync_playwright

    from messaging.services import chat_open

    carla = make_user("client", email="carla.csp@example.com", first_name="Carla", last_name="Client")
    bea = make_user("freelancer", email="bea.csp@example.com", first_name="Bea", last_name="Builder")
    chat = in_another_thread(chat_open, user=carla, participant=bea)[0]
    expect.set_options(timeout=20_000)  # Redoc renders its headings well after the page loads
    errors: list[str] = []  # console errors; Redoc's web fonts cannot load on a machine without internet
    crashes: list[str] = []  # scripts that threw
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(20_000)
            page.add_init_script(LISTEN)
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: crashes.append(str(error)))
            visited = []

            def violations() -> list[str]:
                return page.evaluate("window.__violations")

            log_in(page, asgi_server, carla.email)
            visited.append(page.url)
            assert not (seen := violations()), (page.url, seen)
            page.goto(f"{asgi_server}/messages/{chat.pk}/")
            expect(page.locator("#chat")).to_have_class(re.compile(r"\bchat--live\b"))  # chat.js and its socket
            page.get_by_label("Message", exact=True).fill("Hello under the policy")
            page.get_by_role("button", name="Send").click()
            expect(page.get_by_role("log").get_by_text("Hello under the policy")).to_be_visible()
            visited.append(page.url)
            assert not (seen := violations()), (page.url, seen)
            page.goto(f"{asgi_server}/api/docs")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("MegiLance API")  # the inline start-up
            visited.append(page.url)
            assert not (seen := violations()), (page.url, seen)
            page.goto(f"{asgi_server}/api/redoc")
            expect(page.get_by_role("heading", name=re.compile("MegiLance API")).first).to_be_visible()
            visited.append(page.url)
            assert not (seen := violations()), (page.url, seen)
        finally:
            browser.close()
    csp_errors = [error for error in errors if "Content Security Policy" in error or "Content-Security" in error]
    assert csp_errors == [], csp_errors
    assert crashes == [], crashes
    assert all(error.startswith("Failed to load resource") for error in errors), errors
    print(f"no policy violation on {len(visited)} pages: {visited}")
