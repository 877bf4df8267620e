"""The service pages through Django's test client: browsing, a service's page, and the seller's forms."""

import re
from decimal import Decimal

import pytest

from gigs.models import Service, ServiceImage, ServicePackage
from gigs.tests.factories import add_image, image_file, make_service, package
from messaging.models import Chat
from tests.helpers.pages import assert_accessible_page

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    """The page's visible words, tags and repeated spaces removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html_of(response)).split())


def service_form(**overrides) -> dict:
    data = {
        "title": "I will write your product descriptions",
        "description": "Clear, friendly product descriptions that sell, checked for tone and search terms.",
        "category": "writing-translation",
        "skills": "Copywriting, SEO",
        "requirements": "What do you sell?\nWho buys it?",
        "basic_title": "Five products", "basic_description": "Five descriptions of 100 words",
        "basic_price": "40", "basic_delivery_days": "3", "basic_revisions": "1",
        "standard_title": "Twenty products", "standard_description": "Twenty descriptions of 150 words",
        "standard_price": "140.50", "standard_delivery_days": "7", "standard_revisions": "2",
        "premium_title": "Fifty products", "premium_description": "Fifty descriptions and a style guide",
        "premium_price": "320", "premium_delivery_days": "14", "premium_revisions": "3",
        "extra0_title": "Keyword research", "extra0_price": "25", "extra0_delivery_days": "1",
        "action": "publish",
    }
    return {**data, **overrides}


@pytest.fixture
def seller(make_user):
    return make_user("freelancer", first_name="Sara", last_name="Seller", headline="Copywriter")


class TestBrowse:
    def test_cards_show_the_active_services_with_their_figures_and_facets(self, client, seller, make_user):
        shown = make_service(seller, title="Logo design with three concepts",
                             packages=[package("basic", "45.00", 2), package("premium", "300.00", 10)])
        add_image(shown)
        make_service(seller, title="Draft service nobody browses", status="draft")
        response = client.get("/services/")
        assert response.status_code == 200
        assert_accessible_page(response)
        html, text = html_of(response), text_of(response)
        assert "Logo design with three concepts" in text and "Draft service nobody browses" not in text
        assert "From 45.00 USD" in text and "Delivery in 2 days" in text
        assert "New seller" in text and "Sara Seller" in text
        assert ServiceImage.objects.get(service=shown).image.url in html  # the card's picture
        assert ">SS<" in html  # the seller's initials stand in for a photo
        assert re.search(r"Design &amp; creative</a> <span class=\"count\">1</span>", html)
        assert "1 service" in text

    def test_search_and_filters_narrow_the_cards(self, client, seller):
        make_service(seller, title="Logo design with three concepts")
        make_service(seller, title="Django API for your shop", category="web-development",
                     packages=[package("basic", "400.00", 12)])
        text = text_of(client.get("/services/", {"search": "django"}))
        assert "Django API for your shop" in text and "Logo design" not in text
        text = text_of(client.get("/services/", {"max_price": "100"}))
        assert "Logo design" in text and "Django API" not in text
        text = text_of(client.get("/services/", {"delivery_days": "7", "ordering": "-price"}))
        assert "Logo design" in text and "Django API" not in text

    def test_the_query_count_does_not_grow_with_the_cards(self, client, seller):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for n in range(3):
            add_image(make_service(seller, title=f"Logo design number {n}"))
        client.get("/services/")  # the unfiltered facets are kept after the first page
        with CaptureQueriesContext(connection) as few:
            client.get("/services/", {"search": "logo"})
        for n in range(12):
            add_image(make_service(seller, title=f"Another logo design {n}"))
        with CaptureQueriesContext(connection) as many:
            response = client.get("/services/", {"search": "logo"})
        assert "15 services" in text_of(response)
        assert len(few) == len(many)


class TestServicePage:
    def test_packages_side_by_side_with_order_links_extras_and_the_seller(self, client, seller, client_user):
        service = make_service(seller, title="Product descriptions that sell",
                               packages=[package("basic", "40.00", 3), package("standard", "140.50", 7),
                                         package("premium", "320.00", 14)],
                               extras=[{"title": "Keyword research", "price": Decimal("25.00"), "delivery_days": 1}],
                               requirements="What do you sell?")
        client.force_login(client_user)
        response = client.get(f"/services/{service.pk}/")
        assert response.status_code == 200
        assert_accessible_page(response)
        html, text = html_of(response), text_of(response)
        table = html[html.index('class="table packages-table"'):html.index("</table>")]
        headers = re.findall(r'<th scope="col">([^<]+)</th>', table)
        assert headers == ["Basic", "Standard", "Premium"]
        prices = re.findall(r'<td class="price">([^<]+)</td>', table)
        assert prices == ["40.00 USD", "140.50 USD", "320.00 USD"]
        for tier in ("basic", "standard", "premium"):
            assert f'href="/services/{service.pk}/order/?tier={tier}"' in table
        assert "Keyword research" in text and "+25.00 USD" in text
        assert "What do you sell?" in text
        assert "Reviews from buyers" in text and "No reviews of this service yet." in text
        assert "Contact seller" in text and "Sara Seller" in text

    def test_contact_seller_opens_a_chat_with_the_seller(self, client, seller, client_user):
        service = make_service(seller)
        client.force_login(client_user)
        page = html_of(client.get(f"/services/{service.pk}/"))
        form = page[page.index('action="/messages/new/"'):]
        assert f'name="to" value="{seller.pk}"' in form[:form.index("</form>")]
        response = client.post("/messages/new/", {"to": seller.pk})
        chat = Chat.objects.get(client=client_user, freelancer=seller)
        assert response.status_code == 302 and response["Location"].endswith(f"/messages/{chat.pk}/")

    def test_only_clients_are_offered_to_contact_the_seller(self, client, seller, make_user):
        service = make_service(seller)
        assert "Log in to contact the seller" in text_of(client.get(f"/services/{service.pk}/"))
        client.force_login(make_user("freelancer"))  # a chat is between a client and a freelancer
        assert "Contact seller" not in text_of(client.get(f"/services/{service.pk}/"))

    def test_drafts_are_the_sellers_own_and_the_seller_sees_no_order_buttons(self, client, seller, make_user):
        draft = make_service(seller, title="Draft copywriting service", status="draft")
        assert client.get(f"/services/{draft.pk}/").status_code == 404
        client.force_login(make_user("client"))
        assert client.get(f"/services/{draft.pk}/").status_code == 404
        client.force_login(seller)
        response = client.get(f"/services/{draft.pk}/")
        assert response.status_code == 200
        assert "/order/?tier=" not in html_of(response) and "Activate service" in text_of(response)


class TestSellerForms:
    def test_only_freelancers_create_services(self, client, client_user):
        assert client.get("/services/new/").status_code == 302
        client.force_login(client_user)
        assert client.get("/services/new/").status_code == 403
        assert client.post("/services/new/", service_form()).status_code == 403
        assert Service.objects.count() == 0

    def test_a_freelancer_publishes_a_service_with_three_packages_an_extra_and_a_picture(self, client, seller):
        client.force_login(seller)
        page = client.get("/services/new/")
        assert page.status_code == 200
        assert_accessible_page(page)
        response = client.post("/services/new/", {**service_form(), "images": [image_file()]})
        service = Service.objects.get(seller=seller)
        assert response.status_code == 302 and response["Location"] == f"/services/{service.pk}/"
        assert service.status == "active" and service.price_from == Decimal("40.00")
        assert service.fastest_delivery_days == 3 and service.requirements == "What do you sell?\nWho buys it?"
        assert list(service.packages.order_by("price").values_list("tier", "price")) == [
            ("basic", Decimal("40.00")), ("standard", Decimal("140.50")), ("premium", Decimal("320.00"))]
        assert list(service.extras.values_list("title", "price", "delivery_days")) == [
            ("Keyword research", Decimal("25.00"), 1)]
        assert service.images.count() == 1

    def test_a_half_filled_package_is_shown_beside_its_fields_and_nothing_is_saved(self, client, seller):
        client.force_login(seller)
        response = client.post("/services/new/", service_form(premium_price="", premium_delivery_days=""))
        assert response.status_code == 400
        assert_accessible_page(response)
        assert "Fill this in to offer the Premium package" in text_of(response)
        assert Service.objects.count() == 0 and ServicePackage.objects.count() == 0

    def test_a_picture_that_is_not_one_saves_nothing(self, client, seller):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(seller)
        fake = SimpleUploadedFile("cover.jpg", b"not an image at all", content_type="image/jpeg")
        response = client.post("/services/new/", {**service_form(), "images": [fake]})
        assert response.status_code == 400
        assert "Upload a JPEG, PNG, WebP or GIF image." in text_of(response)
        assert Service.objects.count() == 0

    def test_the_seller_edits_and_others_get_404(self, client, seller, make_user):
        service = make_service(seller, title="Product descriptions that sell")
        other = make_user("freelancer")
        client.force_login(other)
        assert client.get(f"/services/{service.pk}/edit/").status_code == 404
        assert client.post(f"/services/{service.pk}/edit/", service_form(title="Taken over by another")) \
            .status_code == 404
        assert client.post(f"/services/{service.pk}/status/", {"action": "pause"}).status_code == 404
        assert client.post(f"/services/{service.pk}/delete/").status_code == 404
        service.refresh_from_db()
        assert service.title == "Product descriptions that sell" and service.status == "active"

        client.force_login(seller)
        page = client.get(f"/services/{service.pk}/edit/")
        assert page.status_code == 200
        assert_accessible_page(page)
        assert 'value="Basic logo"' in html_of(page)  # the package's current name, ready to change
        response = client.post(f"/services/{service.pk}/edit/", service_form(
            action="save", premium_title="", premium_description="", premium_price="", premium_delivery_days=""))
        assert response.status_code == 302
        service.refresh_from_db()
        assert service.title == "I will write your product descriptions" and service.price_from == Decimal("40.00")
        assert sorted(service.packages.values_list("tier", flat=True)) == ["basic", "standard"]

    def test_my_services_lists_every_status_with_pause_and_activate(self, client, seller):
        live = make_service(seller, title="Live copywriting service")
        draft = make_service(seller, title="Draft copywriting service", status="draft")
        assert client.get("/services/?seller=me").status_code == 302
        client.force_login(seller)
        response = client.get("/services/", {"seller": "me"})
        assert_accessible_page(response)
        text = text_of(response)
        assert "My services" in text and "Live copywriting service" in text and "Draft copywriting service" in text
        assert "Pause Live copywriting service" in text and "Activate Draft copywriting service" in text

        paused = client.post(f"/services/{live.pk}/status/", {"action": "pause", "next": "mine"})
        assert paused.status_code == 302 and paused["Location"] == "/services/?seller=me"
        live.refresh_from_db()
        assert live.status == "paused"
        browse = client.get("/services/")
        assert "is paused: buyers no longer find it" in text_of(browse)
        assert f'href="/services/{live.pk}/"' not in html_of(browse)
        client.post(f"/services/{live.pk}/status/", {"action": "activate"})
        live.refresh_from_db()
        assert live.status == "active"

        draft.packages.all().delete()  # a draft without packages cannot go live
        refused = client.post(f"/services/{draft.pk}/status/", {"action": "activate"}, follow=True)
        assert "Add at least one package before activating the service." in text_of(refused)
        draft.refresh_from_db()
        assert draft.status == "draft"

    def test_the_seller_removes_a_picture_and_deletes_the_service(self, client, seller):
        service = make_service(seller)
        add_image(service)
        image = service.images.get()
        client.force_login(seller)
        assert client.post(f"/services/{service.pk}/images/{image.pk}/delete/").status_code == 302
        assert not ServiceImage.objects.filter(pk=image.pk).exists()
        assert client.post(f"/services/{service.pk}/delete/").status_code == 302
        assert not Service.objects.filter(pk=service.pk).exists()

    def test_the_header_links_to_services(self, client):
        html = html_of(client.get("/"))
        assert '<a href="/services/"' in html
