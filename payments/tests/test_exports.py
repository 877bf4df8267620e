"""CSV export of one's own payments: all of them or one month's, never anyone else's, spreadsheet-safe."""

import csv
import datetime
import io

import pytest
import time_machine
from django.test import Client

from payments.models import Payment

pytestmark = pytest.mark.django_db


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def pay(user, when: str, amount: int, description: str, kind: str = "funding") -> Payment:
    with time_machine.travel(datetime.datetime.fromisoformat(when), tick=False):
        return Payment.objects.create(user=user, kind=kind, amount=amount, currency="usd", description=description,
                                      contract_title="Booking site", milestone_title="Design")


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_the_callers_payments_by_month(client_user, make_user):
    october = pay(client_user, "2026-10-30T12:00:00+00:00", 50000, "Escrow for “Design”")
    november = pay(client_user, "2026-11-02T09:00:00+00:00", 123456, "=HYPERLINK(\"http://evil\")")
    pay(make_user("client"), "2026-11-03T09:00:00+00:00", 99900, "Someone else's")

    browser = browser_for(client_user)
    everything = rows_of(browser.get("/payments/export.csv"))
    assert [row["receipt"] for row in everything] == [october.receipt_number, november.receipt_number]
    assert everything[0]["amount"] == "500.00" and everything[0]["currency"] == "USD"
    assert everything[0]["kind"] == "Milestone funded" and everything[0]["contract"] == "Booking site"

    response = browser.get("/payments/export.csv?month=2026-11")
    assert response["Content-Disposition"] == 'attachment; filename="megilance-payments-2026-11.csv"'
    november_rows = rows_of(response)
    assert [row["receipt"] for row in november_rows] == [november.receipt_number]
    assert november_rows[0]["amount"] == "1234.56"
    assert november_rows[0]["description"].startswith("'=")  # shown as text, never run as a formula

    assert rows_of(browser_for(make_user("freelancer")).get("/payments/export.csv")) == []
    assert 'href="/payments/export.csv"' in browser.get("/payments/").content.decode()


def test_a_wrong_month_is_refused(client_user):
    response = browser_for(client_user).get("/payments/export.csv?month=november")
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()


def test_signing_in_is_needed():
    response = Client().get("/payments/export.csv")
    assert response.status_code == 302 and "/login/" in response["Location"]
