"""The order pages through Django's test client against the Stripe emulator: the order form of a package, paying
by test card (good and declined), the order page with exactly the viewer's steps, delivering a file only the two
parties can open, revisions, acceptance with the seller's payout shown, and the orders list."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gigs.models import Order
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from payments.models import Payment
from tests.helpers.pages import assert_accessible_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]

GOOD_CARD = {"card-card_number": "4242 4242 4242 4242", "card-exp_month": "12", "card-exp_year": "2034",
             "card-cvc": "123"}


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def people(client_user, freelancer_user, make_user):
    stranger = make_user("client")
    return {"buyer": browser_for(client_user), "seller": browser_for(freelancer_user),
            "stranger": browser_for(stranger), "buyer_user": client_user, "seller_user": freelancer_user}


def test_ordering_a_package_with_an_extra_by_test_card(people):
    service = make_service(people["seller_user"])
    kit = service.extras.get(title="Social media kit")
    form = people["buyer"].get(f"/services/{service.pk}/order/?tier=premium")
    assert form.status_code == 200
    assert_accessible_page(form)
    text = text_of(form)
    assert "Premium package: Brand kit" in text and "300.00 USD" in text and "What is the business called?" in text

    placed = people["buyer"].post(f"/services/{service.pk}/order/?tier=premium", {
        "tier": "premium", "extras": [str(kit.pk)], "requirements": "Acme Bakery.", **GOOD_CARD}, follow=True)
    assert placed.status_code == 200
    order = Order.objects.get(buyer=people["buyer_user"])
    assert placed.redirect_chain[-1][0] == f"/orders/{order.pk}/"
    assert order.status == "in_progress" and order.total == Decimal("340.00")
    text = text_of(placed)
    assert "Paid: 340.00 USD is held in escrow" in text and "In progress" in text
    assert "Deliver the work" not in text  # the seller's step, not the buyer's
    assert_accessible_page(placed)


def test_a_declined_card_leaves_the_order_waiting_with_a_pay_form(people):
    service = make_service(people["seller_user"])
    response = people["buyer"].post(f"/services/{service.pk}/order/", {
        "tier": "basic", "requirements": "Acme.", **GOOD_CARD, "card-card_number": "4000 0000 0000 0341"},
        follow=True)
    order = Order.objects.get(buyer=people["buyer_user"])
    assert order.status == "pending_payment"
    text = text_of(response)
    assert "declined" in text.lower() and "Pay for this order" in text
    paid = people["buyer"].post(f"/orders/{order.pk}/pay/", GOOD_CARD, follow=True)
    order.refresh_from_db()
    assert order.status == "in_progress" and "Paid: 50.00 USD" in text_of(paid)


def test_missing_answers_are_asked_for_and_nothing_is_ordered(people):
    service = make_service(people["seller_user"])
    response = people["buyer"].post(f"/services/{service.pk}/order/", {"tier": "basic", "requirements": "",
                                                                        **GOOD_CARD})
    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_deliver_revise_accept_on_the_order_page(people, settings):
    order = place_order(people["buyer_user"], make_service(people["seller_user"]), tier="standard")
    page = f"/orders/{order.pk}/"
    seller_view = text_of(people["seller"].get(page))
    assert "Deliver the work" in seller_view and "Accept the delivery" not in seller_view
    assert "You receive 108.00 USD when the buyer accepts" in seller_view
    assert people["stranger"].get(page).status_code == 404

    people["seller"].post(f"{page}deliver/", {"note": "Concepts attached.",
                                             "files": [SimpleUploadedFile("concepts.txt", b"three concepts",
                                                                          "text/plain")]})
    order.refresh_from_db()
    assert order.status == "delivered"
    stored = order.deliveries.get().files.get()
    file_url = f"/orders/{order.pk}/files/{stored.pk}/"
    assert b"".join(people["buyer"].get(file_url).streaming_content) == b"three concepts"
    assert people["stranger"].get(file_url).status_code == 404

    buyer_view = people["buyer"].get(page)
    assert_accessible_page(buyer_view)
    text = text_of(buyer_view)
    assert "Accept the delivery" in text and "Ask for a revision (2 left)" in text and "concepts.txt" in text
    people["buyer"].post(f"{page}request-revision/", {"reason": "Warmer browns."})
    people["seller"].post(f"{page}deliver/", {"note": "Warmer now."})
    people["buyer"].post(f"{page}message/", {"text": "Lovely, thank you."})
    accepted = people["buyer"].post(f"{page}accept/", follow=True)
    assert "the seller is paid from escrow" in text_of(accepted)
    order.refresh_from_db()
    assert order.status == "completed"

    net = Decimal("120.00") * (100 - settings.PLATFORM_FEE_PERCENT) / 100
    seller_done = text_of(people["seller"].get(page))
    assert f"You were paid {net:.2f} USD" in seller_done
    assert Payment.objects.get(user=people["seller_user"], kind="release").amount == int(net * 100)
    timeline = seller_done[seller_done.index("Timeline"):]
    assert [kind for kind in ("Order placed", "Requirements", "Paid into escrow", "Delivered", "Revision requested",
                              "Message", "Accepted") if kind in timeline] == [
        "Order placed", "Requirements", "Paid into escrow", "Delivered", "Revision requested", "Message", "Accepted"]
    payments = text_of(people["seller"].get("/payments/"))
    assert "A logo for your business — Logo pack" in payments

    assert "Review your order with" in text_of(people["buyer"].get(page))
    reviewed = people["buyer"].post(f"{page}review/", {"rating": "5", "comment": "Spot on."}, follow=True)
    assert "your review is shown once you have both reviewed" in text_of(reviewed)
    assert "Review your order with" not in text_of(reviewed)


def test_the_orders_list_shows_both_roles(people, make_user):
    mine = place_order(people["buyer_user"], make_service(people["seller_user"]))
    their_service = make_service(make_user("freelancer"), title="Illustrations")
    other = place_order(make_user("client"), their_service)
    listed = people["buyer"].get("/orders/")
    assert_accessible_page(listed)
    text = text_of(listed)
    assert mine.title in text and other.title not in text
    seller_text = text_of(people["seller"].get("/orders/"))
    assert "Orders of my services" in seller_text and mine.title in seller_text


def test_open_orders_are_on_both_dashboards(people):
    order = place_order(people["buyer_user"], make_service(people["seller_user"]))
    for who in ("buyer", "seller"):
        text = text_of(people[who].get("/dashboard/"))
        assert "Open orders" in text and order.title in text


def test_a_three_d_secure_card_is_confirmed_from_the_order_page(people):
    service = make_service(people["seller_user"])
    placed = people["buyer"].post(f"/services/{service.pk}/order/", {
        "tier": "basic", "requirements": "Acme.", **GOOD_CARD, "card-card_number": "4000 0025 0000 3155"},
        follow=True)
    order = Order.objects.get(buyer=people["buyer_user"])
    assert order.status == "pending_payment"
    assert "Your bank asks you to confirm this payment" in text_of(placed)
    confirmed = people["buyer"].post(f"/orders/{order.pk}/pay/confirm/", follow=True)
    order.refresh_from_db()
    assert order.status == "in_progress" and "Paid: 50.00 USD" in text_of(confirmed)
