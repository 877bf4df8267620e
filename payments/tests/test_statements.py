"""Monthly statements of one's own payments: the months with payments, each month as a page and a PDF with its
payments and the totals per currency, and nobody else's."""

import datetime
import re

import pytest
import time_machine
from django.test import Client

from accounts.models import BillingProfile
from payments import views
from payments.models import Payment
from tests.helpers.pages import assert_accessible_page
from tests.helpers.pdf import pdf_text

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def pay(user, when: str, amount: int, currency: str = "usd", kind: str = "funding", description: str = "Escrow",
        status: str = "succeeded") -> Payment:
    with time_machine.travel(datetime.datetime.fromisoformat(when), tick=False):
        return Payment.objects.create(user=user, kind=kind, amount=amount, currency=currency, status=status,
                                      description=description, contract_title="Booking site")


@pytest.fixture
def history(client_user, make_user):
    BillingProfile.objects.create(user=client_user, name="Acme Widgets GmbH", city="Berlin", postcode="10115",
                                  tax_id="DE123456789")
    payments = {
        "october": pay(client_user, "2026-10-30T12:00:00+00:00", 50000, description="Escrow for Design"),
        "nov_usd_1": pay(client_user, "2026-11-02T09:00:00+00:00", 100000, description="Escrow for Build"),
        "nov_usd_2": pay(client_user, "2026-11-20T09:00:00+00:00", 25050, description="Escrow for Launch"),
        "nov_refund": pay(client_user, "2026-11-21T09:00:00+00:00", 5000, kind="refund", description="Refund"),
        "nov_failed": pay(client_user, "2026-11-22T09:00:00+00:00", 77700, status="failed",
                          description="Escrow that failed"),
        "nov_eur": pay(client_user, "2026-11-25T09:00:00+00:00", 4000, currency="eur",
                       description="Escrow for Logo"),
    }
    pay(make_user("client"), "2026-11-03T09:00:00+00:00", 99900, description="Someone else's")
    pay(make_user("client"), "2026-09-03T09:00:00+00:00", 99900, description="Someone else's")
    return payments


def test_the_statements_list_has_the_callers_months_and_is_linked_from_payments(history, client_user):
    browser = browser_for(client_user)
    assert 'href="/payments/statements/"' in browser.get("/payments/").content.decode()
    page = browser.get("/payments/statements/")
    assert page.status_code == 200
    assert_accessible_page(page)
    html = page.content.decode()
    assert re.findall(r'href="/payments/statements/(\d{4}-\d{2})/"', html) == ["2026-11", "2026-10"]
    assert 'href="/payments/statements/2026-11.pdf"' in html
    text = text_of(page)
    assert "November 2026 (5 payments)" in text and "October 2026 (1 payment)" in text
    assert "September" not in text


def test_a_months_page_lists_its_payments_and_totals_per_currency(history, client_user):
    page = browser_for(client_user).get("/payments/statements/2026-11/")
    assert page.status_code == 200
    assert_accessible_page(page)
    text = text_of(page)
    assert "Statement, November 2026" in text
    assert "Acme Widgets GmbH 10115 Berlin Tax ID: DE123456789" in text
    for key in ("nov_usd_1", "nov_usd_2", "nov_refund", "nov_failed", "nov_eur"):
        assert history[key].receipt_number in text
    assert history["october"].receipt_number not in text and "Someone else" not in text
    # Succeeded only: the failed 777.00 USD is listed but not counted.
    assert "USD Paid into escrow (2) 1,250.50 USD Refunded to you (1) 50.00 USD" in text
    assert "EUR Paid into escrow (1) 40.00 EUR" in text
    assert 'href="/payments/export.csv?month=2026-11"' in page.content.decode()


def test_a_months_pdf_has_the_same_payments_and_totals(history, client_user, monkeypatch):
    monkeypatch.setattr(views, "_font", lambda: ("Helvetica", "Helvetica-Bold"))
    response = browser_for(client_user).get("/payments/statements/2026-11.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="megilance-statement-2026-11.pdf"'
    text = pdf_text(response.content)
    assert "MegiLance statement, November 2026" in text and "Tax ID: DE123456789" in text
    assert history["nov_eur"].receipt_number in text and history["october"].receipt_number not in text
    assert "Paid into escrow (2) 1,250.50 USD" in text and "Refunded to you (1) 50.00 USD" in text
    assert "Paid into escrow (1) 40.00 EUR" in text
    assert "Someone else" not in text


def test_a_long_month_runs_over_several_pdf_pages(client_user, monkeypatch):
    monkeypatch.setattr(views, "_font", lambda: ("Helvetica", "Helvetica-Bold"))
    for day in range(1, 29):
        for hour in (8, 10, 12):
            pay(client_user, f"2026-02-{day:02d}T{hour:02d}:00:00+00:00", 1000, description=f"Escrow {day} {hour}")
    response = browser_for(client_user).get("/payments/statements/2026-02.pdf")
    assert response.content.count(b"/Type /Page\n") >= 2
    assert "Paid into escrow (84) 840.00 USD" in pdf_text(response.content)


def test_other_months_and_other_peoples_months_are_not_found(history, client_user, freelancer_user):
    browser = browser_for(client_user)
    for url in ("/payments/statements/2026-09/", "/payments/statements/2026-09.pdf",
                "/payments/statements/2026-13/", "/payments/statements/1999-01.pdf"):
        assert browser.get(url).status_code == 404, url
    outsider = browser_for(freelancer_user)
    assert outsider.get("/payments/statements/2026-11/").status_code == 404
    assert outsider.get("/payments/statements/2026-11.pdf").status_code == 404
    assert "No payments yet" in text_of(outsider.get("/payments/statements/"))


def test_signing_in_is_needed():
    for url in ("/payments/statements/", "/payments/statements/2026-11/", "/payments/statements/2026-11.pdf"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
