"""Staff resolve an order's dispute from the admin and leave the note empty: nothing translated is stored, and
the German buyer and the English seller each read what was decided in their own language, on the order page,
in the API and in their notification. The order's payments are described in their owner's language."""

import pytest

from gigs import orders
from gigs.models import OrderDispute
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from messaging.models import Notification
from payments.models import Payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]

NBSP = "\u00a0"


@pytest.fixture
def parties(make_user):
    buyer = make_user("client", language="de", first_name="Jana")
    seller = make_user("freelancer", language="en", first_name="Sam")
    return buyer, seller


def disputed_order(buyer, seller):
    order = place_order(buyer, make_service(seller), tier="standard")  # 120.00 USD
    dispute = orders.order_dispute_open(order=order, by=buyer, reason="Nothing delivered.")
    return order, dispute


def resolved_note(user) -> str:
    return Notification.objects.get(user=user, kind="dispute_resolved").message


def test_a_release_without_a_note_reads_in_each_partys_language(client, staff_user, parties, client_for):
    buyer, seller = parties
    order, dispute = disputed_order(buyer, seller)
    client.force_login(staff_user)
    client.post("/admin/gigs/orderdispute/", {"action": "resolve_release", "_selected_action": [dispute.pk]})
    dispute.refresh_from_db()
    assert dispute.status == "resolved" and dispute.resolution == "release"
    assert dispute.resolution_note == ""  # no one language is stored for two readers

    german, english = "Von unserem Team an den Verkäufer freigegeben.", "Released to the seller by our team."
    assert resolved_note(buyer) == german
    assert resolved_note(seller) == english

    for user, expected, other in ((buyer, german, english), (seller, english, german)):
        client.force_login(user)
        page = client.get(f"/orders/{order.pk}/").content.decode()
        assert expected in page and other not in page
        api = client_for(user).get(f"/api/orders/{order.pk}")
        assert api.status_code == 200
        assert api.json()["disputes"][0]["resolution_note"] == expected

    # The seller's release is described in English, the buyer's funding in German.
    assert Payment.objects.get(user=seller, kind="release").description == f"Order #{order.pk}: {order.title}"
    assert Payment.objects.get(user=buyer, kind="funding").description == (
        f"Bestellung Nr. {order.pk}: {order.title}")


def test_a_split_without_a_note_shows_the_sellers_part_in_each_language(client, staff_user, parties):
    buyer, seller = parties
    order, dispute = disputed_order(buyer, seller)
    client.force_login(staff_user)
    done = client.post("/admin/gigs/orderdispute/", {"action": "resolve_split", "_selected_action": [dispute.pk],
                                                     "apply": "yes", "freelancer_amount": "40.00", "note": ""})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.resolution, dispute.resolution_note) == ("split", "")

    assert resolved_note(buyer) == f"Von unserem Team aufgeteilt: 40,00{NBSP}$ an den Verkäufer."
    assert resolved_note(seller) == "Split by our team: 40.00 USD to the seller."
    client.force_login(buyer)
    assert f"Von unserem Team aufgeteilt: 40,00{NBSP}$ an den Verkäufer." in client.get(
        f"/orders/{order.pk}/").content.decode()

    # The buyer's refund of the other 80.00 is described in German.
    refund = Payment.objects.get(user=buyer, kind="refund")
    assert refund.amount == 8000
    assert refund.description == f"Erstattung des Käuferanteils der Bestellung Nr. {order.pk}: {order.title}"
    assert Payment.objects.get(user=seller, kind="fee").description.startswith("Platform fee (")


def test_a_note_staff_wrote_is_shown_as_written_to_both(client, staff_user, parties):
    buyer, seller = parties
    order, dispute = disputed_order(buyer, seller)
    client.force_login(staff_user)
    client.post("/admin/gigs/orderdispute/", {"action": "resolve_split", "_selected_action": [dispute.pk],
                                              "apply": "yes", "freelancer_amount": "40.00",
                                              "note": "Half the logo was delivered late."})
    assert OrderDispute.objects.get(pk=dispute.pk).resolution_note == "Half the logo was delivered late."
    assert resolved_note(buyer) == resolved_note(seller) == "Half the logo was delivered late."
    for user in (buyer, seller):
        client.force_login(user)
        assert "Half the logo was delivered late." in client.get(f"/orders/{order.pk}/").content.decode()
