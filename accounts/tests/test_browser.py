"""One person's whole account journey in a real browser (Debian's Chromium, headless), found by labels and roles.

Sign up as a freelancer, log out, log in, turn on two-factor authentication from the security page, log out,
and log in again through the code step.
"""

import os
import re
import time
from pathlib import Path

import pyotp
import pytest

from tests.helpers.browser import open_menu

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a-long-and-unusual-passphrase-77"

pytestmark = [
    pytest.mark.browser,
]


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_sign_up_turn_on_two_factor_and_log_in_with_a_code(live_server, transactional_db) -> None:
    from playwright.sync_api import expect, sync_playwright

    from accounts.models import User

    base_url = live_server.url
    email = "bea.worker@example.com"
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone-sized screen
            page.set_default_timeout(15_000)

            # Sign up as a freelancer.
            page.goto(f"{base_url}/signup/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Create your MegiLance account")
            page.get_by_label("I want to work").check()
            page.get_by_label("First name").fill("Bea")
            page.get_by_label("Last name").fill("Worker")
            page.get_by_label("E-mail address").fill(email)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Create my account").click()
            open_menu(page)
            expect(page.get_by_role("navigation", name="Account")).to_contain_text("Bea Worker")
            assert User.objects.get(email=email).is_freelancer

            # Log out, then log in with the password.
            page.get_by_role("button", name="Log out").click()
            open_menu(page)
            expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
            log_in(page, base_url, email)
            open_menu(page)
            expect(page.get_by_role("navigation", name="Account")).to_contain_text("Bea Worker")

            # Turn on two-factor authentication from the security page.
            open_menu(page)
            page.get_by_role("link", name="Security").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
            page.get_by_role("button", name="Turn on two-factor authentication").click()
            expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
            backup_codes = page.get_by_role("listitem").filter(has_text=re.compile(r"^\s*[0-9a-f]{5}-[0-9a-f]{5}\s*$"))
            expect(backup_codes).to_have_count(8)
            secret = page.get_by_label("Secret key").input_value()
            page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
            page.get_by_role("button", name="Confirm code and turn on two-factor authentication").click()
            expect(page.get_by_text("Two-factor authentication is on.", exact=True)).to_be_visible()

            # Log out; logging in now asks for a code.
            open_menu(page)
            page.get_by_role("button", name="Log out").click()
            log_in(page, base_url, email)
            expect(page.get_by_role("heading", level=1)).to_have_text("Enter your two-factor code")
            # The code of the next 30-second window: the device accepts one step ahead and never a code twice.
            page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
            page.get_by_role("button", name="Verify code and log in").click()

            open_menu(page)
            expect(page.get_by_role("navigation", name="Account")).to_contain_text("Bea Worker")
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "browser-two-factor-login.png"), full_page=True)
        finally:
            browser.close()
