"""The timesheet, the contract page's weekly invoices, the billing page's saved cards and the dashboards, as
people use them through the pages (forms posted, pages read), with a frozen clock and the Stripe emulator."""

import re

import pytest
import time_machine

from contracts import hourly
from contracts.models import TimeEntry, WeeklyInvoice
from contracts.services import weekly_limit_set
from payments.methods import card_save
from payments.models import SavedCard
from tests.helpers.pages import assert_accessible_page

from .hourly_helpers import at, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def contract(client_user, freelancer_user):
    with time_machine.travel(at(2), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "30.00")
        card_save(user=client_user, payment_method="pm_card_visa")
        weekly_limit_set(contract=contract, by=client_user, hours=2)
    return contract


def test_the_freelancer_logs_edits_and_deletes_time_and_sees_the_limit(client, contract, freelancer_user):
    client.force_login(freelancer_user)
    url = f"/contracts/{contract.pk}/timesheet/"
    with time_machine.travel(at(4, 15), tick=False):
        page = client.get(url)
        assert_accessible_page(page)
        assert "Week of 2 November 2026 to 8 November 2026" in text(page)
        for day, minutes in (("2026-11-02", "90"), ("2026-11-03", "60")):
            done = client.post(f"{url}entries/", {"date": day, "minutes": minutes, "memo": "Search page"})
            assert done.status_code == 302
        future = client.post(f"{url}entries/", {"date": "2026-11-05", "minutes": "30"})
        assert future.status_code == 400 and "has not come yet" in text(future)
        page = client.get(f"{url}?week=2026-11-02")
        shown = text(page)
        assert "Total 2 h 30 min" in shown and "Billable 2 h 00 min" in shown
        assert "Over the limit (not billed) 0 h 30 min" in shown and "Amount 60.00 USD" in shown
        entry = TimeEntry.objects.get(date="2026-11-03")
        client.post(f"{url}entries/{entry.pk}/", {f"e{entry.pk}-minutes": "45", f"e{entry.pk}-memo": "Shorter"})
        assert TimeEntry.objects.get(pk=entry.pk).minutes == 45
        client.post(f"{url}entries/{entry.pk}/delete/")
        assert not TimeEntry.objects.filter(pk=entry.pk).exists()
    with time_machine.travel(at(9, 1), tick=False):
        hourly.weeks_close_due()
        page = client.get(f"{url}?week=2026-11-02")
        assert "In review" in text(page)
        assert "Delete the entry" not in text(page) and "Start the timer" not in text(page)
        assert "Log the time" in text(client.get(url))  # this week is open


def test_the_client_reviews_and_disputes_a_week_on_the_page(client, contract, client_user, freelancer_user):
    with time_machine.travel(at(3), tick=False):
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=200)
    with time_machine.travel(at(9, 1), tick=False):
        hourly.weeks_close_due()
    invoice = WeeklyInvoice.objects.get(contract=contract)
    client.force_login(client_user)
    with time_machine.travel(at(10), tick=False):
        detail = text(client.get(f"/contracts/{contract.pk}/"))
        assert "Hours and weekly invoices" in detail and "In review" in detail
        assert "Rate 30.00 USD an hour" in detail
        assert "80 min over the limit, not billed" in detail and "60.00 USD" in detail
        page = client.get(f"/contracts/{contract.pk}/timesheet/?week=2026-11-02")
        assert_accessible_page(page)
        assert "Approve" in text(page) and "Dispute" in text(page)
        response = client.post(f"/contracts/{contract.pk}/invoices/{invoice.pk}/dispute/",
                               {"reason": "One call was cancelled."}, follow=True)
        assert "nothing is charged until our team decides" in text(response)
    invoice.refresh_from_db()
    assert invoice.status == "disputed" and invoice.dispute_reason == "One call was cancelled."


def test_a_client_saves_and_removes_a_card_on_the_billing_page(client, client_user):
    client.force_login(client_user)
    page = client.get("/settings/billing/")
    assert_accessible_page(page)
    assert "No saved card yet." in text(page)
    saved = client.post("/settings/billing/cards/", {"newcard-card_number": "4242 4242 4242 4242",
                                                     "newcard-exp_month": "12", "newcard-exp_year": "2034",
                                                     "newcard-cvc": "123"}, follow=True)
    assert "Your card ending 4242 is saved" in text(saved) and "Visa ending 4242" in text(saved)
    card = SavedCard.objects.get(user=client_user)
    # A card whose bank asks for 3-D Secure is saved once confirmed.
    asked = client.post("/settings/billing/cards/", {"newcard-card_number": "4000 0027 6000 3184",
                                                     "newcard-exp_month": "12", "newcard-exp_year": "2034",
                                                     "newcard-cvc": "123"}, follow=True)
    assert "Your bank asks you to confirm this card" in text(asked)
    confirmed = client.post("/settings/billing/cards/confirm/", follow=True)
    assert "Your card ending 3184 is saved" in text(confirmed)
    removed = client.post(f"/settings/billing/cards/{card.pk}/remove/", follow=True)
    assert "The card is removed." in text(removed)
    assert list(SavedCard.objects.filter(user=client_user).values_list("last4", flat=True)) == ["3184"]


def test_both_dashboards_show_the_hours(client, contract, client_user, freelancer_user):
    with time_machine.travel(at(4), tick=False):
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=95)
        for user in (client_user, freelancer_user):
            client.force_login(user)
            shown = text(client.get("/dashboard/"))
            assert "Hours" in shown and "Logged this week 1 h 35 min" in shown
