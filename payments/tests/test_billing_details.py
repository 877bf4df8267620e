"""Billing details as the person typed them: every member edits them on /settings/billing-details/, each payment
keeps a copy of them as they were when it was recorded, and its receipt (page and PDF) prints that copy."""

import re

import pytest
from django.test import Client

from payments import services, views
from payments.models import Payment
from tests.helpers.pages import assert_accessible_page
from tests.helpers.pdf import pdf_text

pytestmark = pytest.mark.django_db

DETAILS = {"name": "Acme Widgets GmbH", "address_line1": "Hauptstrasse 5", "address_line2": "Hinterhaus, 2. OG",
           "city": "Berlin", "postcode": "10115", "country": "Germany", "tax_id": "DE123456789"}


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def fund(user, intent: str = "pi_details_1") -> Payment:
    payment, _ = services.funding_record(payer=user, payment_intent_id=intent, amount_minor=25000, currency="usd",
                                         contract_id=31, milestone_id=41, description="Escrow for “Design”",
                                         contract_title="Shop", milestone_title="Design")
    return payment


@pytest.mark.parametrize("kind", ["client", "freelancer"])
def test_every_member_saves_their_billing_details_as_typed(make_user, kind):
    user = make_user(kind)
    browser = browser_for(user)
    page = browser.get("/settings/billing-details/")
    assert page.status_code == 200
    assert_accessible_page(page)
    assert 'href="/settings/billing-details/" aria-current="page"' in page.content.decode()

    response = browser.post("/settings/billing-details/", {**DETAILS, "name": "  Acme Widgets GmbH  "})
    assert response.status_code == 302 and response["Location"] == "/settings/billing-details/"
    html = browser.get("/settings/billing-details/").content.decode()
    for value in ("Acme Widgets GmbH", "Hauptstrasse 5", "10115", "DE123456789"):
        assert f'value="{value}"' in html
    assert user.billing_profile.tax_id == "DE123456789"

    too_long = browser.post("/settings/billing-details/", {**DETAILS, "tax_id": "X" * 51})
    assert too_long.status_code == 400
    assert "at most 50 characters" in text_of(too_long)


def test_the_settings_tabs_link_to_billing_details_for_everyone(client_user, freelancer_user):
    for user in (client_user, freelancer_user):
        html = browser_for(user).get("/settings/profile/").content.decode()
        assert 'href="/settings/billing-details/"' in html
    assert "your <a href=\"/settings/billing-details/\">billing details</a>" in \
        browser_for(client_user).get("/settings/billing/").content.decode()


def test_a_payment_keeps_the_details_it_was_recorded_with_and_its_receipt_prints_them(client_user, freelancer_user,
                                                                                       monkeypatch):
    browser = browser_for(client_user)
    before = fund(client_user, "pi_details_0")
    browser.post("/settings/billing-details/", DETAILS)
    payment = fund(client_user)
    release = services.release_record(payee=freelancer_user, gross_minor=25000, currency="usd", contract_id=31,
                                      milestone_id=41, reference="release:details:41",
                                      description="Payment for “Design”")
    browser.post("/settings/billing-details/", {**DETAILS, "name": "Renamed Ltd", "tax_id": ""})

    payment.refresh_from_db()
    assert payment.billing_details == DETAILS
    assert release.billing_details == {}  # the freelancer gave none
    assert before.billing_details == {}

    text = text_of(browser.get(f"/payments/{payment.pk}/receipt/"))
    assert ("Billing details Acme Widgets GmbH Hauptstrasse 5 Hinterhaus, 2. OG 10115 Berlin Germany "
            "Tax ID: DE123456789") in text
    assert "Renamed Ltd" not in text
    old = text_of(browser.get(f"/payments/{before.pk}/receipt/"))
    assert "Billing details" not in old and "Acme" not in old and "Renamed" not in old

    monkeypatch.setattr(views, "_font", lambda: ("Helvetica", "Helvetica-Bold"))
    pdf = pdf_text(browser.get(f"/payments/{payment.pk}/receipt.pdf").content)
    assert "Billing details" in pdf and "Acme Widgets GmbH" in pdf and "Tax ID: DE123456789" in pdf
    assert "10115 Berlin" in pdf and "Renamed" not in pdf
    old_pdf = pdf_text(browser.get(f"/payments/{before.pk}/receipt.pdf").content)
    assert "Billing details" not in old_pdf and "Acme" not in old_pdf
