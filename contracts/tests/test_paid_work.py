"""Completing and reviewing need paid work: a contract completes once at least one milestone is approved and paid
and none is left in escrow or dispute, and reviews open only on contracts with released money."""

import pytest
from django.test import Client

from contracts.demo import paid_milestone
from contracts.models import Contract, ContractStatusChange
from contracts.services import contract_set_status
from contracts.tests.factories import make_contract
from core.exceptions import Conflict
from marketplace.models import Review

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_contract_with_nothing_paid_is_not_completed_by_the_api(client_for, client_user, freelancer_user):
    contract = make_contract(client_user, freelancer_user)
    response = client_for(client_user).post(f"/api/contracts/{contract.pk}/complete")
    assert response.status_code == 409
    assert response.json()["error_type"] == "nothing_paid"
    assert "Nothing has been paid on this contract yet" in response.json()["detail"]
    assert Contract.objects.get(pk=contract.pk).status == "active"
    assert not ContractStatusChange.objects.filter(contract=contract, to_status="completed").exists()


def test_no_path_completes_a_contract_with_nothing_paid(client_user, freelancer_user, staff_user):
    contract = make_contract(client_user, freelancer_user)
    with pytest.raises(Conflict) as refused:
        contract_set_status(contract=contract, to="completed", by=client_user)
    assert refused.value.error_type == "nothing_paid"
    assert Contract.objects.get(pk=contract.pk).status == "active"


def test_the_page_explains_why_and_refuses(client_user, freelancer_user):
    contract = make_contract(client_user, freelancer_user)
    browser = page_client(client_user)
    page = browser.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Mark contract as completed" not in page
    assert "Nothing has been paid on this contract yet" in page
    refused = browser.post(f"/contracts/{contract.pk}/complete/")
    assert refused.status_code == 409
    assert "Nothing has been paid on this contract yet" in refused.content.decode()
    assert Contract.objects.get(pk=contract.pk).status == "active"


def test_paid_work_completes_and_opens_reviews(client_user, freelancer_user):
    contract = make_contract(client_user, freelancer_user)
    paid_milestone(contract, amount="300.00", title="Wireframes")
    browser = page_client(client_user)
    assert "Mark contract as completed" in browser.get(f"/contracts/{contract.pk}/").content.decode()
    assert browser.post(f"/contracts/{contract.pk}/complete/").status_code == 302
    assert Contract.objects.get(pk=contract.pk).status == "completed"
    assert "Leave a review of" in browser.get(f"/contracts/{contract.pk}/").content.decode()
    response = browser.post(f"/contracts/{contract.pk}/review/", {"rating": "5", "comment": "Paid and done."})
    assert response.status_code == 302
    assert Review.objects.filter(contract_id=contract.pk).count() == 1


def test_reviews_are_refused_on_a_completed_contract_without_paid_work(client_for, client_user, freelancer_user):
    # A contract completed before completing needed paid work.
    contract = make_contract(client_user, freelancer_user)
    Contract.objects.filter(pk=contract.pk).update(status="completed")
    response = client_for(client_user).post("/api/reviews", {"contract_id": contract.pk, "rating": 5},
                                            format="json")
    assert response.status_code == 409
    assert response.json()["error_type"] == "no_paid_work"
    assert "Reviews are for paid work" in response.json()["detail"]
    page = page_client(freelancer_user).get(f"/contracts/{contract.pk}/").content.decode()
    assert "Leave a review of" not in page
    assert "Reviews are for paid work" in page
    assert not Review.objects.filter(contract_id=contract.pk).exists()
