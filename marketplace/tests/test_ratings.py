"""Freelancers' ratings kept on their accounts: what the list shows and orders by is the average of the reviews
everyone may read, hidden reviews count once revealed (by both writing, or by the hourly task after 14 days), and
the list best rated first reads its index whatever the number of freelancers."""

import datetime
import importlib
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from contracts.reviews import review_create
from contracts.tests.factories import make_contract
from marketplace import selectors
from marketplace.models import Review
from marketplace.tasks import refresh_revealed_ratings

pytestmark = pytest.mark.django_db


def average(ratings):
    """Two places, half to even, as the API has always written an average."""
    if not ratings:
        return None
    return str((Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def listed(api, **params):
    response = api.get("/api/freelancers", {"page_size": 100, **params})
    assert response.status_code == 200, response.json()
    return {row["id"]: (row["rating_avg"], row["review_count"]) for row in response.json()["results"]}


def order(api, **params):
    return [row["id"] for row in api.get("/api/freelancers", {"page_size": 100, **params}).json()["results"]]


def rate(hirer, freelancer, rating, *, both=True):
    """A completed contract reviewed by its client (and by the freelancer too when `both`: revealed at once)."""
    contract = make_contract(hirer, freelancer, completed=True, title=f"Work for {freelancer.first_name}")
    review_create(contract=contract, reviewer=hirer, rating=rating)
    if both:
        review_create(contract=contract, reviewer=freelancer, rating=5)
    return contract


def visible_ratings(user):
    return list(Review.objects.filter(reviewee=user, visible_from__lte=timezone.now())
                .values_list("rating", flat=True))


def test_the_list_shows_the_average_of_the_visible_reviews(api_client, make_user):
    hirer = make_user("client")
    ana = make_user("freelancer", first_name="Ana")
    ben = make_user("freelancer", first_name="Ben")
    for rating in (5, 4, 4):  # 4.333...
        rate(hirer, ana, rating)
    rate(hirer, ben, 3)
    rate(hirer, ben, 4, both=False)  # hidden: only the client wrote, 14 days to go

    assert sorted(visible_ratings(ana)) == [4, 4, 5] and visible_ratings(ben) == [3]
    rows = listed(api_client)
    assert rows[ana.id] == (average([5, 4, 4]), 3) == ("4.33", 3)
    assert rows[ben.id] == (average([3]), 1) == ("3.00", 1)
    # The profile reads the same figures.
    body = api_client.get(f"/api/freelancers/{ana.id}").json()
    assert (body["rating_avg"], body["review_count"]) == ("4.33", 3)
    # And the client, reviewed by each freelancer, has their own.
    hirer.refresh_from_db()
    assert (hirer.rating_avg, hirer.rating_count) == (Decimal("5.00"), 4)


def test_an_average_on_a_half_cent_is_written_as_before(api_client, make_user):
    hirer = make_user("client")
    dev = make_user("freelancer")
    ratings = [5, 5, 4, 4, 4, 4, 4, 3]  # 33 / 8 = 4.125
    for rating in ratings:
        rate(hirer, dev, rating)
    assert listed(api_client)[dev.id] == (average(ratings), 8) == ("4.12", 8)
    body = api_client.get(f"/api/freelancers/{dev.id}").json()
    assert body["rating_avg"] == "4.12"


def test_a_hidden_review_counts_once_revealed_by_time(api_client, make_user):
    hirer = make_user("client")
    dev = make_user("freelancer")
    rate(hirer, dev, 5)
    contract = rate(hirer, dev, 1, both=False)
    assert listed(api_client)[dev.id] == ("5.00", 1)
    assert listed(api_client, min_rating="5") == {dev.id: ("5.00", 1)}

    revealed = contract.completed_at + datetime.timedelta(days=14, minutes=1)
    with time_machine.travel(contract.completed_at + datetime.timedelta(days=13, hours=23)):
        assert refresh_revealed_ratings() == {"ratings_refreshed": 0}
        assert listed(api_client)[dev.id] == ("5.00", 1)
    with time_machine.travel(revealed):
        # The list and the profile both count it once the hourly task ran.
        assert api_client.get(f"/api/freelancers/{dev.id}").json()["rating_avg"] == "5.00"
        assert refresh_revealed_ratings() == {"ratings_refreshed": 1}
        profile = api_client.get(f"/api/freelancers/{dev.id}").json()
        assert (profile["rating_avg"], profile["review_count"]) == (average([5, 1]), 2)
        assert sorted(visible_ratings(dev)) == [1, 5]
        assert listed(api_client)[dev.id] == (average([5, 1]), 2) == ("3.00", 2)
        assert listed(api_client, min_rating="5") == {}
        assert listed(api_client, min_rating="3") == {dev.id: ("3.00", 2)}
    with time_machine.travel(revealed + datetime.timedelta(hours=1)):
        refresh_revealed_ratings()  # a second run changes nothing
        assert listed(api_client)[dev.id] == ("3.00", 2)
    dev.refresh_from_db()
    assert (dev.rating_avg, dev.rating_count) == (Decimal("3.00"), 2)


def test_a_hidden_review_counts_once_the_other_party_writes(api_client, make_user):
    hirer = make_user("client")
    dev = make_user("freelancer")
    contract = rate(hirer, dev, 2, both=False)
    assert listed(api_client)[dev.id] == (None, 0)
    review_create(contract=contract, reviewer=dev, rating=4)
    assert listed(api_client)[dev.id] == ("2.00", 1)
    hirer.refresh_from_db()
    assert (hirer.rating_avg, hirer.rating_count) == (Decimal("4.00"), 1)


def test_best_rated_first_and_worst_first(api_client, make_user):
    hirer = make_user("client")
    ratings = {"top": [5, 5], "tied_more": [4, 5, 3], "tied_fewer": [4], "low": [2, 3], "none": []}
    people = {key: make_user("freelancer", first_name=key) for key in ratings}
    for key, given in ratings.items():
        for rating in given:
            rate(hirer, people[key], rating)
    # Expected: by average, then more reviews first, then the older account; unrated last.
    rated = sorted((key for key in ratings if ratings[key]),
                   key=lambda key: (-Decimal(average(ratings[key])), -len(ratings[key]), people[key].id))
    best_first = [people[key].id for key in [*rated, "none"]]
    assert best_first[:3] == [people["top"].id, people["tied_more"].id, people["tied_fewer"].id]
    assert order(api_client, ordering="-rating") == best_first
    assert order(api_client) == best_first
    # Worst first: unrated first, then by average, then the older account.
    worst = sorted((key for key in ratings if ratings[key]),
                   key=lambda key: (Decimal(average(ratings[key])), people[key].id))
    assert order(api_client, ordering="rating") == [people[key].id for key in ["none", *worst]]
    assert set(listed(api_client, min_rating="4")) == {people[key].id for key in ("top", "tied_more", "tied_fewer")}


def test_the_directory_page_orders_and_filters_by_the_kept_rating(client, make_user):
    hirer = make_user("client")
    good = make_user("freelancer", first_name="Goodrating", last_name="Person")
    fair = make_user("freelancer", first_name="Fairrating", last_name="Person")
    rate(hirer, fair, 3)
    rate(hirer, good, 5)
    page = client.get("/freelancers/", {"ordering": "-rating"}).content.decode()
    assert page.index("Goodrating") < page.index("Fairrating")
    page = client.get("/freelancers/", {"min_rating": "4"}).content.decode()
    assert "Goodrating" in page and "Fairrating" not in page


def test_sql_per_request_is_flat_in_page_size_when_ordered_by_rating(api_client, make_user):
    hirer = make_user("client")
    people = [make_user("freelancer") for _ in range(8)]
    for person, rating in zip(people[:3], (5, 4, 3), strict=True):
        rate(hirer, person, rating)
    counts = []
    for size in (2, 8):
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get("/api/freelancers", {"ordering": "-rating", "min_rating": "1", "page_size": size})
        assert body.status_code == 200 and body.json()["count"] == 3
        assert not [query for query in queries.captured_queries if "marketplace_review" in query["sql"]]
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_best_rated_first_reads_its_index(make_user):
    User.objects.bulk_create([
        User(email=f"person{n}@example.com", user_type="freelancer" if n % 4 else "client", first_name=f"P{n}",
             rating_avg=Decimal(n % 400 + 100) / 100 if n % 3 else None, rating_count=n % 7 if n % 3 else 0)
        for n in range(4000)
    ])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
    users = selectors.freelancer_search({}).only(*selectors.FREELANCER_LIST_FIELDS)
    plan = users[:20].explain()
    assert "user_freelancer_rating_idx" in plan and "Sort" not in plan.replace("Incremental Sort", ""), plan
    filtered = selectors.freelancer_search({"min_rating": "4.5"}).values_list("pk", flat=True)[:20].explain()
    assert "user_freelancer_rating_idx" in filtered, filtered


def test_the_migration_fills_in_existing_ratings(make_user):
    hirer = make_user("client")
    dev = make_user("freelancer")
    rate(hirer, dev, 4)
    rate(hirer, dev, 1)
    rate(hirer, dev, 2, both=False)  # hidden: not counted
    User.objects.update(rating_avg=None, rating_count=0)  # as before the migration
    migration = importlib.import_module("marketplace.migrations.0008_backfill_freelancer_ratings")
    migration.backfill(apps, None)
    dev.refresh_from_db()
    assert (dev.rating_avg, dev.rating_count) == (Decimal(average([4, 1])), 2)
    hirer.refresh_from_db()
    assert (hirer.rating_avg, hirer.rating_count) == (Decimal("5.00"), 2)


def test_a_removed_review_no_longer_counts(api_client, make_user):
    hirer = make_user("client")
    dev = make_user("freelancer")
    rate(hirer, dev, 5)
    rate(hirer, dev, 2)
    assert listed(api_client)[dev.id] == ("3.50", 2)
    Review.objects.filter(reviewee=dev, rating=2).delete()
    assert listed(api_client)[dev.id] == ("5.00", 1)
    Review.objects.filter(reviewee=dev).delete()
    assert listed(api_client)[dev.id] == (None, 0)


def test_the_profile_shows_the_kept_rating_without_reading_the_reviews(api_client, client, make_user):
    hirer = make_user("client")
    dev = make_user("freelancer", first_name="Keptrating")
    given = [5, 4, 4, 2]  # 3.75
    for rating in given:
        rate(hirer, dev, rating)
    rate(hirer, dev, 1, both=False)  # hidden for 14 days: counted nowhere yet
    want = average(given)
    dev.refresh_from_db()
    assert (str(dev.rating_avg), dev.rating_count) == (want, len(given)) == ("3.75", 4)

    with CaptureQueriesContext(connection) as queries:
        body = api_client.get(f"/api/freelancers/{dev.id}").json()
    assert (body["rating_avg"], body["review_count"]) == (want, len(given))
    # Read from the account: no query of the API's profile touches the reviews.
    assert not [query for query in queries.captured_queries if "marketplace_review" in query["sql"]]

    # The page shows the same figures, one decimal place, with the count; its list of reviews is the only
    # query that reads them, and nothing averages them.
    shown = Decimal(want).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/freelancers/{dev.id}/").content.decode()
    assert f'aria-label="{shown} out of 5"' in page and f"({len(given)} reviews)" in page
    assert not [query for query in queries.captured_queries if "AVG(" in query["sql"].upper()]

    # A rating newly written is on the profile at once (the service that writes it keeps the account's figures).
    rate(hirer, dev, 5)
    body = api_client.get(f"/api/freelancers/{dev.id}").json()
    assert (body["rating_avg"], body["review_count"]) == (average([*given, 5]), len(given) + 1) == ("4.00", 5)
    assert f"({len(given) + 1} reviews)" in client.get(f"/freelancers/{dev.id}/").content.decode()
