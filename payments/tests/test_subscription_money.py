"""Client Pro money is ledger money: each paid invoice is one balanced movement, a payment of kind
`subscription` in the client's list with its receipt (page and PDF), and the ledger still equals Stripe with
Stripe's fee on it. Expected figures from the plan's price and Stripe's published pricing."""

import pytest
from django.test import Client

from payments.billing import PRICE_MINOR
from payments.models import LedgerAccount, LedgerTransaction
from tests.helpers.money import assert_ledger_balanced, balance, emulator_available

pytestmark = [pytest.mark.django_db]

URL = "/api/payments/subscription"


@pytest.fixture
def priced(stripe_clean):
    stripe_clean.request("POST", "/_config/pricing", [("card_percent", "290"), ("card_fixed", "30"),
                                                      ("dispute_fee", "1500")])
    return stripe_clean


def test_a_paid_month_is_booked_listed_and_has_receipts(client_user, client_for, priced):
    api = client_for(client_user)
    assert api.post(URL, {"payment_method": "pm_card_visa"}, format="json").status_code in (200, 201)
    rows = [p for p in api.get("/api/payments").json()["results"] if p["kind"] == "subscription"]
    assert [(r["amount"], r["currency"], r["status"]) for r in rows] == [("50.00", "usd", "succeeded")]
    assert PRICE_MINOR == 5_000
    assert -balance(LedgerAccount.SUBSCRIPTION_REVENUE) == 5_000
    assert balance(LedgerAccount.STRIPE_FEES) == (5_000 * 290 + 5_000) // 10_000 + 30 == 175
    assert_ledger_balanced()
    assert balance(LedgerAccount.PLATFORM_CASH) == emulator_available() == 5_000 - 175

    # Syncing again (a webhook, the reconciliation) books nothing more.
    api.get(URL)
    from payments.billing import sync
    sync(client_user)
    assert LedgerTransaction.objects.filter(kind="subscription").count() == 1

    pages = Client()
    pages.force_login(client_user)
    receipt = pages.get(f"/payments/{rows[0]['id']}/receipt/")
    assert receipt.status_code == 200
    assert b"Client Pro" in receipt.content and b"50.00" in receipt.content
    pdf = pages.get(f"/payments/{rows[0]['id']}/receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert api.get(f"/api/payments/{rows[0]['id']}/receipt").status_code == 200
