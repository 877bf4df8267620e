"""Price guidance: the quartiles of what similar work was paid, checked against Python's own quantiles."""

import statistics
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.demo import paid_milestone
from contracts.models import Contract
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


SIMILAR = {"category": "web-development", "skills": "django,Booking", "budget_type": "fixed"}


def guidance_sql_runs(queries: CaptureQueriesContext) -> int:
    return sum("percentile_cont" in query["sql"].lower() for query in queries.captured_queries)


def asked(api, params=SIMILAR) -> tuple[dict, int]:
    """The API's answer, and how many times the request ran the guidance's SQL."""
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/price-guidance", params)
    assert response.status_code == 200, response.content
    return response.json(), guidance_sql_runs(queries)


def quartiles(body: dict) -> tuple:
    return body["low"], body["median"], body["high"], body["sample_size"]


def wanted(prices: list[str]) -> tuple:
    want = expected(prices)
    return str(want["low"]), str(want["median"]), str(want["high"]), len(prices)


def test_the_same_question_runs_the_sql_once(history, client_for, freelancer_user, make_user):
    api = client_for(freelancer_user)
    first, runs = asked(api)
    assert quartiles(first) == wanted(history["similar"]) and runs == 1
    again, runs = asked(api)
    assert again == first and runs == 0
    # Spelled otherwise but the same question (skills in another order and case, the category in capitals,
    # asked by someone else): the same kept answer.
    other = client_for(make_user("client"))
    same, runs = asked(other, {"category": "WEB-DEVELOPMENT", "skills": " booking , DJANGO,django",
                               "budget_type": "fixed"})
    assert same == first and runs == 0
    # A different question is computed: its own answer.
    hourly, runs = asked(api, {**SIMILAR, "budget_type": "hourly"})
    assert quartiles(hourly) == ("65.00", "65.00", "65.00", 1) and runs == 1


def test_a_new_hire_changes_the_answer_as_soon_as_it_is_committed(
        history, client_for, freelancer_user, django_capture_on_commit_callbacks):
    api = client_for(freelancer_user)
    assert quartiles(asked(api)[0]) == wanted(history["similar"])
    assert asked(api)[1] == 0  # kept

    with django_capture_on_commit_callbacks(execute=True):
        hire(history["client"], freelancer_user, "5000.00", title="Booking site, big", category="web-development",
             skills=["Booking"], budget_type="fixed")
    body, runs = asked(api)
    assert runs == 1 and quartiles(body) == wanted([*history["similar"], "5000.00"])
    assert asked(api)[1] == 0

    # A hire of other work is counted in its own answer, kept before it, and leaves this one as it was.
    hourly_question = {**SIMILAR, "budget_type": "hourly"}
    assert quartiles(asked(api, hourly_question)[0]) == wanted(["65.00", "65.00"])[:3] + (1,)
    with django_capture_on_commit_callbacks(execute=True):
        hire(history["client"], freelancer_user, "70.00", title="Hourly again", category="web-development",
             skills=["Django"], budget_type="hourly")
    assert quartiles(asked(api, hourly_question)[0]) == wanted(["65.00", "70.00"])
    assert quartiles(asked(api)[0]) == wanted([*history["similar"], "5000.00"])


def test_a_completed_contract_changes_the_answer_as_soon_as_it_is_committed(
        history, client_for, freelancer_user, django_capture_on_commit_callbacks):
    api = client_for(freelancer_user)
    with django_capture_on_commit_callbacks(execute=True):
        contract = hire(history["client"], freelancer_user, "1000.00", title="Booking site, extended",
                        category="web-development", skills=["Django"], budget_type="fixed")
    before = [*history["similar"], "1000.00"]
    assert quartiles(asked(api)[0]) == wanted(before)  # while active, the accepted bid counts
    # The sample reads a completed fixed-price contract's own amount; here the work grew past the bid.
    Contract.objects.filter(pk=contract.pk).update(total_amount=Decimal("4200.00"))
    with django_capture_on_commit_callbacks(execute=True):
        paid_milestone(contract, amount="1000.00", title="First part")
        assert quartiles(asked(api)[0]) == wanted(before)  # not completed: still the bid
        contract_complete(contract=contract, by=history["client"])
    body, runs = asked(api)
    assert runs == 1 and quartiles(body) == wanted([*history["similar"], "4200.00"])


def test_the_proposal_form_reads_the_kept_answer(history, client, make_user, freelancer_user):
    freelancer = make_user("freelancer", hourly_rate="50.00")
    project = make_project(history["client"], title="Another booking site", category="web-development",
                           skills=["Booking", "Django"], budget_type="fixed")
    client.force_login(freelancer)
    want = expected(history["similar"])
    line = f"Similar work paid {want['low']}\N{EN DASH}{want['high']} USD, typically {want['median']}"
    runs = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/projects/{project.pk}/").content.decode()
        assert line in page
        runs.append(guidance_sql_runs(queries))
    assert runs == [1, 0]


def test_postgresql_has_the_guidance_indexes():
    """What the guidance's query reads instead of whole tables (discovery migration 0002; BENCHMARKS.md)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
                       "('proposal_accepted_idx', 'project_price_facts_idx')")
        found = dict(cursor.fetchall())
    assert set(found) == {"proposal_accepted_idx", "project_price_facts_idx"}
    assert "(currency, project_id) INCLUDE (bid_amount) WHERE ((status)::text = 'accepted'::text)" in found[
        "proposal_accepted_idx"]
    assert "(id) INCLUDE (budget_type, category_id)" in found["project_price_facts_idx"]
