"""Ordering a service in a real browser (Debian's Chromium, headless) against the Stripe emulator, found by labels
and roles: the client (1280 by 900) orders a package with an extra by test card, the seller (a phone, 390 by 844)
delivers a file, the client asks for a revision, the seller delivers again, the client accepts, and the seller
sees the payout."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD
from gigs.models import Order
from gigs.tests.order_factories import make_service, stripe_settings  # noqa: F401  (a fixture)
from payments.models import Payment
from tests.helpers.browser import open_menu

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("stripe_settings")]


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def fits(page) -> bool:
    """Nothing on the page is wider than the window (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_order_deliver_revise_accept_and_the_seller_is_paid(live_server, transactional_db, make_user, stripe_clean,
                                                            settings, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url = live_server.url
    buyer = make_user("client", email="olga.order@example.com", first_name="Olga", last_name="Order")
    seller = make_user("freelancer", email="sami.seller@example.com", first_name="Sami", last_name="Seller")
    service = make_service(seller, title="A hand-drawn logo")
    total = Decimal("120.00") + Decimal("40.00")  # the standard package and the social media kit
    fee = total * settings.PLATFORM_FEE_PERCENT / 100
    net = f"{total - fee:.2f} USD"
    ARTIFACTS.mkdir(exist_ok=True)
    concepts = tmp_path / "concepts.pdf"
    concepts.write_bytes(b"%PDF-1.4\n% three logo concepts\n")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            buyer_page = browser.new_context(viewport=DESKTOP).new_page()
            seller_page = browser.new_context(viewport=PHONE).new_page()
            for page in (buyer_page, seller_page):
                page.set_default_timeout(20_000)

            # The client orders the standard package with the social media kit, paying by test card.
            log_in(buyer_page, base_url, buyer.email)
            buyer_page.goto(f"{base_url}/services/{service.pk}/order/?tier=standard")
            expect(buyer_page.get_by_role("heading", level=1)).to_have_text("Order “A hand-drawn logo”")
            expect(buyer_page.get_by_role("heading", name="Standard package: Logo pack")).to_be_visible()
            expect(buyer_page.locator("#seller-questions")).to_contain_text("What is the business called?")
            buyer_page.get_by_label("Social media kit").check()
            buyer_page.get_by_label("Your answers to the seller's questions").fill("Olga's Bakery; warm browns.")
            buyer_page.get_by_label("Card number").fill("4242 4242 4242 4242")
            buyer_page.get_by_label("Expiry month (MM)").fill("12")
            buyer_page.get_by_label("Expiry year (YYYY)").fill("2034")
            buyer_page.get_by_label("Security code (CVC)").fill("123")
            assert fits(buyer_page)
            buyer_page.get_by_role("button", name="Place order and pay").click()
            expect(buyer_page.get_by_text("Paid: 160.00 USD is held in escrow", exact=False)).to_be_visible()
            expect(buyer_page.locator("#order-status")).to_have_text("In progress")
            expect(buyer_page.locator("#time-left")).to_contain_text("left")
            order = Order.objects.get(buyer=buyer)
            assert order.status == "in_progress" and order.total == total
            buyer_page.screenshot(path=str(ARTIFACTS / "orders-placed.png"), full_page=True)

            # The seller, on a phone, finds the order through the header and delivers a file.
            log_in(seller_page, base_url, seller.email)
            open_menu(seller_page)
            seller_page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
            expect(seller_page.get_by_role("heading", level=1)).to_have_text("Orders")
            seller_page.get_by_role("link", name=order.title).click()
            expect(seller_page.get_by_role("heading", level=1)).to_have_text(order.title)
            requirements = seller_page.get_by_role("region", name="Requirements")
            expect(requirements).to_contain_text("Olga's Bakery; warm browns.")
            expect(seller_page.get_by_role("button", name="Message Olga Order")).to_be_visible()
            seller_page.get_by_label("Note to the buyer").fill("Three concepts in the PDF.")
            seller_page.get_by_label("Files").set_input_files(str(concepts))
            seller_page.get_by_role("button", name="Deliver", exact=True).click()
            expect(seller_page.get_by_text("Delivered. The buyer can accept it", exact=False)).to_be_visible()
            expect(seller_page.locator("#order-status")).to_have_text("Delivered")
            assert fits(seller_page)
            seller_page.screenshot(path=str(ARTIFACTS / "orders-delivered-phone.png"), full_page=True)

            # The client sees the delivery and its file, and asks for a revision.
            buyer_page.reload()
            expect(buyer_page.get_by_role("link", name="concepts.pdf")).to_be_visible()
            buyer_page.get_by_label("What should change?").fill("Warmer browns, please.")
            buyer_page.get_by_role("button", name="Request a revision").click()
            expect(buyer_page.locator("#order-status")).to_have_text("Revision requested")

            # The seller delivers again.
            seller_page.reload()
            expect(seller_page.locator("#timeline")).to_contain_text("Warmer browns, please.")
            seller_page.get_by_label("Note to the buyer").fill("Warmer now.")
            seller_page.get_by_role("button", name="Deliver", exact=True).click()
            expect(seller_page.locator("#order-status")).to_have_text("Delivered")

            # The client accepts: the seller is paid from escrow.
            buyer_page.reload()
            buyer_page.get_by_role("button", name="Accept the delivery").click()
            expect(buyer_page.get_by_text("the seller is paid from escrow", exact=False)).to_be_visible()
            expect(buyer_page.locator("#order-status")).to_have_text("Completed")

            seller_page.reload()
            expect(seller_page.locator("#payout")).to_contain_text(f"You were paid {net}")
            timeline = seller_page.locator("#timeline")
            for step in ("Order placed", "Paid into escrow", "Delivered", "Revision requested", "Accepted"):
                expect(timeline).to_contain_text(step)
            assert fits(seller_page)
            seller_page.screenshot(path=str(ARTIFACTS / "orders-paid-phone.png"), full_page=True)
            assert Payment.objects.get(user=seller, kind="release", order_id=order.pk).amount == int(
                (total - fee) * 100)
        finally:
            browser.close()
