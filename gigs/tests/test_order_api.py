"""Ordering a service over the API, against the Stripe emulator: placed and paid into escrow, delivered, revised,
accepted (the seller paid less the fee), cancelled with a refund, disputed and resolved, completed automatically,
and finished by the reconciler after a crash. Amounts are worked out here from the prices, not read back."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from core.models import OutboundEmail
from gigs import orders
from gigs.models import Order, OrderDispute, OrderEvent, ServicePackage
from gigs.tests.order_factories import make_service, place_order, stripe_settings  # noqa: F401
from messaging.models import Notification
from payments.models import LedgerAccount, LedgerTransaction, Payment, PaymentOperation
from payments.operations import operations_reconcile
from tests.helpers.money import DECLINED_CARD, assert_ledger_balanced, balance, card, emulator_available

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def fee_of(gross: int, percent: int) -> int:
    """The platform's fee on `gross` cents, rounded half up to the cent, as the product's rules say."""
    return int((Decimal(gross) * Decimal(percent) / 100).quantize(Decimal("1"), rounding="ROUND_HALF_UP"))


def escrow_of_order(order_id: int) -> int:
    """What the ledger holds in escrow for an order (credits are negative)."""
    ids = LedgerTransaction.objects.filter(order_id=order_id).values_list("pk", flat=True)
    return -balance(LedgerAccount.ESCROW, transaction_id__in=list(ids))


@pytest.fixture
def parties(client_user, freelancer_user, make_user, client_for):
    stranger = make_user("client")
    return {"buyer": client_user, "seller": freelancer_user, "stranger": stranger,
            "buyer_api": client_for(client_user), "seller_api": client_for(freelancer_user),
            "stranger_api": client_for(stranger)}


def test_order_deliver_revise_accept_pays_the_seller_less_the_fee(parties, settings):
    buyer_api, seller_api = parties["buyer_api"], parties["seller_api"]
    service = make_service(parties["seller"])
    kit = service.extras.get(title="Social media kit")
    before_at_stripe = emulator_available()

    response = buyer_api.post("/api/orders", {"service_id": service.pk, "tier": "standard", "extras": [kit.pk],
                                              "requirements": "Acme Bakery; warm browns.",
                                              "payment_method": "pm_card_visa"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    total = cents("120.00") + cents("40.00")
    assert body["status"] == "in_progress" and body["total"] == "160.00" and body["currency"] == "usd"
    assert body["package"] == {"tier": "standard", "title": "Logo pack", "description": "Three concepts, source files",
                               "price": "120.00", "delivery_days": 5, "revisions": 2}
    assert [extra["title"] for extra in body["extras"]] == ["Social media kit"]
    order = Order.objects.get(pk=body["id"])
    assert order.due_at == order.paid_at + timedelta(days=5 + 2)
    assert emulator_available() - before_at_stripe == total
    assert escrow_of_order(order.pk) == total
    assert Notification.objects.filter(user=parties["seller"], data__order_id=order.pk).exists()
    assert OutboundEmail.objects.filter(to_email=parties["seller"].email, template="order_update").exists()

    # The seller changing the package later changes nothing the buyer bought.
    ServicePackage.objects.filter(service=service, tier="standard").update(price=Decimal("999.00"), revisions=0)
    assert buyer_api.get(f"/api/orders/{order.pk}").json()["package"]["price"] == "120.00"

    # Somebody else's order does not exist for them.
    assert parties["stranger_api"].get(f"/api/orders/{order.pk}").status_code == 404
    assert parties["stranger_api"].post(f"/api/orders/{order.pk}/accept").status_code == 404

    delivered = seller_api.post(f"/api/orders/{order.pk}/deliver", {
        "note": "Three concepts attached.", "files": [SimpleUploadedFile("concepts.png", PNG, "image/png")]},
        format="multipart")
    assert delivered.status_code == 200, delivered.json()
    assert delivered.json()["status"] == "delivered"
    assert delivered.json()["deliveries"][0]["files"][0]["original_name"] == "concepts.png"

    revised = buyer_api.post(f"/api/orders/{order.pk}/request-revision", {"reason": "Warmer browns, please."},
                             format="json")
    assert revised.status_code == 200 and revised.json()["status"] == "revision_requested"
    assert revised.json()["revisions_left"] == 1
    assert seller_api.post(f"/api/orders/{order.pk}/deliver", {"note": "Warmer now."}, format="json").json()[
        "status"] == "delivered"

    # Only the buyer accepts: the seller cannot release the money to themselves.
    assert seller_api.post(f"/api/orders/{order.pk}/accept").status_code == 403
    accepted = buyer_api.post(f"/api/orders/{order.pk}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "completed"

    fee = fee_of(total, settings.PLATFORM_FEE_PERCENT)
    release = Payment.objects.get(user=parties["seller"], kind="release", order_id=order.pk)
    assert release.amount == total - fee and release.order_title == "A logo for your business — Logo pack"
    assert Payment.objects.get(user=parties["seller"], kind="fee", order_id=order.pk).amount == fee
    assert escrow_of_order(order.pk) == 0
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=parties["seller"]) == -(total - fee)
    # A second acceptance moves nothing.
    assert buyer_api.post(f"/api/orders/{order.pk}/accept").status_code == 409
    assert Payment.objects.filter(kind="release", order_id=order.pk).count() == 1

    listed = seller_api.get("/api/payments").json()["results"]
    assert any(row["kind"] == "release" and row["order"] == order.pk
               and row["amount"] == f"{Decimal(total - fee) / 100:.2f}" for row in listed)
    kinds = [event.kind for event in OrderEvent.objects.filter(order=order)]
    assert kinds == ["placed", "requirements", "paid", "delivered", "revision_requested", "delivered", "accepted"]
    assert_ledger_balanced()


def test_revisions_stop_at_the_package_allowance(parties):
    service = make_service(parties["seller"])
    order = place_order(parties["buyer"], service, tier="basic")  # one revision
    buyer_api, seller_api = parties["buyer_api"], parties["seller_api"]
    seller_api.post(f"/api/orders/{order.pk}/deliver", {"note": "Here."}, format="json")
    assert buyer_api.post(f"/api/orders/{order.pk}/request-revision", {"reason": "Bigger."},
                          format="json").status_code == 200
    seller_api.post(f"/api/orders/{order.pk}/deliver", {"note": "Bigger."}, format="json")
    refused = buyer_api.post(f"/api/orders/{order.pk}/request-revision", {"reason": "Smaller."}, format="json")
    assert refused.status_code == 409 and refused.json()["error_type"] == "no_revisions_left"
    order.refresh_from_db()
    assert order.status == "delivered" and order.revisions_used == 1


def test_a_declined_card_leaves_the_order_unpaid_and_another_card_pays_it(parties):
    service = make_service(parties["seller"])
    buyer_api = parties["buyer_api"]
    response = buyer_api.post("/api/orders", {"service_id": service.pk, "tier": "basic",
                                              "requirements": "Acme.", "payment_method": card(DECLINED_CARD)},
                              format="json")
    assert response.status_code == 402
    order = Order.objects.get(buyer=parties["buyer"])
    assert order.status == "pending_payment"
    assert LedgerTransaction.objects.filter(order_id=order.pk).count() == 0
    assert not Notification.objects.filter(user=parties["seller"], data__order_id=order.pk).exists()

    paid = buyer_api.post(f"/api/orders/{order.pk}/pay", {"payment_method": "pm_card_visa"}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "in_progress"
    assert escrow_of_order(order.pk) == cents("50.00")


def test_orders_are_for_clients_of_active_services_with_answers(parties, make_user, client_for):
    service = make_service(parties["seller"])
    buyer_api = parties["buyer_api"]
    body = {"service_id": service.pk, "tier": "basic", "requirements": "Acme.", "payment_method": "pm_card_visa"}
    assert parties["seller_api"].post("/api/orders", body, format="json").status_code == 403
    assert buyer_api.post("/api/orders", {**body, "requirements": ""}, format="json").status_code == 400
    other = make_service(make_user("freelancer"), title="Another service")
    assert buyer_api.post("/api/orders", {**body, "extras": [other.extras.first().pk]},
                          format="json").status_code == 400
    draft = make_service(parties["seller"], title="Not yet", status="draft")
    assert buyer_api.post("/api/orders", {**body, "service_id": draft.pk}, format="json").status_code == 404
    assert Order.objects.count() == 0 and PaymentOperation.objects.count() == 0


def test_cancel_by_agreement_refunds_the_buyer(parties):
    service = make_service(parties["seller"])
    order = place_order(parties["buyer"], service, tier="standard")
    before_at_stripe = emulator_available()
    asked = parties["buyer_api"].post(f"/api/orders/{order.pk}/cancel", {"reason": "Plans changed."}, format="json")
    assert asked.status_code == 200 and asked.json()["status"] == "in_progress"
    assert asked.json()["cancel_requested_by"] == parties["buyer"].pk
    assert parties["buyer_api"].post(f"/api/orders/{order.pk}/cancel", {}, format="json").status_code == 409
    agreed = parties["seller_api"].post(f"/api/orders/{order.pk}/cancel", {}, format="json")
    assert agreed.status_code == 200 and agreed.json()["status"] == "cancelled"
    refund = Payment.objects.get(user=parties["buyer"], kind="refund", order_id=order.pk)
    assert refund.amount == cents("120.00")
    assert before_at_stripe - emulator_available() == cents("120.00")
    assert escrow_of_order(order.pk) == 0
    assert_ledger_balanced()


def test_the_buyer_cancels_a_late_order_alone(parties):
    order = place_order(parties["buyer"], make_service(parties["seller"]), tier="basic")
    Order.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(hours=1))
    cancelled = parties["buyer_api"].post(f"/api/orders/{order.pk}/cancel", {"reason": "Late."}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert Payment.objects.get(kind="refund", order_id=order.pk).amount == cents("50.00")


def test_a_dispute_split_by_staff_pays_each_their_share(parties, staff_user, client_for, settings):
    order = place_order(parties["buyer"], make_service(parties["seller"]), tier="premium")
    parties["seller_api"].post(f"/api/orders/{order.pk}/deliver", {"note": "Done."}, format="json")
    opened = parties["buyer_api"].post(f"/api/orders/{order.pk}/dispute", {"reason": "Half is missing."},
                                       format="json")
    assert opened.status_code == 201 and opened.json()["status"] == "disputed"
    assert parties["buyer_api"].post(f"/api/orders/{order.pk}/accept").status_code == 409
    assert parties["buyer_api"].post(f"/api/orders/{order.pk}/resolve", {"resolution": "refund"},
                                     format="json").status_code == 404
    staff_api = client_for(staff_user)
    resolved = staff_api.post(f"/api/orders/{order.pk}/resolve",
                              {"resolution": "split", "freelancer_amount": "180.00", "note": "Fair."}, format="json")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["status"] == "completed"
    part, total = cents("180.00"), cents("300.00")
    assert Payment.objects.get(kind="refund", order_id=order.pk).amount == total - part
    fee = fee_of(part, settings.PLATFORM_FEE_PERCENT)
    assert Payment.objects.get(kind="release", order_id=order.pk).amount == part - fee
    assert OrderDispute.objects.get(order=order).status == "resolved"
    assert escrow_of_order(order.pk) == 0
    assert_ledger_balanced()


def test_a_delivery_left_unanswered_completes_and_one_sent_back_does_not(parties, settings):
    service = make_service(parties["seller"])
    waiting = place_order(parties["buyer"], service, tier="basic")
    sent_back = place_order(parties["buyer"], service, tier="basic")
    for order in (waiting, sent_back):
        orders.order_deliver(order=order, by=parties["seller"], note="Done.", files=[])
    later = timezone.now() + timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS, minutes=1)
    assert orders.auto_complete_due(timezone.now())["completed"] == 0
    orders.order_request_revision(order=sent_back, by=parties["buyer"], reason="One more thing.")
    assert orders.auto_complete_due(later) == {"completed": 1}
    waiting.refresh_from_db()
    sent_back.refresh_from_db()
    assert waiting.status == "completed" and sent_back.status == "revision_requested"
    assert Payment.objects.get(kind="release", order_id=waiting.pk).amount == (
        cents("50.00") - fee_of(cents("50.00"), settings.PLATFORM_FEE_PERCENT))
    assert not Payment.objects.filter(kind="release", order_id=sent_back.pk).exists()


def test_the_reconciler_finishes_a_refund_a_crash_left_written_down(parties):
    """A cancellation whose refund was written down, but whose process died before asking Stripe."""
    order = place_order(parties["buyer"], make_service(parties["seller"]), tier="basic")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        operation = orders.holdings.refund_begin(
            orders._holding(locked), 5000, purpose=orders.REFUND, description="Refund",
            decision={"by_id": parties["buyer"].pk, "note": "agreed", "actor": "client"})
    # While it is in flight nothing else moves the order's money.
    assert parties["buyer_api"].post(f"/api/orders/{order.pk}/dispute", {"reason": "x"},
                                     format="json").status_code == 409
    assert operations_reconcile(left_for=timedelta(0))["booked"] == 1
    order.refresh_from_db()
    operation.refresh_from_db()
    assert operation.status == "booked" and order.status == "cancelled"
    assert Payment.objects.get(kind="refund", order_id=order.pk).amount == 5000
    assert escrow_of_order(order.pk) == 0
