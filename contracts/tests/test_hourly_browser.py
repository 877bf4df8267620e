"""An hourly contract in a real browser (Debian's Chromium, headless) against the Stripe emulator, found by labels
and roles: the freelancer, on a phone, times work with the timer (which survives a reload) and logs more by
hand; the client, on a laptop, sees the week on the timesheet and approves last week, which is charged."""

import os
from datetime import timedelta

import pytest
import time_machine

from contracts import hourly
from contracts.models import TimeEntry, WeeklyInvoice
from payments.methods import card_save
from payments.models import Payment
from tests.helpers.browser import open_menu

from .hourly_helpers import cents, fee_cents, make_hourly_contract
from .test_money_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PHONE, log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]
LAPTOP = {"width": 1280, "height": 900}


def test_the_freelancer_times_work_and_the_client_sees_and_approves_the_week(
        live_server, transactional_db, make_user, stripe_clean) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url = live_server.url
    client = make_user("client", email="hana.hires@example.com", first_name="Hana", last_name="Hires")
    freelancer = make_user("freelancer", email="tomas.times@example.com", first_name="Tomas", last_name="Times")
    today = hourly.today_utc()
    last_week = hourly.week_start_of(today) - timedelta(days=7)
    with time_machine.travel(last_week, tick=True):  # the contract started last week
        contract = make_hourly_contract(client, freelancer, "50.00")
    card_save(user=client, payment_method="pm_card_visa")
    hourly.time_entry_create(contract=contract, by=freelancer, day=last_week + timedelta(days=2), minutes=150,
                             memo="Database migration")
    hourly.weeks_close_due()  # Monday's job: last week is in review
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(viewport=PHONE).new_page()
            laptop = browser.new_context(viewport=LAPTOP).new_page()
            for page in (phone, laptop):
                page.set_default_timeout(20_000)

            # The freelancer finds the timesheet from the contract.
            log_in(phone, base_url, freelancer.email)
            open_menu(phone)
            phone.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
            phone.get_by_role("link", name=contract.title).click()
            phone.get_by_role("link", name="Open the timesheet").click()
            expect(phone.get_by_role("heading", level=1)).to_have_text(f"Timesheet: {contract.title}")

            # The timer runs, survives a reload, and logs the time when stopped.
            expect(phone.get_by_role("button", name="Stop the timer and log the time")).to_be_hidden()
            phone.get_by_role("button", name="Start the timer").click()
            expect(phone.get_by_role("button", name="Start the timer")).to_be_hidden()
            expect(phone.get_by_role("button", name="Stop the timer and log the time")).to_be_visible()
            phone.wait_for_timeout(1500)
            phone.reload()
            stop = phone.get_by_role("button", name="Stop the timer and log the time")
            expect(stop).to_be_visible()
            expect(phone.locator("#timer-elapsed")).not_to_have_text("0:00:00")
            phone.screenshot(path=str(ARTIFACTS / "hourly-timer-phone.png"), full_page=True)
            stop.click()
            expect(phone.get_by_text("Logged 0 h 01 min", exact=False)).to_be_visible()
            assert list(TimeEntry.objects.filter(contract=contract, date=today).values_list("minutes", flat=True)) \
                == [1]
            expect(phone.get_by_role("button", name="Start the timer")).to_be_visible()

            # More time, typed in.
            phone.get_by_label("Day").fill(today.isoformat())
            phone.get_by_label("Minutes", exact=True).last.fill("90")
            phone.get_by_label("What you worked on").last.fill("Calendar sync")
            phone.get_by_role("button", name="Log the time", exact=True).click()
            expect(phone.get_by_text("Logged 1 h 30 min", exact=False)).to_be_visible()
            expect(phone.locator("#week-total")).to_have_text("1 h 31 min")

            # The client sees the week, then approves last week's hours.
            log_in(laptop, base_url, client.email)
            laptop.goto(f"{base_url}/contracts/{contract.pk}/")
            laptop.get_by_role("link", name="Open the timesheet").click()
            expect(laptop.locator("#week-total")).to_have_text("1 h 31 min")
            expect(laptop.locator("#entries")).to_contain_text("Calendar sync")
            expect(laptop.get_by_role("button", name="Start the timer")).to_have_count(0)
            laptop.get_by_role("link", name="Previous week").click()
            expect(laptop.locator("#week-total")).to_have_text("2 h 30 min")
            expect(laptop.locator("#week-status")).to_have_text("In review")
            invoice = WeeklyInvoice.objects.get(contract=contract, week_start=last_week)
            card = laptop.locator(f"#invoice-{invoice.pk}")
            expect(card).to_contain_text("125.00 USD")
            laptop.screenshot(path=str(ARTIFACTS / "hourly-review-laptop.png"), full_page=True)
            card.get_by_role("button", name="Approve").click()
            expect(laptop.get_by_text("You approved the week", exact=False)).to_be_visible()
            expect(laptop.locator("#week-status")).to_have_text("Paid")
        finally:
            browser.close()

    gross = cents(150, "50.00")
    assert Payment.objects.get(user=client, kind="funding").amount == gross == 12500
    assert Payment.objects.get(user=freelancer, kind="release").amount == gross - fee_cents(gross)
