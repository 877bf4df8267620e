"""Selling and finding a service in a real browser (Debian's Chromium, headless), found by labels and roles.

A freelancer on a desktop screen creates a service with three packages, an extra and a picture; a client on a
phone finds it by a word of its title, opens it and compares the packages side by side. With
MEGILANCE_SCREENSHOTS=1 the test also writes docs/screenshots/service-page.png.
"""

import io
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
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "a-long-and-unusual-passphrase-77"
TITLE = "I will illustrate your children's picture book"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser]

PACKAGES = [
    ("Basic", "Cover only", "A painted cover and a title lettering", "120", "5", "2"),
    ("Standard", "Cover and ten pages", "The cover and ten full-page illustrations", "680", "14", "3"),
    ("Premium", "The whole book", "Cover, thirty-two pages and print-ready files", "1850", "30", "5"),
]


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(page, name: str) -> None:
    """Writes docs/screenshots/<name>.png when asked to, as a small palette PNG."""
    if os.environ.get("MEGILANCE_SCREENSHOTS") != "1":
        return
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    image.convert("RGB").quantize(colors=128).save(SCREENSHOTS / f"{name}.png", optimize=True)


def test_a_freelancer_sells_a_service_and_a_client_finds_and_compares_it(live_server, transactional_db, make_user,
                                                                          tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from gigs.models import Service
    from marketplace.categories import categories_ensure_defaults
    from marketplace.demo import _image

    categories_ensure_defaults()
    base_url = live_server.url
    make_user("freelancer", email="ines.artist@example.com", password=PASSWORD, first_name="Ines",
              last_name="Artist", headline="Children's book illustrator")
    make_user("client", email="cleo.client@example.com", password=PASSWORD, first_name="Cleo", last_name="Client")
    picture = tmp_path / "cover.jpg"
    picture.write_bytes(_image("Picture book", 1, ((163, 24, 90), (250, 200, 120))).read())

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            seller = browser.new_context(viewport=DESKTOP).new_page()
            buyer = browser.new_context(viewport=PHONE).new_page()
            for page in (seller, buyer):
                page.set_default_timeout(15_000)

            # The freelancer creates the service from the header's Services link.
            log_in(seller, base_url, "ines.artist@example.com")
            seller.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
            expect(seller.get_by_role("heading", level=1)).to_have_text("Services")
            seller.get_by_role("link", name="Create a service").click()
            expect(seller.get_by_role("heading", level=1)).to_have_text("Create a service")
            seller.get_by_label("Title").fill(TITLE)
            seller.get_by_label("Description").fill("Warm, hand-painted illustrations for picture books, drawn "
                                                    "with you from the first sketch to print-ready files.")
            seller.get_by_label("Category").select_option(label="Design & creative")
            seller.get_by_label("Skills").fill("Illustration, Watercolour")
            for tier, name, included, price, days, revisions in PACKAGES:
                seller.get_by_label(f"{tier} package name").fill(name)
                seller.get_by_label(f"{tier}: what is included").fill(included)
                seller.get_by_label(f"{tier} price").fill(price)
                seller.get_by_label(f"{tier} delivery (days)").fill(days)
                seller.get_by_label(f"{tier} revisions").fill(revisions)
            seller.get_by_label("Extra 1: name").fill("Print-ready files for a second format")
            seller.get_by_label("Extra 1: price").fill("90")
            seller.get_by_label("Extra 1: extra days").fill("2")
            seller.get_by_label("Questions for the buyer").fill("What is the story about?")
            seller.get_by_label("Gallery images").set_input_files(str(picture))
            seller.get_by_role("button", name="Publish service").click()
            expect(seller.get_by_role("heading", level=1)).to_have_text(TITLE)
            expect(seller.get_by_text("Your service is live")).to_be_visible()
            service = Service.objects.get(title=TITLE)
            assert service.status == "active" and service.images.count() == 1
            assert fits_the_screen(seller)

            # The client, on a phone, finds it by a word of its title among the cards.
            log_in(buyer, base_url, "cleo.client@example.com")
            open_menu(buyer)
            buyer.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
            expect(buyer.get_by_role("heading", level=1)).to_have_text("Services")
            buyer.get_by_label("Search services").fill("illustrate")
            buyer.get_by_role("button", name="Search services").click()
            expect(buyer.get_by_role("heading", name="1 service")).to_be_visible()
            card = buyer.get_by_role("article").filter(has_text=TITLE)
            expect(card).to_contain_text("From 120.00 USD")
            expect(card).to_contain_text("Delivery in 5 days")
            expect(card.locator("img").first).to_have_attribute("src", re.compile(r"/media/services/"))
            assert fits_the_screen(buyer)
            card.get_by_role("link", name=TITLE).click()

            # The service page compares the three packages side by side, each with its Order link.
            expect(buyer.get_by_role("heading", level=1)).to_have_text(TITLE)
            table = buyer.get_by_role("table")
            expect(table.get_by_role("columnheader")).to_have_text(["Basic", "Standard", "Premium"])
            price_row = table.get_by_role("row").filter(has=buyer.get_by_role("rowheader", name="Price"))
            expect(price_row.get_by_role("cell")).to_have_text(["120.00 USD", "680.00 USD", "1,850.00 USD"])
            delivery_row = table.get_by_role("row").filter(has=buyer.get_by_role("rowheader", name="Delivery"))
            expect(delivery_row.get_by_role("cell")).to_have_text(["5 days", "14 days", "30 days"])
            expect(table.get_by_role("link", name="Order Standard")).to_have_attribute(
                "href", f"/services/{service.pk}/order/?tier=standard")
            expect(buyer.get_by_text("Print-ready files for a second format")).to_be_visible()
            expect(buyer.get_by_role("button", name="Contact seller")).to_be_visible()
            assert fits_the_screen(buyer)

            # On a desktop screen: the cards beside the facets, and the same page, as the README shows it.
            desk = browser.new_context(viewport=DESKTOP).new_page()
            desk.goto(f"{base_url}/services/")
            facets = desk.get_by_role("complementary", name="Narrow the results")
            expect(facets.get_by_role("listitem").filter(has_text="Design & creative")).to_contain_text("1")
            expect(desk.get_by_role("article").filter(has_text=TITLE)).to_contain_text("From 120.00 USD")
            assert fits_the_screen(desk)
            desk.goto(f"{base_url}/services/{service.pk}/")
            expect(desk.get_by_role("table").get_by_role("columnheader")).to_have_count(3)
            assert fits_the_screen(desk)
            screenshot(desk, "service-page")
        finally:
            browser.close()
