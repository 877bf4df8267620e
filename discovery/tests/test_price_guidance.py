"""Price guidance: the quartiles of what similar work was paid, checked against Python's own quantiles."""

import statistics
from decimal import Decimal

import pytest

from contracts.demo import paid_milestone
from contracts.services import contract_complete, proposal_accept
from marketplace.tests.factories import make_project, make_proposal

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


def hire(client, freelancer, bid: str, *, complete: bool = False, **project: object):
    """A project hired at `bid` (accepted), and, when asked, its contract paid and completed."""
    posted = make_project(client, **project)
    contract = proposal_accept(proposal=make_proposal(freelancer, posted, bid_amount=Decimal(bid)), by=client)
    if complete:
        paid_milestone(contract, amount=bid, title="All of it")
        contract = contract_complete(contract=contract, by=client)
    return contract


def expected(prices: list[str]) -> dict[str, Decimal]:
    """The 25th, 50th and 75th percentiles with linear interpolation between the nearest prices (inclusive)."""
    low, median, high = statistics.quantiles([Decimal(price) for price in prices], n=4, method="inclusive")
    return {"low": low.quantize(CENT), "median": median.quantize(CENT), "high": high.quantize(CENT)}


@pytest.fixture
def history(make_user, freelancer_user):
    client = make_user("client")
    similar = ["800.00", "1200.00", "950.50", "3100.00", "1999.99", "1500.00", "2250.25"]
    for n, bid in enumerate(similar):
        hire(client, freelancer_user, bid, complete=n % 3 == 0, title=f"Booking site {n}",
             category="web-development", skills=["Django", "Booking"], budget_type="fixed")
    # Not similar: another category, hourly work, no shared skill, another currency; and proposals never accepted.
    hire(client, freelancer_user, "90000.00", title="Logo", category="design-creative", skills=["Django"])
    hire(client, freelancer_user, "65.00", title="Hourly help", category="web-development", skills=["Django"],
         budget_type="hourly")
    hire(client, freelancer_user, "7777.00", title="Data work", category="web-development", skills=["Pandas"])
    hire(client, freelancer_user, "5555.00", title="Euro site", category="web-development", skills=["Django"],
         currency="eur")
    open_project = make_project(client, title="Still open", category="web-development", skills=["Django"])
    make_proposal(freelancer_user, open_project, bid_amount=Decimal("99999.00"))
    return {"client": client, "similar": similar}


def test_guidance_is_the_quartiles_of_similar_hires(history, client_for, freelancer_user):
    body = client_for(freelancer_user).get("/api/price-guidance", {
        "category": "web-development", "skills": "django,Booking", "budget_type": "fixed"}).json()
    want = expected(history["similar"])
    assert body == {"currency": "usd", "low": str(want["low"]), "median": str(want["median"]),
                    "high": str(want["high"]), "sample_size": 7}


def test_hourly_work_is_guided_by_hourly_rates(history, client_for, freelancer_user, make_user):
    client = make_user("client")
    rates = ["40.00", "55.00", "70.00", "85.00", "62.50"]
    for n, rate in enumerate(rates):
        hire(client, freelancer_user, rate, title=f"Hourly {n}", category="web-development", skills=["Django"],
             budget_type="hourly")
    body = client_for(freelancer_user).get("/api/price-guidance", {"skills": "Django", "budget_type": "hourly"}).json()
    want = expected([*rates, "65.00"])
    assert (body["low"], body["median"], body["high"], body["sample_size"]) == (
        str(want["low"]), str(want["median"]), str(want["high"]), 6)


def test_no_similar_work_gives_nulls(history, client_for, freelancer_user):
    body = client_for(freelancer_user).get("/api/price-guidance", {"category": "writing-translation"}).json()
    assert body == {"currency": "usd", "low": None, "median": None, "high": None, "sample_size": 0}


def test_the_proposal_form_shows_guidance_only_from_five_prices(history, client, make_user):
    freelancer = make_user("freelancer", hourly_rate="50.00")
    project = make_project(history["client"], title="New booking site", category="web-development",
                           skills=["Booking"], budget_type="fixed")
    client.force_login(freelancer)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    want = expected(history["similar"])
    assert f"Similar work paid {want['low']}\N{EN DASH}{want['high']} USD, typically {want['median']}" in page
    sparse = make_project(history["client"], title="Something rare", category="writing-translation",
                          skills=["Poetry"])
    assert "Similar work paid" not in client.get(f"/projects/{sparse.pk}/").content.decode()


def test_the_project_form_asks_for_guidance_as_it_is_filled_in(client, client_user):
    client.force_login(client_user)
    page = client.get("/projects/new/").content.decode()
    assert 'id="budget-guidance"' in page and "/api/price-guidance" in page and "price_guidance.js" in page
    # The page's own session may ask (the script sends the cookie, not a token).
    assert client.get("/api/price-guidance", {"category": "design-creative"}).json()["sample_size"] == 0
