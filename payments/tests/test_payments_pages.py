"""The payments list, receipts and balances, from money recorded through payments' own services: what a
payment was for is what its recorder said when the money moved, and each person sees only their own."""

import re

import pytest
from django.test import Client

from core.exceptions import ApplicationError
from payments import services
from payments.models import Payment

pytestmark = pytest.mark.django_db

CONTRACT_ID = 4242


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def paid(client_user, freelancer_user) -> tuple[Payment, Payment]:
    """A funding of 1,000.00 USD by the client and its release to the freelancer, and 50.00 EUR funded."""
    titles = {"contract_title": "Website redesign", "milestone_title": "Design"}
    funding, _ = services.funding_record(payer=client_user, payment_intent_id="pi_pages_1", amount_minor=100000,
                                         currency="usd", contract_id=CONTRACT_ID, milestone_id=7,
                                         description="Escrow for “Design”", **titles)
    release = services.release_record(payee=freelancer_user, gross_minor=100000, currency="usd",
                                      contract_id=CONTRACT_ID, milestone_id=7, reference="release:pages:7",
                                      description="Payment for “Design”", **titles)
    services.funding_record(payer=client_user, payment_intent_id="pi_pages_2", amount_minor=5000, currency="eur",
                            contract_id=CONTRACT_ID + 1, milestone_id=8, description="Escrow for “Logo”",
                            contract_title="Brand refresh", milestone_title="Logo")
    return funding, release


def test_a_receipt_names_the_contract_and_milestone_the_money_was_for(paid, client_user, freelancer_user):
    funding, release = paid
    page = browser_for(client_user).get(f"/payments/{funding.pk}/receipt/")
    text = text_of(page)
    assert f"Receipt {funding.receipt_number}" in text
    assert "Contract Website redesign" in text and "Milestone Design" in text
    assert "Amount paid into escrow 1,000.00 USD" in text and "Stripe reference pi_pages_1" in text
    assert f'href="/contracts/{CONTRACT_ID}/"' in page.content.decode()

    text = text_of(browser_for(freelancer_user).get(f"/payments/{release.pk}/receipt/"))
    assert "Contract Website redesign" in text and "Milestone Design" in text
    assert "Released from escrow 1,000.00 USD" in text and "You receive 900.00 USD" in text
    fee = Payment.objects.get(kind=Payment.Kind.FEE)
    assert fee.contract_title == "Website redesign" and fee.milestone_title == "Design"


def test_the_list_and_the_api_show_each_person_their_balances_per_currency(paid, client_user, freelancer_user,
                                                                           client_for):
    page = browser_for(client_user).get("/payments/")
    text = text_of(page)
    assert "Spent 50.00 EUR In escrow 50.00 EUR" in text and "Spent 1,000.00 USD In escrow 0.00 USD" in text
    assert "Website redesign" in text and "Brand refresh" in text
    assert f'href="/contracts/{CONTRACT_ID}/"' in page.content.decode()

    text = text_of(browser_for(freelancer_user).get("/payments/"))
    assert "Earned 900.00 USD Pending payout 900.00 USD Paid out 0.00 USD" in text

    client_api, freelancer_api = client_for(client_user), client_for(freelancer_user)
    assert client_api.get("/api/payments/summary?currency=eur").json() == {
        "currency": "eur", "spent": "50.00", "in_escrow": "50.00", "earnings_total": "0.00",
        "earnings_pending": "0.00", "earnings_paid": "0.00"}
    summary = freelancer_api.get("/api/payments/summary").json()
    assert (summary["earnings_total"], summary["earnings_pending"], summary["spent"]) == ("900.00", "900.00", "0.00")


def test_another_persons_payment_is_not_found_on_the_pages_or_the_api(paid, freelancer_user, make_user,
                                                                       client_for):
    funding, release = paid
    freelancer = browser_for(freelancer_user)
    assert freelancer.get(f"/payments/{funding.pk}/receipt/").status_code == 404
    assert freelancer.get(f"/payments/{funding.pk}/receipt.pdf").status_code == 404
    assert freelancer.get(f"/payments/{release.pk}/receipt.pdf").content.startswith(b"%PDF")
    stranger = client_for(make_user("client"))
    for path in (f"/api/payments/{release.pk}", f"/api/payments/{release.pk}/receipt"):
        assert stranger.get(path).json() == {"detail": "Not found.", "error_type": "not_found"}
    receipt = client_for(freelancer_user).get(f"/api/payments/{release.pk}/receipt").json()
    assert receipt["receipt_number"] == release.receipt_number and receipt["amount"] == "900.00"


def test_the_bank_check_stand_in_exists_only_at_the_test_emulator(settings):
    settings.STRIPE_API_BASE = ""
    with pytest.raises(ApplicationError) as refused:
        services.payment_intent_authenticate_test(payment_intent_id="pi_x", client_secret="pi_x_secret")
    assert refused.value.status_code == 403
