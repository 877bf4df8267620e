"""An order dispute's thread and its resolution, through the pages and the admin against the Stripe emulator: the
buyer and the seller post messages with evidence files that only they and staff can open, the other party is told,
an outsider gets 404 and changes nothing, staff find the dispute in their list and resolve it by a split (on the
order page or in the admin), each side receiving its share worked out here from PLATFORM_FEE_PERCENT."""

import html as html_module
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.models import OutboundEmail
from gigs import orders
from gigs.models import OrderDispute, OrderDisputeMessage
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from messaging.models import Notification
from payments.models import Payment
from tests.helpers.money import assert_ledger_balanced
from tests.helpers.pages import assert_accessible_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def fee_of(gross: int, percent: int) -> int:
    """The platform's fee on `gross` cents, rounded half up to the cent."""
    return int((Decimal(gross) * Decimal(percent) / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@pytest.fixture
def disputed(client_user, freelancer_user, make_user, staff_user):
    """A premium order (300.00 USD) delivered and disputed by its buyer."""
    order = place_order(client_user, make_service(freelancer_user), tier="premium")
    orders.order_deliver(order=order, by=freelancer_user, note="Done.", files=[])
    dispute = orders.order_dispute_open(order=order, by=client_user, reason="Half of the kit is missing.")
    return {"order": order, "dispute": dispute, "buyer_user": client_user, "seller_user": freelancer_user,
            "buyer": browser_for(client_user), "seller": browser_for(freelancer_user),
            "staff": browser_for(staff_user), "stranger": browser_for(make_user("client"))}


def test_both_parties_answer_with_evidence_and_the_other_is_told(disputed):
    order, buyer, seller = disputed["order"], disputed["buyer_user"], disputed["seller_user"]
    page = disputed["buyer"].get(f"/orders/{order.pk}/")
    assert page.status_code == 200
    assert_accessible_page(page)
    assert "Half of the kit is missing." in text_of(page) and "Answer and add evidence" in text_of(page)

    sent = disputed["buyer"].post(f"/orders/{order.pk}/dispute-message/", {
        "body": "Here is the brief: it asks for the palette.",
        "evidence": SimpleUploadedFile("brief.png", PNG, content_type="image/png")}, follow=True)
    assert sent.status_code == 200
    assert "Your message is added to the dispute's thread." in text_of(sent)
    assert "Here is the brief: it asks for the palette." in text_of(sent) and "Evidence: brief.png" in text_of(sent)
    told = Notification.objects.get(user=seller, title__contains="answered in the dispute")
    assert buyer.get_full_name() in told.title
    assert OutboundEmail.objects.filter(to_email=seller.email, subject__contains="answered in the dispute").exists()
    assert not Notification.objects.filter(user=buyer, title__contains="answered in the dispute").exists()

    answered = disputed["seller"].post(f"/orders/{order.pk}/dispute-message/", {
        "body": "The palette was delivered as a text file.",
        "evidence": SimpleUploadedFile("palette.txt", b"#6b4423 #c8a27a\n", content_type="text/plain")},
        follow=True)
    assert answered.status_code == 200
    text = text_of(answered)
    assert "Here is the brief" in text and "The palette was delivered as a text file." in text
    assert Notification.objects.filter(user=buyer, title__contains="answered in the dispute").count() == 1

    first, second = OrderDisputeMessage.objects.filter(dispute__order=order).order_by("id")
    assert (first.author_role, second.author_role) == ("client", "freelancer")
    for browser in (disputed["buyer"], disputed["seller"], disputed["staff"]):
        got = browser.get(f"/orders/{order.pk}/dispute-files/{first.pk}/")
        assert got.status_code in (200, 302)
        if got.status_code == 200:
            assert b"".join(got.streaming_content if got.streaming else [got.content]) == PNG
    staff_page = disputed["staff"].get(f"/orders/{order.pk}/")
    assert "The palette was delivered as a text file." in text_of(staff_page)
    assert "Add a note for both parties" in text_of(staff_page)


def test_a_refused_file_or_an_empty_message_adds_nothing(disputed):
    order = disputed["order"]
    refused = disputed["seller"].post(f"/orders/{order.pk}/dispute-message/", {
        "body": "See this.", "evidence": SimpleUploadedFile("tool.exe", b"MZ\x90\x00binary", content_type="image/png")},
        follow=True)
    assert refused.status_code == 200
    empty = disputed["seller"].post(f"/orders/{order.pk}/dispute-message/", {"body": "  "}, follow=True)
    assert "Write an answer or add a file." in text_of(empty)
    assert not OrderDisputeMessage.objects.exists()


def test_an_outsider_gets_404_and_nothing_changes(disputed):
    order = disputed["order"]
    disputed["buyer"].post(f"/orders/{order.pk}/dispute-message/", {
        "body": "Evidence.", "evidence": SimpleUploadedFile("brief.png", PNG, content_type="image/png")})
    message = OrderDisputeMessage.objects.get()
    notifications, emails = Notification.objects.count(), OutboundEmail.objects.count()
    stranger = disputed["stranger"]
    assert stranger.get(f"/orders/{order.pk}/").status_code == 404
    assert stranger.get(f"/orders/{order.pk}/dispute-files/{message.pk}/").status_code == 404
    assert stranger.post(f"/orders/{order.pk}/dispute-message/", {
        "body": "I saw it too.", "evidence": SimpleUploadedFile("x.png", PNG, content_type="image/png")}
    ).status_code == 404
    assert stranger.get("/staff/disputes/orders/").status_code == 404
    assert list(OrderDisputeMessage.objects.values_list("pk", flat=True)) == [message.pk]
    assert (Notification.objects.count(), OutboundEmail.objects.count()) == (notifications, emails)
    assert OrderDispute.objects.get().status == "open"


def test_staff_find_the_dispute_and_split_it_on_the_order_page(disputed, settings):
    order, staff = disputed["order"], disputed["staff"]
    listed = staff.get("/staff/disputes/")
    assert "Order disputes" in text_of(listed)
    orders_list = staff.get("/staff/disputes/orders/")
    assert orders_list.status_code == 200
    assert_accessible_page(orders_list)
    assert order.title in text_of(orders_list) and "300.00 USD" in text_of(orders_list)
    assert f'href="/orders/{order.pk}/#dispute-thread"' in orders_list.content.decode()

    note = staff.post(f"/orders/{order.pk}/dispute-message/", {"body": "We are looking at both files."},
                      follow=True)
    assert "We are looking at both files." in text_of(note)
    for party in (disputed["buyer_user"], disputed["seller_user"]):
        assert Notification.objects.filter(user=party, title__contains="Our staff answered").count() == 1

    resolved = staff.post(f"/orders/{order.pk}/resolve/", {"resolution": "split", "freelancer_amount": "180.00",
                                                           "note": "Most of it was delivered."}, follow=True)
    assert "Dispute resolved." in text_of(resolved)
    part, total = cents("180.00"), cents("300.00")
    assert Payment.objects.get(kind="refund", order_id=order.pk).amount == total - part
    assert Payment.objects.get(kind="release", order_id=order.pk).amount == (
        part - fee_of(part, settings.PLATFORM_FEE_PERCENT))
    assert_ledger_balanced()
    page = disputed["buyer"].get(f"/orders/{order.pk}/")
    assert "Split between both" in text_of(page) and "Answer and add evidence" not in text_of(page)

    late = disputed["buyer"].post(f"/orders/{order.pk}/dispute-message/", {"body": "One more thing."}, follow=True)
    assert "This order has no open dispute." in text_of(late)
    with pytest.raises(Exception) as refused:
        from gigs.order_disputes import order_dispute_message_add
        order_dispute_message_add(dispute=OrderDispute.objects.get(), by=disputed["buyer_user"], body="Again.")
    assert getattr(refused.value, "status_code", None) == 409
    assert OrderDisputeMessage.objects.count() == 1
    assert list(staff.get("/staff/disputes/orders/?status=resolved").context["disputes"]) == [
        OrderDispute.objects.get()]


def test_staff_split_an_order_dispute_in_the_admin(disputed, settings):
    order, dispute, staff = disputed["order"], disputed["dispute"], disputed["staff"]
    asked = staff.post("/admin/gigs/orderdispute/", {"action": "resolve_split", "_selected_action": [dispute.pk]})
    assert asked.status_code == 200
    assert "holds" in text_of(asked) and "300.00" in text_of(asked) and "Seller's part" in text_of(asked)
    assert not Payment.objects.filter(kind="refund", order_id=order.pk).exists()

    done = staff.post("/admin/gigs/orderdispute/", {"action": "resolve_split", "_selected_action": [dispute.pk],
                                                    "apply": "yes", "freelancer_amount": "75.50", "note": ""},
                      follow=True)
    assert done.status_code == 200
    assert "Dispute split: 75.50 to the seller, the rest refunded." in text_of(done)
    dispute.refresh_from_db()
    assert dispute.status == "resolved" and dispute.freelancer_amount == Decimal("75.50")
    part, total = cents("75.50"), cents("300.00")
    assert Payment.objects.get(kind="refund", order_id=order.pk).amount == total - part
    assert Payment.objects.get(kind="release", order_id=order.pk).amount == (
        part - fee_of(part, settings.PLATFORM_FEE_PERCENT))
    assert_ledger_balanced()


def test_the_api_lists_order_disputes_and_takes_messages_from_the_parties_only(disputed, client_for, staff_user,
                                                                               make_user):
    order, buyer, seller = disputed["order"], disputed["buyer_user"], disputed["seller_user"]
    outsider = client_for(make_user("freelancer"))
    answered = client_for(seller).post(f"/api/orders/{order.pk}/dispute/messages", {
        "body": "Started on time.", "evidence": SimpleUploadedFile("log.txt", b"day 1: sketches\n")},
        format="multipart")
    assert answered.status_code == 201, answered.json()
    assert answered.json()["author_role"] == "freelancer" and answered.json()["original_name"] == "log.txt"
    assert Notification.objects.filter(user=buyer, title__contains="answered in the dispute").count() == 1

    refused = outsider.post(f"/api/orders/{order.pk}/dispute/messages", {"body": "Me too."}, format="json")
    assert refused.status_code == 404
    assert OrderDisputeMessage.objects.count() == 1

    listed = client_for(staff_user).get("/api/order-disputes?status=open")
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert row["order_id"] == order.pk and row["status"] == "open"
    assert row["page_url"] == f"/orders/{order.pk}/#dispute-thread"
    assert row["resolve_url"] == f"/api/orders/{order.pk}/resolve"
    assert [r["id"] for r in client_for(buyer).get("/api/order-disputes").json()["results"]] == [row["id"]]
    assert outsider.get("/api/order-disputes").json()["results"] == []
