"""Feedback while money and files are sent, in Debian's Chromium found by accessible names: the funding button
says "Paying…" and is disabled while the card is charged, a declined card is said inside the funding form with
the page opened at it (desktop and phone), and an evidence upload shows a progress bar that completes."""

import os
from decimal import Decimal

import pytest

from accounts.tests.factories import PASSWORD
from contracts import escrow
from contracts.models import DisputeMessage, Milestone
from contracts.tests.factories import make_contract

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser]

# Records every state a form's button and progress bar go through, in sessionStorage (kept across the page
# the form's answer replaces it with).
RECORD = """(selector) => {
  sessionStorage.setItem("log", "[]");
  const form = document.querySelector(selector);
  const log = (entry) => {
    const all = JSON.parse(sessionStorage.getItem("log"));
    all.push(entry);
    sessionStorage.setItem("log", JSON.stringify(all));
  };
  new MutationObserver(() => {
    const button = form.querySelector("button[type=submit]");
    const bar = form.querySelector("progress");
    log({disabled: button.disabled, text: button.textContent.trim(),
         progress: bar ? [bar.value, bar.max] : null});
  }).observe(form, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def browser_session():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_declined_card_is_said_in_the_form_the_page_opens_at(viewport, live_server, transactional_db, make_user,
                                                               stripe_clean) -> None:
    from playwright.sync_api import expect

    client = make_user("client", email="carla.client@example.com")
    contract = make_contract(client, make_user("freelancer"))
    for n in range(3):  # milestones above it push the last one's form far down the page
        escrow.milestone_create(contract=contract, by=client,
                                data={"title": f"Part {n + 1}", "description": "Long part. " * 60,
                                      "amount": Decimal("100.00")})
    milestone = Milestone.objects.filter(contract=contract).latest("id")
    playwright, browser = browser_session()
    try:
        page = browser.new_context(viewport=viewport).new_page()
        page.set_default_timeout(20_000)
        log_in(page, live_server.url, client.email)
        page.goto(f"{live_server.url}/contracts/{contract.pk}/")
        form = page.get_by_role("form", name="Fund this milestone").nth(2)
        form.get_by_label("Card number").fill("4000 0000 0000 0341")
        form.get_by_label("Expiry month (MM)").fill("12")
        form.get_by_label("Expiry year (YYYY)").fill("2034")
        form.get_by_label("Security code (CVC)").fill("123")
        page.evaluate(RECORD, f"#fund-{milestone.pk}")
        form.get_by_role("button", name="Fund milestone").click()

        form = page.get_by_role("form", name="Fund this milestone").nth(2)
        alert = form.get_by_role("alert")
        expect(alert).to_contain_text("declined")
        expect(alert).to_contain_text("The milestone is not funded.")
        expect(form).to_have_attribute("aria-describedby", f"fund-{milestone.pk}-errors")
        assert page.url.endswith(f"#fund-{milestone.pk}")
        expect(form).to_be_in_viewport()
        expect(form.get_by_role("button", name="Fund milestone")).to_be_enabled()
        log = page.evaluate("JSON.parse(sessionStorage.getItem('log'))")
        assert {"disabled": True, "text": "Paying…", "progress": None} in log, log
        assert Milestone.objects.get(pk=milestone.pk).status == "pending"
    finally:
        browser.close()
        playwright.stop()


def test_an_evidence_upload_shows_its_progress(live_server, transactional_db, make_user, stripe_clean,
                                              tmp_path) -> None:
    from playwright.sync_api import expect

    client = make_user("client")
    freelancer = make_user("freelancer", email="felix.free@example.com")
    contract = make_contract(client, freelancer)
    milestone = escrow.milestone_create(contract=contract, by=client,
                                        data={"title": "Home page", "amount": Decimal("300.00")})
    escrow.milestone_fund(milestone=milestone, by=client, payment_method="pm_card_visa")
    milestone.refresh_from_db()
    dispute = escrow.dispute_open(contract=contract, milestone=milestone, by=client, reason="Not delivered.")
    evidence = tmp_path / "delivery-log.txt"
    evidence.write_text("2026-11-02 delivered the home page to the staging server\n" * 60_000)

    playwright, browser = browser_session()
    try:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.set_default_timeout(30_000)
        log_in(page, live_server.url, freelancer.email)
        page.goto(f"{live_server.url}/contracts/{contract.pk}/")
        page.get_by_role("link", name="Open the dispute: answer, add evidence, read staff's notes").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dispute on “Home page”")
        form = page.get_by_role("form", name="Answer and add evidence")
        form.get_by_label("Your answer").fill("I delivered it on the 2nd: the server's log is attached.")
        form.get_by_label("Evidence").set_input_files(str(evidence))
        page.evaluate(RECORD, "#answer")
        form.get_by_role("button", name="Send answer").click()

        expect(page.get_by_text("Your answer is added to the thread.")).to_be_visible()
        expect(page.get_by_role("link", name="Evidence: delivery-log.txt")).to_be_visible()
        log = page.evaluate("JSON.parse(sessionStorage.getItem('log'))")
        bars = [entry["progress"] for entry in log if entry["progress"]]
        assert bars, log
        assert bars[-1] == [100, 100], bars
        assert any(entry["text"] == "Sending…" and entry["disabled"] for entry in log), log
        message = DisputeMessage.objects.get(dispute=dispute)
        assert message.original_name == "delivery-log.txt" and message.size == evidence.stat().st_size
    finally:
        browser.close()
        playwright.stop()
