"""What a payment was for: escrow tells payments the contract's and the milestone's titles when the money
moves, and payments recorded before that got them from their contract when the database was migrated."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from contracts import escrow
from contracts.tests.factories import make_contract
from payments.models import Payment
from payments.services import funding_record
from tests.helpers.money import add_milestone, fund, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def test_every_payment_of_a_milestone_names_its_contract_and_milestone(client_user, freelancer_user, client_for):
    contract = make_contract(client_user, freelancer_user)
    client_api, freelancer_api = client_for(client_user), client_for(freelancer_user)
    milestone = add_milestone(client_api, contract.pk, "1000.00", "Design and build")
    assert fund(client_api, milestone["id"]).json()["status"] == "succeeded"
    assert submit(freelancer_api, milestone["id"]).status_code == 200
    assert client_api.post(f"/api/milestones/{milestone['id']}/approve").status_code == 200

    payments = Payment.objects.filter(milestone_id=milestone["id"])
    assert sorted(payments.values_list("kind", flat=True)) == ["fee", "funding", "release"]
    assert set(payments.values_list("contract_title", "milestone_title")) == {(contract.title, "Design and build")}


def test_payments_recorded_before_titles_were_kept_get_them_from_their_contract(client_user, freelancer_user):
    contract = make_contract(client_user, freelancer_user)
    milestone = escrow.milestone_create(contract=contract, by=client_user,
                                        data={"title": "Logo", "amount": Decimal("50.00")})
    earlier, _ = funding_record(payer=client_user, payment_intent_id="pi_before_titles", amount_minor=5000,
                                currency="usd", contract_id=contract.pk, milestone_id=milestone.pk,
                                description="Escrow for “Logo”")
    unknown, _ = funding_record(payer=client_user, payment_intent_id="pi_no_contract", amount_minor=100,
                                currency="usd", contract_id=contract.pk + 1000, milestone_id=milestone.pk + 1000,
                                description="Escrow")
    assert (earlier.contract_title, earlier.milestone_title) == ("", "")

    importlib.import_module("contracts.migrations.0005_payment_titles_backfill").backfill(apps, None)

    earlier.refresh_from_db()
    unknown.refresh_from_db()
    assert (earlier.contract_title, earlier.milestone_title) == (contract.title, "Logo")
    assert (unknown.contract_title, unknown.milestone_title) == ("", "")
