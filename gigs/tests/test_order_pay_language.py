"""What the orders API says about a payment is in the buyer's language, whoever asked before them."""

import pytest

from .order_factories import make_service, stripe_settings  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean", "stripe_settings")]


@pytest.mark.parametrize(("language", "expected"), [
    ("de", "Bezahlt: Das Geld wird auf dem Treuhandkonto verwahrt, bis Sie die Lieferung annehmen."),
    ("es", "Pagado: el dinero queda retenido en depósito hasta que aceptes la entrega."),
    ("en", "Paid: the money is held in escrow until you accept the delivery."),
])
def test_the_payment_answer_is_in_the_buyers_language(make_user, client_for, language, expected) -> None:
    service = make_service(make_user("freelancer", language="de"))
    buyer = make_user("client", language=language)
    placed = client_for(buyer).post("/api/orders", {"service_id": service.pk, "tier": "basic",
                                                    "requirements": "Acme.", "payment_method": "pm_card_visa"},
                                    format="json")
    assert placed.status_code == 201, placed.json()
    payment = placed.json()["payment"]
    assert (payment["status"], payment["detail"]) == ("succeeded", expected)
