"""Milestone escrow in a real browser (Debian's Chromium, headless) against the Stripe emulator, found by labels
and roles: the client adds a milestone and funds it with a test card, the freelancer (a second browser context)
submits the work, the client approves, and the freelancer sees the release held, sets up payouts at the
emulator's onboarding page and then sees it paid out."""

import os
import re
from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD
from contracts.models import Milestone
from contracts.tests.factories import make_contract
from payments.models import Payment

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
MILESTONE = "Wireframes for the booking flow"

pytestmark = [pytest.mark.browser]


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_fund_submit_approve_and_get_paid_out(live_server, transactional_db, make_user, stripe_clean,
                                              tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url = live_server.url
    client = make_user("client", email="carla.client@example.com", first_name="Carla", last_name="Client")
    freelancer = make_user("freelancer", email="felix.free@example.com", first_name="Felix", last_name="Free")
    contract = make_contract(client, freelancer)
    ARTIFACTS.mkdir(exist_ok=True)
    delivery = tmp_path / "wireframes.pdf"
    delivery.write_bytes(b"%PDF-1.4\n% wireframes of the booking flow\n")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            client_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            freelancer_page = browser.new_context(viewport=PHONE).new_page()
            for page in (client_page, freelancer_page):
                page.set_default_timeout(20_000)

            # The client opens the contract and adds a milestone.
            log_in(client_page, base_url, client.email)
            client_page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
            client_page.get_by_role("link", name=contract.title).click()
            expect(client_page.get_by_role("heading", level=1)).to_have_text(contract.title)
            client_page.get_by_label("Title").fill(MILESTONE)
            client_page.get_by_label("Description").fill("Every screen from search to payment, clickable.")
            client_page.get_by_label("Amount (USD)").fill("1500")
            client_page.get_by_label("Due date").fill("2099-03-01")
            client_page.get_by_role("button", name="Add milestone").click()
            expect(client_page.get_by_text(f"Milestone “{MILESTONE}” is added for 1,500.00 USD.",
                                           exact=False)).to_be_visible()
            card = client_page.get_by_role("article", name=MILESTONE)
            expect(card).to_contain_text("Platform fee (10%)")
            expect(card).to_contain_text("150.00 USD")
            expect(card).to_contain_text("1,350.00 USD")
            expect(card).to_contain_text("Waiting for funding")

            # ... and funds it with the test card typed into the form.
            card.get_by_label("Card number").fill("4242 4242 4242 4242")
            card.get_by_label("Expiry month (MM)").fill("12")
            card.get_by_label("Expiry year (YYYY)").fill("2034")
            card.get_by_label("Security code (CVC)").fill("123")
            client_page.screenshot(path=str(ARTIFACTS / "contracts-fund-milestone.png"), full_page=True)
            card.get_by_role("button", name="Fund milestone").click()
            expect(client_page.get_by_text(f"“{MILESTONE}” is funded: 1,500.00 USD is held in escrow.",
                                           exact=False)).to_be_visible()
            card = client_page.get_by_role("article", name=MILESTONE)
            expect(card).to_contain_text("Funded (in escrow)")
            expect(client_page.locator("#escrow-summary")).to_contain_text("1,500.00 USD")
            milestone = Milestone.objects.get(contract=contract)
            assert milestone.status == "funded"

            # The freelancer submits the work with a file.
            log_in(freelancer_page, base_url, freelancer.email)
            freelancer_page.goto(f"{base_url}/contracts/{contract.pk}/")
            work = freelancer_page.get_by_role("article", name=MILESTONE)
            expect(work).to_contain_text("Funded (in escrow)")
            work.get_by_label("Note to the client").fill("All screens are in the PDF; the prototype link is inside.")
            work.get_by_label("Files").set_input_files(str(delivery))
            work.get_by_role("button", name="Submit work").click()
            expect(freelancer_page.get_by_text(f"Your work on “{MILESTONE}” is submitted.",
                                               exact=False)).to_be_visible()
            expect(freelancer_page.get_by_role("article", name=MILESTONE)).to_contain_text("Work submitted")

            # The client sees the submission and its file, and approves.
            client_page.reload()
            card = client_page.get_by_role("article", name=MILESTONE)
            expect(card).to_contain_text("All screens are in the PDF")
            expect(card.get_by_role("link", name="wireframes.pdf")).to_be_visible()
            expect(card).to_contain_text("Auto-approval")
            client_page.screenshot(path=str(ARTIFACTS / "contracts-submitted-work.png"), full_page=True)
            card.get_by_role("button", name="Approve and pay").click()
            expect(client_page.get_by_text("who receives 1,350.00 USD after the 10% platform fee of 150.00 USD",
                                           exact=False)).to_be_visible()
            expect(client_page.get_by_role("article", name=MILESTONE)).to_contain_text("Approved and paid")
            client_page.screenshot(path=str(ARTIFACTS / "contracts-approved.png"), full_page=True)

            # The freelancer sees the release, net of the fee, held until payouts are set up.
            freelancer_page.goto(f"{base_url}/payments/")
            expect(freelancer_page.get_by_role("heading", level=1)).to_have_text("Payments")
            release = freelancer_page.get_by_role("row").filter(has_text="Payment for a milestone")
            expect(release).to_contain_text("1,350.00 USD")
            expect(release).to_contain_text("Held until payout details are complete")
            expect(freelancer_page.get_by_text("Pending payout")).to_be_visible()
            freelancer_page.screenshot(path=str(ARTIFACTS / "payments-held.png"), full_page=True)

            # Setting up payouts: off to the emulator's onboarding page and back.
            freelancer_page.get_by_role("link", name="Payout account", exact=True).click()
            expect(freelancer_page.get_by_role("heading", level=1)).to_have_text("Payouts")
            expect(freelancer_page.locator("#payout-status")).to_contain_text("Not started")
            freelancer_page.get_by_role("button", name="Set up payouts").click()
            expect(freelancer_page.get_by_role("button", name="Complete onboarding")).to_be_visible()
            assert freelancer_page.url.startswith(f"{stripe_clean.url}/connect/onboarding/")
            freelancer_page.get_by_role("button", name="Complete onboarding").click()
            expect(freelancer_page.get_by_text("Your payout account is ready.", exact=False)).to_be_visible()
            assert re.fullmatch(rf"{re.escape(base_url)}/payments/payouts/", freelancer_page.url)
            expect(freelancer_page.locator("#payout-status")).to_contain_text("Ready")
            freelancer_page.screenshot(path=str(ARTIFACTS / "payments-payouts-ready.png"), full_page=True)

            freelancer_page.goto(f"{base_url}/payments/")
            release = freelancer_page.get_by_role("row").filter(has_text="Payment for a milestone")
            expect(release).to_contain_text("Paid out")
            expect(release).to_contain_text("1,350.00 USD")
            freelancer_page.screenshot(path=str(ARTIFACTS / "payments-paid-out.png"), full_page=True)

            # Its receipt: the number, the fee lines and the PDF.
            release.get_by_role("link", name=re.compile("^Receipt for payment for a milestone")).click()
            expect(freelancer_page.get_by_role("heading", level=1)).to_contain_text("Receipt ML-")
            expect(freelancer_page.locator("#receipt-fees")).to_contain_text("Released from escrow")
            expect(freelancer_page.locator("#receipt-fees")).to_contain_text("1,500.00 USD")
            expect(freelancer_page.locator("#receipt-fees")).to_contain_text("150.00 USD")
            expect(freelancer_page.get_by_role("link", name="Download PDF")).to_be_visible()
            freelancer_page.screenshot(path=str(ARTIFACTS / "payments-receipt.png"), full_page=True)
            payment = Payment.objects.get(kind="release")
            assert payment.payout_status == "paid" and payment.amount == 135000
        finally:
            browser.close()
