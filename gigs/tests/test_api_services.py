"""`/api/services`: sellers create and change their services with packages and extras in one go; everyone
browses the active ones with filters, orderings and facet counts."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gigs.models import Service, ServiceExtra, ServiceImage, ServicePackage, ServiceStatusChange
from gigs.services import MAX_IMAGES, service_set_status
from gigs.tests.factories import image_file, make_service, package

pytestmark = pytest.mark.django_db

BODY = {
    "title": "I will build a fast Django REST API",
    "description": "A documented, tested REST API in Django with authentication and an OpenAPI schema.",
    "category": "web-development",
    "skills": ["Django", "REST APIs"],
    "requirements": ["What should the API do?", "Do you have a database already?"],
    "packages": [
        {"tier": "basic", "title": "One endpoint", "description": "One resource with tests", "price": "120.00",
         "currency": "usd", "delivery_days": 5, "revisions": 1},
        {"tier": "standard", "title": "Five endpoints", "description": "Five resources, tests and docs",
         "price": "450.00", "currency": "usd", "delivery_days": 10, "revisions": 2},
        {"tier": "premium", "title": "Full API", "description": "Up to fifteen resources, CI and deployment",
         "price": "1200.00", "currency": "usd", "delivery_days": 21, "revisions": 5},
    ],
    "extras": [{"title": "Deployment to your server", "price": "80.00", "delivery_days": 2},
               {"title": "Extra fast delivery", "price": "60.00", "delivery_days": 0}],
    "status": "active",
}


def rows() -> tuple[int, int, int, int]:
    return (Service.objects.count(), ServicePackage.objects.count(), ServiceExtra.objects.count(),
            ServiceStatusChange.objects.count())


class TestCreate:
    def test_a_freelancer_creates_a_service_with_packages_and_extras(self, client_for, freelancer_user):
        response = client_for(freelancer_user).post("/api/services", BODY, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "active" and body["published_at"]
        assert body["seller"]["id"] == freelancer_user.pk
        assert body["category"] == "web-development" and sorted(body["skills"]) == ["Django", "REST APIs"]
        assert body["requirements"] == BODY["requirements"]
        # Money as decimal strings with their currency; the card's figures from the packages.
        assert body["price_from"] == "120.00" and body["currency"] == "usd"
        assert body["fastest_delivery_days"] == 5
        assert [(p["tier"], p["price"], p["currency"], p["delivery_days"], p["revisions"]) for p in body["packages"]] \
            == [("basic", "120.00", "usd", 5, 1), ("standard", "450.00", "usd", 10, 2),
                ("premium", "1200.00", "usd", 21, 5)]
        assert [(e["title"], e["price"], e["delivery_days"]) for e in body["extras"]] == [
            ("Deployment to your server", "80.00", 2), ("Extra fast delivery", "60.00", 0)]
        service = Service.objects.get(pk=body["id"])
        assert service.skills_text == "Django REST APIs"
        assert service.search_vector  # kept for full-text search
        assert list(service.status_changes.values_list("from_status", "to_status")) == [("", "draft"),
                                                                                         ("draft", "active")]

    def test_a_draft_needs_no_package_but_activating_does(self, client_for, freelancer_user):
        api = client_for(freelancer_user)
        draft = api.post("/api/services", {**BODY, "packages": [], "extras": [], "status": "draft"}, format="json")
        assert draft.status_code == 201 and draft.json()["price_from"] is None
        before = rows()
        refused = api.post("/api/services", {**BODY, "packages": []}, format="json")
        assert refused.status_code == 400
        assert "packages" in refused.json()["errors"]
        assert rows() == before
        activate = api.patch(f"/api/services/{draft.json()['id']}", {"status": "active"}, format="json")
        assert activate.status_code == 400 and Service.objects.get(pk=draft.json()["id"]).status == "draft"

    @pytest.mark.parametrize(("change", "field"), [
        ({"title": ""}, "title"),
        ({"packages": [{**BODY["packages"][0], "price": 120}]}, "packages"),  # a number, not a decimal string
        ({"packages": [{**BODY["packages"][0], "price": "1.00"}]}, "packages"),  # under the least price
        ({"packages": [{**BODY["packages"][0], "tier": "gold"}]}, "packages"),
        ({"packages": [BODY["packages"][0], {**BODY["packages"][1], "tier": "basic"}]}, "packages"),
        ({"packages": [BODY["packages"][0], {**BODY["packages"][1], "currency": "eur"}]}, "packages"),
        ({"packages": [{**BODY["packages"][0], "delivery_days": 0}]}, "packages"),
        ({"extras": [{"title": "Rush", "price": "-5.00"}]}, "extras"),
        ({"extras": [{"id": 999999, "title": "Not mine", "price": "5.00"}]}, "extras"),  # found mid-write
        ({"category": "underwater-basket-weaving"}, "category"),
    ])
    def test_invalid_input_is_a_400_naming_the_field_and_writes_nothing(self, client_for, freelancer_user, change,
                                                                         field):
        before = rows()
        response = client_for(freelancer_user).post("/api/services", {**BODY, **change}, format="json")
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["error_type"] == "validation_error" and field in body["errors"], body
        assert rows() == before

    def test_clients_and_visitors_cannot_sell(self, client_for, client_user, api_client):
        assert client_for(client_user).post("/api/services", BODY, format="json").status_code == 403
        assert api_client.post("/api/services", BODY, format="json").status_code == 401
        assert Service.objects.count() == 0


class TestChange:
    def test_put_replaces_the_packages_and_extras_keeping_the_tiers_rows(self, client_for, freelancer_user):
        api = client_for(freelancer_user)
        created = api.post("/api/services", BODY, format="json").json()
        basic_id = created["packages"][0]["id"]
        extra_id = created["extras"][0]["id"]
        body = {**BODY, "title": "I will build a Django REST API with GraphQL too",
                "packages": [{**BODY["packages"][0], "price": "150.00", "delivery_days": 4}, BODY["packages"][1]],
                "extras": [{"id": extra_id, "title": "Deployment and monitoring", "price": "95.00"}]}
        response = api.put(f"/api/services/{created['id']}", body, format="json")
        assert response.status_code == 200, response.json()
        changed = response.json()
        assert [(p["id"] == basic_id, p["tier"], p["price"]) for p in changed["packages"]] == [
            (True, "basic", "150.00"), (False, "standard", "450.00")]
        assert [(e["id"], e["title"], e["price"]) for e in changed["extras"]] == [
            (extra_id, "Deployment and monitoring", "95.00")]
        assert changed["price_from"] == "150.00" and changed["fastest_delivery_days"] == 4
        assert ServicePackage.objects.filter(service_id=created["id"]).count() == 2
        # The search follows the new title.
        found = api.get("/api/services", {"search": "graphql"}).json()
        assert [row["id"] for row in found["results"]] == [created["id"]]

    def test_an_active_service_keeps_a_package(self, client_for, freelancer_user):
        service = make_service(freelancer_user)
        response = client_for(freelancer_user).patch(f"/api/services/{service.pk}", {"packages": []}, format="json")
        assert response.status_code == 400
        assert ServicePackage.objects.filter(service=service).count() == 1

    def test_only_the_seller_changes_or_deletes_and_others_get_404(self, client_for, freelancer_user, make_user,
                                                                   client_user, api_client):
        service = make_service(freelancer_user, title="A logo by the original seller")
        other = make_user("freelancer")
        for caller in (client_for(other), client_for(client_user)):
            assert caller.patch(f"/api/services/{service.pk}", {"title": "Taken over by someone"},
                                format="json").status_code == 404
            assert caller.put(f"/api/services/{service.pk}", BODY, format="json").status_code == 404
            assert caller.delete(f"/api/services/{service.pk}").status_code == 404
            assert caller.post(f"/api/services/{service.pk}/images", {"images": [image_file()]},
                               format="multipart").status_code == 404
        assert api_client.patch(f"/api/services/{service.pk}", {"title": "Anonymous change"},
                                format="json").status_code == 401
        service.refresh_from_db()
        assert service.title == "A logo by the original seller" and service.images.count() == 0
        assert client_for(freelancer_user).delete(f"/api/services/{service.pk}").status_code == 204
        assert not Service.objects.filter(pk=service.pk).exists()

    def test_drafts_and_paused_services_are_the_sellers_own(self, client_for, freelancer_user, make_user, api_client):
        draft = make_service(freelancer_user, title="A draft logo service", status="draft")
        paused = make_service(freelancer_user, title="A paused logo service")
        mine = client_for(freelancer_user)
        assert mine.patch(f"/api/services/{paused.pk}", {"status": "paused"}, format="json").json()["status"] \
            == "paused"
        active = make_service(freelancer_user, title="An active logo service")
        other = client_for(make_user("freelancer"))
        for caller in (other, api_client):
            assert caller.get(f"/api/services/{draft.pk}").status_code == 404
            assert caller.get(f"/api/services/{paused.pk}").status_code == 404
            assert caller.get(f"/api/services/{active.pk}").status_code == 200
            listed = caller.get("/api/services", {"seller": freelancer_user.pk}).json()
            assert [row["id"] for row in listed["results"]] == [active.pk]
        assert mine.get(f"/api/services/{draft.pk}").status_code == 200
        own = mine.get("/api/services", {"seller": "me"}).json()
        assert {row["id"]: row["status"] for row in own["results"]} == {
            draft.pk: "draft", paused.pk: "paused", active.pk: "active"}
        assert api_client.get("/api/services", {"seller": "me"}).json()["count"] == 0


class TestImages:
    def test_images_are_re_encoded_and_capped(self, client_for, freelancer_user):
        service = make_service(freelancer_user)
        api = client_for(freelancer_user)
        response = api.post(f"/api/services/{service.pk}/images",
                            {"images": [image_file("one.png"), image_file("two.jpg", image_format="JPEG")]},
                            format="multipart")
        assert response.status_code == 201, response.json()
        stored = list(ServiceImage.objects.filter(service=service).order_by("position"))
        assert [image.position for image in stored] == [0, 1]
        with default_storage.open(stored[0].image.name) as file:
            assert Image.open(file).size == (300, 200)
        assert not stored[0].image.name.endswith("one.png")  # renamed on the way in
        detail = api.get(f"/api/services/{service.pk}").json()
        assert [image["url"] for image in detail["images"]] == [image.image.url for image in stored]
        assert api.get("/api/services").json()["results"][0]["cover"] == stored[0].image.url

        more = [image_file(f"{n}.png") for n in range(MAX_IMAGES - 1)]
        assert api.post(f"/api/services/{service.pk}/images", {"images": more}, format="multipart").status_code == 400
        assert ServiceImage.objects.filter(service=service).count() == 2

    def test_a_file_that_is_not_an_image_is_refused_with_nothing_stored(self, client_for, freelancer_user):
        service = make_service(freelancer_user)
        fake = SimpleUploadedFile("logo.png", b"#!/bin/sh\necho not a picture\n", content_type="image/png")
        response = client_for(freelancer_user).post(f"/api/services/{service.pk}/images",
                                                    {"images": [image_file(), fake]}, format="multipart")
        assert response.status_code == 400 and "images" in response.json()["errors"]
        assert ServiceImage.objects.filter(service=service).count() == 0


@pytest.fixture
def catalogue(make_user):
    """Six services of two sellers, with prices, delivery times, categories and ratings chosen to tell the
    filters and orderings apart, plus a draft and a paused one that no filter may show."""
    ada, bo = make_user("freelancer", first_name="Ada"), make_user("freelancer", first_name="Bo")
    specs = [
        (ada, "Logo design for start-ups", "design-creative", ["Logo design"], [("basic", "30.00", 1)], "4.90"),
        (ada, "Brand identity with a style guide", "design-creative", ["Logo design", "Branding"],
         [("basic", "150.00", 7), ("premium", "600.00", 14)], "4.20"),
        (bo, "Django REST API development", "web-development", ["Django"], [("basic", "300.00", 10)], None),
        (bo, "Landing page in plain HTML", "web-development", ["HTML"], [("basic", "75.00", 3)], "3.50"),
        (bo, "Mobile app prototype in Figma", "mobile-development", ["Figma"], [("basic", "520.00", 14)], "5.00"),
        (ada, "Translation of your website", "writing-translation", [], [("basic", "49.99", 2)], None),
    ]
    made = []
    for seller, title, category, skills, packs, rating in specs:
        service = make_service(seller, title=title, category=category, skills=skills,
                               packages=[package(tier, price, days) for tier, price, days in packs])
        if rating:  # ratings come from order reviews; set here as the orders' reviews would leave them
            Service.objects.filter(pk=service.pk).update(rating_avg=Decimal(rating), rating_count=3)
        made.append(service)
    hidden = make_service(ada, title="Logo draft nobody sees", status="draft")
    paused = make_service(bo, title="Paused logo service")
    service_set_status(service=paused, to="paused", by=bo)
    Service.objects.filter(pk=hidden.pk).update(price_from=Decimal("30.00"))
    return {"ada": ada, "bo": bo, "services": made, "hidden": [hidden, paused]}


def ids(api, **params):
    return [row["id"] for row in api.get("/api/services", params).json()["results"]]


class TestBrowse:
    def test_filters_select_what_they_say(self, api_client, catalogue):
        logo, brand, api_service, landing, mobile, translation = (s.pk for s in catalogue["services"])
        assert set(ids(api_client, category="design-creative")) == {logo, brand}
        assert set(ids(api_client, skills="logo design")) == {logo, brand}
        assert set(ids(api_client, skills="django,html")) == {api_service, landing}
        assert set(ids(api_client, min_price="75")) == {brand, api_service, landing, mobile}
        assert set(ids(api_client, max_price="75")) == {logo, landing, translation}
        assert set(ids(api_client, min_price="50", max_price="200")) == {brand, landing}
        assert set(ids(api_client, delivery_days="3")) == {logo, landing, translation}
        assert set(ids(api_client, seller=catalogue["bo"].pk)) == {api_service, landing, mobile}
        assert ids(api_client, search="django") == [api_service]
        assert set(ids(api_client, search="logo")) == {logo, brand}
        assert ids(api_client, search="logo", category="web-development") == []
        assert api_client.get("/api/services", {"min_price": "NaN", "delivery_days": "soon"}).json()["count"] == 6

    def test_orderings(self, api_client, catalogue):
        logo, brand, api_service, landing, mobile, translation = (s.pk for s in catalogue["services"])
        assert ids(api_client) == [translation, mobile, landing, api_service, brand, logo]  # newest first
        assert ids(api_client, ordering="price") == [logo, translation, landing, brand, api_service, mobile]
        assert ids(api_client, ordering="-price") == [mobile, api_service, brand, landing, translation, logo]
        assert ids(api_client, ordering="rating") == [mobile, logo, brand, landing, translation, api_service]
        # Best match when searching: the title weighs more than the description.
        Service.objects.filter(pk=landing).update(description="No logo here, only a page.")
        from gigs.services import service_search_refresh

        service_search_refresh(Service.objects.get(pk=landing))
        assert ids(api_client, search="logo")[-1] == landing

    def test_the_page_keeps_its_shape_and_carries_facets(self, api_client, catalogue):
        body = api_client.get("/api/services", {"page_size": 2}).json()
        assert set(body) == {"count", "next", "previous", "results", "facets"}
        assert body["count"] == 6 and len(body["results"]) == 2 and body["next"]
        card = body["results"][0]
        assert card["price_from"] == "49.99" and card["currency"] == "usd" and "description" not in card
        assert card["seller_level"] == "new"

    def test_facets_count_each_choice_among_the_other_filters(self, api_client, catalogue):
        services = catalogue["services"]
        # Expected counts worked out from the fixture's own figures, not from the code under test.
        figures = [(s.category.slug, Decimal(s.packages.order_by("price").first().price),
                    min(p.delivery_days for p in s.packages.all())) for s in services]

        def expect(rows):
            categories = {}
            for slug, _, _ in rows:
                categories[slug] = categories.get(slug, 0) + 1
            return categories

        body = api_client.get("/api/services", {"category": "design-creative", "max_price": "200"}).json()
        assert body["count"] == 2
        facets = body["facets"]
        # Categories ignore the category filter, but keep the price filter.
        shown = {entry["slug"]: entry["count"] for entry in facets["categories"] if entry["count"]}
        assert shown == expect([row for row in figures if row[1] <= 200])
        # Delivery buckets keep both filters.
        chosen = [row for row in figures if row[0] == "design-creative" and row[1] <= 200]
        assert {e["delivery_days"]: e["count"] for e in facets["delivery_days"]} == {
            days: sum(1 for row in chosen if row[2] <= days) for days in (1, 3, 7, 14)}
        # Price ranges ignore the price filter, but keep the category.
        design = [row for row in figures if row[0] == "design-creative"]
        ranges = [(e["min_price"], e["max_price"], e["count"]) for e in facets["price"]]
        assert ranges == [
            (None, "49.99", sum(1 for row in design if row[1] <= Decimal("49.99"))),
            ("50.00", "99.99", sum(1 for row in design if 50 <= row[1] <= Decimal("99.99"))),
            ("100.00", "249.99", sum(1 for row in design if 100 <= row[1] <= Decimal("249.99"))),
            ("250.00", "499.99", sum(1 for row in design if 250 <= row[1] <= Decimal("499.99"))),
            ("500.00", None, sum(1 for row in design if row[1] >= 500)),
        ]
        # Following a facet's entry shows as many services as it said.
        for low, high, count in ranges:
            params = {"category": "design-creative", **({"min_price": low} if low else {}),
                      **({"max_price": high} if high else {})}
            assert api_client.get("/api/services", params).json()["count"] == count

    def test_unfiltered_facets_count_every_active_service(self, api_client, catalogue,
                                                          django_capture_on_commit_callbacks):
        facets = api_client.get("/api/services").json()["facets"]
        assert sum(entry["count"] for entry in facets["categories"]) == 6  # drafts and paused are not counted
        assert facets["delivery_days"][-1] == {"delivery_days": 14, "count": 6}
        # Kept between requests, but counted afresh once a service changes.
        with django_capture_on_commit_callbacks(execute=True):  # as when these changes commit
            make_service(catalogue["bo"], title="Another web service", category="web-development")
        with django_capture_on_commit_callbacks(execute=True):
            service_set_status(service=catalogue["services"][0], to="paused", by=catalogue["ada"])
        facets = api_client.get("/api/services").json()["facets"]
        counted = {entry["slug"]: entry["count"] for entry in facets["categories"] if entry["count"]}
        assert counted == {"design-creative": 1, "web-development": 3, "mobile-development": 1,
                           "writing-translation": 1}


def test_the_schema_lists_every_service_endpoint(api_client):
    schema = api_client.get("/api/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/services"]) >= {"get", "post"}
    assert set(paths["/api/services/{id}"]) >= {"get", "put", "patch", "delete"}
    assert "post" in paths["/api/services/{id}/images"]
    names = {parameter["name"] for parameter in paths["/api/services"]["get"]["parameters"]}
    assert names >= {"search", "category", "skills", "min_price", "max_price", "delivery_days", "seller", "ordering"}
    listed = paths["/api/services"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    listed = schema["components"]["schemas"][listed["$ref"].rsplit("/", 1)[-1]] if "$ref" in listed else listed
    assert {"count", "next", "previous", "results", "facets"} <= set(listed["properties"])
