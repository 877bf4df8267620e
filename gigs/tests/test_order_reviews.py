"""Reviews of orders through `POST /api/reviews` `{order_id, rating, comment}`: only the two parties of a completed
order, once each, hidden until both have written (or 14 days passed), then counted into the seller's rating and
the service's, and shown with the service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from gigs import orders
from gigs.models import Service
from gigs.order_reviews import service_ratings_refresh_revealed
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from marketplace.models import Review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]


def completed_order(buyer, service):
    order = place_order(buyer, service, tier="basic")
    orders.order_deliver(order=order, by=service.seller, note="Done.", files=[])
    orders.order_accept(order=order, by=buyer)
    return order


def review(api, order_id, rating, comment="") -> object:
    return api.post("/api/reviews", {"order_id": order_id, "rating": rating, "comment": comment}, format="json")


def test_double_blind_reviews_count_into_the_seller_and_the_service(client_user, freelancer_user, make_user,
                                                                    client_for):
    service = make_service(freelancer_user)
    order = completed_order(client_user, service)
    buyer_api, seller_api = client_for(client_user), client_for(freelancer_user)
    public = client_for(make_user("client"))

    first = review(buyer_api, order.pk, 4, "Lovely logo, a little late.")
    assert first.status_code == 201, first.json()
    assert first.json()["order_id"] == order.pk and first.json()["revealed"] is False
    # Hidden from everyone but its author until the seller has written theirs.
    assert not [r for r in public.get(f"/api/reviews?user={freelancer_user.pk}").json()["results"]]
    service.refresh_from_db()
    assert service.rating_count == 0 and service.rating_avg is None
    assert review(buyer_api, order.pk, 5).status_code == 409  # once each

    assert review(seller_api, order.pk, 5, "Clear brief, quick answers.").status_code == 201
    shown = public.get(f"/api/reviews?user={freelancer_user.pk}").json()["results"]
    assert [(r["rating"], r["comment"]) for r in shown] == [(4, "Lovely logo, a little late.")]
    service.refresh_from_db()
    assert service.rating_count == 1 and service.rating_avg == Decimal("4.00")
    seller = public.get(f"/api/freelancers/{freelancer_user.pk}").json()
    assert Decimal(seller["rating_avg"]) == Decimal("4.00")

    html = render_to_string("gigs/_service_reviews.html", {"service": service})
    assert "Lovely logo, a little late." in html and "Clear brief" not in html  # the seller's review is of the buyer


def test_reviews_wait_for_completion_and_are_for_the_parties(client_user, freelancer_user, make_user, client_for):
    service = make_service(freelancer_user)
    open_order = place_order(client_user, service, tier="basic")
    assert review(client_for(client_user), open_order.pk, 5).status_code == 409
    done = completed_order(client_user, service)
    stranger = review(client_for(make_user("client")), done.pk, 1)
    assert stranger.status_code == 400 and stranger.json()["errors"]["order_id"]
    assert Review.objects.count() == 0


def test_a_review_left_alone_is_revealed_after_fourteen_days(client_user, freelancer_user, client_for):
    service = make_service(freelancer_user)
    order = completed_order(client_user, service)
    assert review(client_for(client_user), order.pk, 3).status_code == 201
    later = timezone.now() + timedelta(days=14, minutes=1)
    assert service_ratings_refresh_revealed(later) == 1
    assert Service.objects.get(pk=service.pk).rating_count == 1
