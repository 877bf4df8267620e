"""The fee is fixed when a milestone is funded, and a split is shown as what it was: the freelancer's share (less
its fee) released, the client's share refunded. Through the API by fields and the contract page by its text."""

from decimal import Decimal

import pytest

from contracts.models import Dispute, Milestone
from contracts.tests.factories import make_contract
from contracts.tests.test_money_pages import browser_for, text_of
from core.money import fee_minor
from payments.models import LedgerAccount, Payment
from tests.helpers.money import add_milestone, assert_ledger_balanced, balance, fund, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


@pytest.fixture
def contract(client_user, freelancer_user):
    return make_contract(client_user, freelancer_user)


def test_the_fee_taken_is_the_one_shown_when_the_milestone_was_funded(
        contract, client_user, freelancer_user, client_for, settings):
    settings.PLATFORM_FEE_PERCENT = 10
    client_api, freelancer_api = client_for(client_user), client_for(freelancer_user)
    milestone = add_milestone(client_api, contract.id, "1000.00")
    assert fund(client_api, milestone["id"]).status_code == 200

    settings.PLATFORM_FEE_PERCENT = 20
    shown = client_api.get(f"/api/milestones/{milestone['id']}").json()
    assert (shown["fee_percent"], shown["platform_fee"], shown["freelancer_receives"]) == ("10.00", "100.00", "900.00")
    # A milestone not funded yet is shown with today's fee.
    later = add_milestone(client_api, contract.id, "1000.00", "Second part")
    assert (later["fee_percent"], later["platform_fee"], later["freelancer_receives"]) == ("20.00", "200.00", "800.00")
    page = text_of(browser_for(client_user).get(f"/contracts/{contract.id}/"))
    assert "Platform fee (10%) 100.00 USD Freelancer receives 900.00 USD" in page
    assert "Platform fee (20%) 200.00 USD Freelancer receives 800.00 USD" in page

    submit(freelancer_api, milestone["id"])
    approved = client_api.post(f"/api/milestones/{milestone['id']}/approve")
    assert approved.status_code == 200
    assert (approved.json()["fee_percent"], approved.json()["platform_fee"],
            approved.json()["freelancer_receives"]) == ("10.00", "100.00", "900.00")
    gross = 100000
    assert Payment.objects.get(kind="release").amount == gross - gross * 10 // 100 == 90000
    assert Payment.objects.get(kind="fee").amount == 10000
    assert -balance(LedgerAccount.PLATFORM_FEES) == 10000
    assert_ledger_balanced()


def test_a_fractional_fee_is_rounded_half_up_on_the_stored_percent(contract, client_user, freelancer_user,
                                                                   client_for, settings):
    """123.45 at 10 %: 12.345 is 12.35 of fee, the freelancer receives 111.10, whatever the setting is later."""
    client_api, freelancer_api = client_for(client_user), client_for(freelancer_user)
    milestone = add_milestone(client_api, contract.id, "123.45")
    fund(client_api, milestone["id"])
    settings.PLATFORM_FEE_PERCENT = 5
    submit(freelancer_api, milestone["id"])
    body = client_api.post(f"/api/milestones/{milestone['id']}/approve").json()
    assert (body["platform_fee"], body["freelancer_receives"]) == ("12.35", "111.10")
    assert Payment.objects.get(kind="release").amount == 11110


def split(contract, client_user, freelancer_user, staff_user, client_for, settings, *, after_fee_change=False):
    client_api, freelancer_api = client_for(client_user), client_for(freelancer_user)
    milestone = add_milestone(client_api, contract.id, "800.00")
    fund(client_api, milestone["id"])
    submit(freelancer_api, milestone["id"])
    dispute = client_api.post(f"/api/contracts/{contract.id}/dispute",
                              {"milestone_id": milestone["id"], "reason": "Half of it is missing."}, format="json")
    if after_fee_change:
        settings.PLATFORM_FEE_PERCENT = 25
    resolved = client_for(staff_user).post(f"/api/disputes/{dispute.json()['id']}/resolve",
                                           {"resolution": "split", "freelancer_amount": "400.00"}, format="json")
    assert resolved.status_code == 200, resolved.json()
    return milestone


def test_the_api_shows_a_split_as_what_it_was(contract, client_user, freelancer_user, staff_user, client_for,
                                              settings):
    milestone = split(contract, client_user, freelancer_user, staff_user, client_for, settings, after_fee_change=True)
    for api in (client_for(client_user), client_for(freelancer_user)):
        body = api.get(f"/api/milestones/{milestone['id']}").json()
        assert body["status"] == "released"
        assert (body["amount"], body["released_amount"], body["refunded_amount"]) == ("800.00", "400.00", "400.00")
        assert (body["fee_percent"], body["platform_fee"], body["freelancer_receives"]) == ("10.00", "40.00", "360.00")
    listed = client_for(client_user).get(f"/api/contracts/{contract.id}/milestones").json()
    assert (listed[0]["released_amount"], listed[0]["freelancer_receives"]) == ("400.00", "360.00")
    # The money moved as shown.
    assert Payment.objects.get(kind="release").amount == 36000
    assert Payment.objects.get(kind="fee").amount == fee_minor(40000, 10) == 4000
    assert Payment.objects.get(kind="refund").amount == 40000
    assert_ledger_balanced()


def test_the_contract_page_shows_a_split_as_what_it_was(contract, client_user, freelancer_user, staff_user,
                                                        client_for, settings):
    split(contract, client_user, freelancer_user, staff_user, client_for, settings)
    for user in (client_user, freelancer_user):
        text = text_of(browser_for(user).get(f"/contracts/{contract.id}/"))
        for expected in ("Split by our staff", "Amount 800.00 USD", "Released to the freelancer 400.00 USD",
                         "Platform fee (10%) 40.00 USD", "Freelancer receives 360.00 USD",
                         "Refunded to the client 400.00 USD", "Dispute resolved on"):
            assert expected in text, (expected, text)
        assert "720.00" not in text and "Approved and paid" not in text


def test_the_api_and_page_show_a_full_release_and_a_full_refund_plainly(contract, client_user, freelancer_user,
                                                                         client_for):
    client_api, freelancer_api = client_for(client_user), client_for(freelancer_user)
    paid = add_milestone(client_api, contract.id, "300.00", "Paid part")
    fund(client_api, paid["id"])
    submit(freelancer_api, paid["id"])
    client_api.post(f"/api/milestones/{paid['id']}/approve")
    back = add_milestone(client_api, contract.id, "200.00", "Returned part")
    fund(client_api, back["id"])
    freelancer_api.post(f"/api/milestones/{back['id']}/refund", {}, format="json")

    paid_body = client_api.get(f"/api/milestones/{paid['id']}").json()
    assert (paid_body["released_amount"], paid_body["refunded_amount"], paid_body["freelancer_receives"]) == (
        "300.00", "0.00", "270.00")
    back_body = client_api.get(f"/api/milestones/{back['id']}").json()
    assert (back_body["released_amount"], back_body["refunded_amount"], back_body["platform_fee"],
            back_body["freelancer_receives"]) == ("0.00", "200.00", "0.00", "0.00")
    text = text_of(browser_for(client_user).get(f"/contracts/{contract.id}/"))
    assert "Status Approved and paid" in text and "Freelancer receives 270.00 USD" in text
    assert "Status Refunded" in text and "Refunded to the client 200.00 USD" in text
    assert not Dispute.objects.exists()
    assert Milestone.objects.get(pk=back["id"]).status == "refunded"
    assert Decimal(paid_body["amount"]) == Decimal("300.00")
