"""`GET /api/services` writes its rows from `values()` without a serializer per row: the JSON is exactly what
`ServiceSerializer` writes for the same services, and a page costs the same queries whatever its size."""

import json
from decimal import Decimal

import pytest
from django.test import RequestFactory
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from accounts.models import User
from gigs import selectors
from gigs.api.serializers import ServiceSerializer
from gigs.models import Service
from gigs.tests.factories import add_image, make_service

pytestmark = pytest.mark.django_db


def _as_serializer_writes(ids: list[int], path: str) -> list[dict]:
    services = selectors.with_list_data(Service.objects.filter(pk__in=ids))
    by_id = {service.pk: service for service in services}
    request = Request(RequestFactory().get(path))
    data = ServiceSerializer([by_id[pk] for pk in ids], many=True, context={"request": request}).data
    return json.loads(JSONRenderer().render(data))


@pytest.fixture
def shop(make_user):
    """Services that tell every column apart: a seller with an avatar and a level, a cover picture and none,
    skills out of alphabetical order, no category, no rating, a draft without a price."""
    ada = make_user("freelancer", first_name="Ada")
    bo = make_user("freelancer", first_name="Bo")
    User.objects.filter(pk=ada.pk).update(avatar="avatars/2026/12/ada.png", headline="Logo designer",
                                          company="Ada Studio", country="DE")
    pictured = make_service(ada, title="Logo design for bakeries", skills=["Zine layout", "Branding", "Logo design"])
    add_image(pictured)
    add_image(pictured, colour=(200, 10, 10))
    Service.objects.filter(pk=pictured.pk).update(rating_avg=Decimal("4.8"), rating_count=7, orders_completed=12)
    plain = make_service(bo, title="Logo design without a category", category="", skills=[])
    rated = make_service(bo, title="Django REST API development", category="web-development", skills=["Django"],
                         packages=[{"tier": "basic", "title": "Small API", "description": "Two endpoints",
                                    "price": Decimal("1234.5"), "delivery_days": 10, "revisions": 1}])
    Service.objects.filter(pk=rated.pk).update(rating_avg=Decimal("3.25"), rating_count=2, orders_completed=1)
    draft = make_service(ada, title="A logo draft nobody else sees", status="draft", packages=[])
    return {"ada": ada, "bo": bo, "pictured": pictured, "plain": plain, "rated": rated, "draft": draft}


def test_service_rows_are_what_the_serializer_writes(api_client, client_for, shop):
    ada = shop["ada"]
    for api, path in ((api_client, "/api/services"), (api_client, "/api/services?ordering=price"),
                      (api_client, "/api/services?ordering=rating"), (api_client, "/api/services?search=logo"),
                      (api_client, "/api/services?category=web-development"),
                      (client_for(ada), "/api/services?seller=me")):
        body = api.get(path).json()
        assert list(body) == ["count", "next", "previous", "results", "facets"], path
        results = body["results"]
        assert results, path
        assert results == _as_serializer_writes([row["id"] for row in results], path), path
    by_id = {row["id"]: row for row in api_client.get("/api/services").json()["results"]}
    pictured, plain, rated = by_id[shop["pictured"].pk], by_id[shop["plain"].pk], by_id[shop["rated"].pk]
    assert pictured["skills"] == ["Branding", "Logo design", "Zine layout"]
    assert pictured["cover"].startswith("/") and pictured["cover"].endswith(".png")
    assert pictured["seller"]["avatar"] == "http://testserver/media/avatars/2026/12/ada.png"
    assert pictured["seller"]["company"] == "Ada Studio" and pictured["seller_level"] == "level_2"
    assert pictured["rating_avg"] == "4.80" and pictured["price_from"] == "50.00"
    assert plain["category"] is None and plain["category_name"] is None and plain["skills"] == []
    assert plain["cover"] is None and plain["rating_avg"] is None and plain["seller"]["avatar"] is None
    assert plain["seller_level"] == "level_1"  # Bo completed an order on another of his services
    assert rated["price_from"] == "1234.50" and rated["fastest_delivery_days"] == 10
    assert rated["category"] == "web-development" and rated["seller_level"] == "level_1"
    draft = next(row for row in client_for(ada).get("/api/services?seller=me").json()["results"]
                 if row["id"] == shop["draft"].pk)
    assert draft["status"] == "draft" and draft["price_from"] is None and draft["published_at"] is None


def test_the_page_keeps_its_facets(api_client, shop):
    body = api_client.get("/api/services?search=logo").json()
    assert body["count"] == 2  # the draft is its seller's own
    categories = {facet["slug"]: facet["count"] for facet in body["facets"]["categories"]}
    assert categories["design-creative"] == 1 and categories["web-development"] == 0
    days = {facet["delivery_days"]: facet["count"] for facet in body["facets"]["delivery_days"]}
    assert days == {1: 0, 3: 2, 7: 2, 14: 2}
    prices = [(facet["min_price"], facet["max_price"], facet["count"]) for facet in body["facets"]["price"]]
    assert prices[1] == ("50.00", "99.99", 2) and prices[0] == (None, "49.99", 0)


def test_a_service_page_costs_the_same_queries_whatever_its_size(api_client, freelancer_user,
                                                                  django_assert_num_queries):
    for n in range(12):
        add_image(make_service(freelancer_user, title=f"Logo design number {n}", skills=["Logo design", f"S{n}"]))
    api_client.get("/api/services?page_size=2")  # the unfiltered count and facets are kept from here on
    # The page's ids, its rows (with seller, category, cover and the seller's orders) and their skills.
    with django_assert_num_queries(3):
        small = api_client.get("/api/services?page_size=2").json()["results"]
    with django_assert_num_queries(3):
        large = api_client.get("/api/services?page_size=12").json()["results"]
    assert len(small) == 2 and len(large) == 12
    assert all(row["cover"] and row["skills"][0] == "Logo design" for row in large)
