"""The time entries and saved cards API refuses what it must, and a refusal changes nothing."""

import pytest
import time_machine

from contracts import hourly
from contracts.models import Contract, TimeEntry, WeeklyInvoice
from contracts.tests.factories import make_contract
from payments.methods import card_save
from payments.models import SavedCard
from payments.stripe_client import sdk as stripe_sdk

from .hourly_helpers import at, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


@pytest.fixture
def contract(client_user, freelancer_user):
    with time_machine.travel(at(2), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "40.00")
        card_save(user=client_user, payment_method="pm_card_visa")
    return contract


def entries() -> list[tuple]:
    return list(TimeEntry.objects.order_by("pk").values_list("date", "minutes", "memo"))


@pytest.mark.parametrize(("body", "field"), [
    ({"date": "2026-11-05", "minutes": 30}, "date"),  # tomorrow
    ({"date": "2026-11-01", "minutes": 30}, "date"),  # before the contract started
    ({"date": "2026-11-04", "minutes": 0}, "minutes"),
    ({"date": "2026-11-04", "minutes": 1441}, "minutes"),
    ({"date": "2026-11-04", "minutes": -5}, "minutes"),
    ({"date": "2026-11-04"}, "minutes"),
    ({"minutes": 30}, "date"),
])
def test_invalid_entries_are_refused(contract, freelancer_user, client_for, body, field):
    with time_machine.travel(at(4, 15), tick=False):
        response = client_for(freelancer_user).post(f"/api/contracts/{contract.pk}/time-entries", body,
                                                    format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert entries() == []


def test_a_day_holds_at_most_24_hours(contract, freelancer_user, client_for):
    with time_machine.travel(at(4, 23), tick=False):
        api = client_for(freelancer_user)
        url = f"/api/contracts/{contract.pk}/time-entries"
        assert api.post(url, {"date": "2026-11-03", "minutes": 1000}, format="json").status_code == 201
        assert api.post(url, {"date": "2026-11-03", "minutes": 440}, format="json").status_code == 201
        before = entries()
        over = api.post(url, {"date": "2026-11-03", "minutes": 1}, format="json")
        assert over.status_code == 400 and "minutes" in over.json()["errors"]
        entry = TimeEntry.objects.filter(minutes=440).get()
        grown = api.patch(f"/api/time-entries/{entry.pk}", {"minutes": 441}, format="json")
        assert grown.status_code == 400
        moved = api.patch(f"/api/time-entries/{entry.pk}", {"date": "2026-11-05"}, format="json")
        assert moved.status_code == 400 and "date" in moved.json()["errors"]
        assert entries() == before
        # Another day is fine, and an entry can shrink.
        assert api.post(url, {"date": "2026-11-04", "minutes": 1}, format="json").status_code == 201
        assert api.patch(f"/api/time-entries/{entry.pk}", {"minutes": 400, "memo": "Less"},
                         format="json").json()["minutes"] == 400


def test_entries_of_a_closed_week_cannot_change(contract, freelancer_user, client_for):
    with time_machine.travel(at(4, 10), tick=False):
        entry = hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(3).date(), minutes=60)
    with time_machine.travel(at(9, 1), tick=False):
        hourly.weeks_close_due()
        api = client_for(freelancer_user)
        before = entries()
        assert api.patch(f"/api/time-entries/{entry.pk}", {"minutes": 90}, format="json").status_code == 409
        assert api.delete(f"/api/time-entries/{entry.pk}").status_code == 409
        late = api.post(f"/api/contracts/{contract.pk}/time-entries", {"date": "2026-11-08", "minutes": 30},
                        format="json")
        assert late.status_code == 409 and late.json()["error_type"] == "week_closed"
        # Moving this week's entry into the closed week is refused too.
        fresh = api.post(f"/api/contracts/{contract.pk}/time-entries", {"date": "2026-11-09", "minutes": 30},
                         format="json").json()
        assert api.patch(f"/api/time-entries/{fresh['id']}", {"date": "2026-11-06"}, format="json").status_code == 409
        assert entries() == [*before, (at(9).date(), 30, "")]


def test_only_the_freelancer_logs_and_strangers_see_nothing(contract, client_user, freelancer_user, make_user,
                                                           client_for):
    with time_machine.travel(at(4, 10), tick=False):
        entry = hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(4).date(), minutes=60)
        stranger = client_for(make_user("freelancer"))
        client = client_for(client_user)
        url = f"/api/contracts/{contract.pk}/time-entries"
        assert client.post(url, {"date": "2026-11-04", "minutes": 30}, format="json").status_code == 403
        assert client.patch(f"/api/time-entries/{entry.pk}", {"minutes": 5}, format="json").status_code == 403
        assert [row["minutes"] for row in client.get(url).json()["results"]] == [60]  # the client reads the entries
        assert stranger.get(url).status_code == 404
        assert stranger.post(url, {"date": "2026-11-04", "minutes": 30}, format="json").status_code == 404
        assert stranger.patch(f"/api/time-entries/{entry.pk}", {"minutes": 5}, format="json").status_code == 404
        assert stranger.delete(f"/api/time-entries/{entry.pk}").status_code == 404
        invoice = WeeklyInvoice.objects.get(contract=contract)
        assert stranger.get(f"/api/contracts/{contract.pk}/invoices").status_code == 404
        assert stranger.get(f"/api/invoices/{invoice.pk}").status_code == 404
        assert stranger.post(f"/api/invoices/{invoice.pk}/dispute", {"reason": "x"}, format="json").status_code == 404
    assert entries() == [(at(4).date(), 60, "")]


def test_fixed_price_contracts_take_no_time_and_no_limit(client_user, freelancer_user, client_for):
    contract = make_contract(client_user, freelancer_user)
    with time_machine.travel(at(4), tick=False):
        card_save(user=client_user, payment_method="pm_card_visa")
        assert client_for(freelancer_user).post(f"/api/contracts/{contract.pk}/time-entries",
                                                {"date": "2026-11-04", "minutes": 30},
                                                format="json").json()["error_type"] == "not_hourly"
        refused = client_for(client_user).patch(f"/api/contracts/{contract.pk}", {"weekly_limit_hours": 10},
                                                format="json")
    assert refused.status_code == 409
    assert Contract.objects.get(pk=contract.pk).weekly_limit_hours is None


def test_only_the_client_sets_the_limit_within_a_week(contract, client_user, freelancer_user, client_for):
    with time_machine.travel(at(4), tick=False):
        url = f"/api/contracts/{contract.pk}"
        assert client_for(freelancer_user).patch(url, {"weekly_limit_hours": 5}, format="json").status_code == 403
        assert client_for(client_user).patch(url, {"weekly_limit_hours": 169}, format="json").status_code == 400
        assert client_for(client_user).patch(url, {"weekly_limit_hours": 0}, format="json").status_code == 400
    assert Contract.objects.get(pk=contract.pk).weekly_limit_hours is None


def test_saved_cards_are_the_callers_own(client_user, make_user, client_for):
    other = make_user("client")
    with time_machine.travel(at(4), tick=False):
        mine = client_for(client_user).post("/api/payments/methods", {"payment_method": "pm_card_visa"},
                                            format="json").json()["card"]
        theirs = client_for(other)
        assert theirs.get("/api/payments/methods").json() == []
        assert theirs.delete(f"/api/payments/methods/{mine['id']}").status_code == 404
        assert SavedCard.objects.filter(pk=mine["id"]).exists()
        declined = client_for(client_user).post("/api/payments/methods",
                                                {"payment_method": "pm_card_chargeDeclined"}, format="json")
        assert declined.status_code == 402
        assert SavedCard.objects.filter(user=client_user).count() == 1
        method = stripe_sdk().PaymentMethod.retrieve(mine["payment_method"])
        assert method["customer"] == client_user.stripe_customer.stripe_customer_id
        assert client_for(client_user).delete(f"/api/payments/methods/{mine['id']}").status_code == 204
    assert not SavedCard.objects.filter(pk=mine["id"]).exists()
    assert stripe_sdk().PaymentMethod.retrieve(mine["payment_method"])["customer"] is None


def test_a_card_whose_bank_asks_is_saved_after_the_check_and_off_session_charges_wait(
        contract, client_user, freelancer_user, client_for):
    """pm_card_authenticationRequired: saving it needs 3-D Secure; charging it while the client is away is refused
    by the bank (authentication_required), so the week waits and the client is told."""
    from payments.methods import setup_intent_authenticate_test

    with time_machine.travel(at(4), tick=False):
        api = client_for(client_user)
        SavedCard.objects.filter(user=client_user).delete()
        asked = api.post("/api/payments/methods", {"payment_method": "pm_card_authenticationRequired"},
                         format="json")
        assert asked.status_code == 200 and asked.json()["status"] == "requires_action"
        assert SavedCard.objects.filter(user=client_user).count() == 0
        result = setup_intent_authenticate_test(user=client_user, setup_intent_id=asked.json()["setup_intent"],
                                                client_secret=asked.json()["client_secret"])
        assert result.status == "succeeded" and result.card.last4 == "3184"
        hourly.time_entry_create(contract=contract, by=freelancer_user, day=at(4).date(), minutes=60)
    with time_machine.travel(at(9, 1), tick=False):
        hourly.weeks_close_due()
    with time_machine.travel(at(13, 1), tick=False):
        assert hourly.invoices_charge_due() == {"charged": 0, "failed": 1, "skipped": 0}
    invoice = WeeklyInvoice.objects.get(contract=contract)
    assert invoice.status == "in_review" and "authentication" in invoice.payment_error
