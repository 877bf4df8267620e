"""Receipts, their PDF and the CSV export in the reader's language, with times in the reader's time zone; the
billing page's refusal too. English speakers still read English."""

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from payments import services, views
from payments.models import Payment
from tests.helpers.pdf import pdf_text

pytestmark = pytest.mark.django_db

# 23:30 on 30 November in UTC is already 1 December in Berlin, still the afternoon in New York.
PAID_AT = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def release_for(user) -> Payment:
    with time_machine.travel(PAID_AT, tick=False):
        return services.release_record(payee=user, gross_minor=20000, currency="usd", contract_id=7, milestone_id=9,
                                       reference=f"release:language:{user.pk}", description="Payment for “Logo”",
                                       contract_title="Bakery", milestone_title="Logo")


def test_a_german_freelancer_reads_the_receipt_and_its_pdf_in_german_at_berlin_time(make_user, monkeypatch):
    freelancer = make_user("freelancer", language="de", timezone="Europe/Berlin")
    payment = release_for(freelancer)
    browser = browser_for(freelancer)

    page = text_of(browser.get(f"/payments/{payment.pk}/receipt/"))
    assert f"Quittungsnummer {payment.receipt_number}" in page
    assert "Datum 1 Dezember 2026, 00:30 Uhr CET" in page
    assert "Meilenstein Logo" in page and "Vertrag Bakery" in page
    assert f"Plattformgebühr ({settings.PLATFORM_FEE_PERCENT}%)" in page and "Sie erhalten" in page
    assert "Stripe-Referenz" in page
    assert "Receipt number" not in page and "You receive" not in page

    monkeypatch.setattr(views, "_font", lambda: ("Helvetica", "Helvetica-Bold"))
    pdf = pdf_text(browser.get(f"/payments/{payment.pk}/receipt.pdf").content)
    assert f"MegiLance-Quittung {payment.receipt_number}" in pdf
    assert "Freelance-Marktplatz mit Treuhandzahlung je Meilenstein." in pdf
    assert "Quittungsnummer" in pdf and "1 Dezember 2026, 00:30 Uhr CET" in pdf
    assert "Gebühren" in pdf and f"Plattformgebühr ({settings.PLATFORM_FEE_PERCENT}%)" in pdf
    assert "Ausgestellt von MegiLance am " in pdf
    assert "Receipt" not in pdf and "Issued by" not in pdf

    exported = b"".join(browser.get("/payments/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["quittung", "datum", "art", "beschreibung", "vertrag", "meilenstein", "betrag", "währung",
                       "status", "auszahlungsstatus"]
    assert rows[1][0] == payment.receipt_number and rows[1][1] == "2026-12-01T00:30:00+01:00"


def test_an_english_freelancer_in_new_york_still_reads_english(make_user, monkeypatch):
    freelancer = make_user("freelancer", language="en", timezone="America/New_York")
    payment = release_for(freelancer)
    browser = browser_for(freelancer)

    page = text_of(browser.get(f"/payments/{payment.pk}/receipt/"))
    assert f"Receipt number {payment.receipt_number}" in page
    assert "Date 30 November 2026, 18:30 EST" in page
    assert f"Platform fee ({settings.PLATFORM_FEE_PERCENT}%)" in page and "You receive" in page

    monkeypatch.setattr(views, "_font", lambda: ("Helvetica", "Helvetica-Bold"))
    pdf = pdf_text(browser.get(f"/payments/{payment.pk}/receipt.pdf").content)
    assert f"MegiLance receipt {payment.receipt_number}" in pdf and "30 November 2026, 18:30 EST" in pdf
    assert "Issued by MegiLance on " in pdf

    exported = b"".join(browser.get("/payments/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][:3] == ["receipt", "date", "kind"]
    assert rows[1][1] == "2026-11-30T18:30:00-05:00"


def test_a_spanish_freelancer_reads_why_billing_is_not_for_them_in_spanish(make_user):
    refused = browser_for(make_user("freelancer", language="es")).get("/settings/billing/")
    assert refused.status_code == 403
    page = text_of(refused)
    assert "La facturación es para clientes" in page and "Volver a tus ajustes" in page
    english = text_of(browser_for(make_user("freelancer")).get("/settings/billing/"))
    assert "Billing is for clients" in english and "Back to your settings" in english
