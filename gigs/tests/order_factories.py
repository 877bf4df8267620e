"""Services to order from, and orders brought along through the real order services."""

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gigs import orders
from gigs.models import Order, Service, ServiceExtra, ServicePackage

PACKAGES = {
    "basic": ("Logo sketch", "One concept", Decimal("50.00"), 3, 1),
    "standard": ("Logo pack", "Three concepts, source files", Decimal("120.00"), 5, 2),
    "premium": ("Brand kit", "Logo, palette, type", Decimal("300.00"), 10, 3),
}


@pytest.fixture
def stripe_settings(request: pytest.FixtureRequest, settings: Any) -> None:
    """Tests that use the Stripe emulator talk to it through the settings the services read."""
    if "stripe_emulator" in request.fixturenames:
        settings.STRIPE_API_BASE = request.getfixturevalue("stripe_emulator").url


def make_service(seller: Any, *, title: str = "A logo for your business", status: str = "active",
                 requirements: str = "What is the business called?\nWhich colours do you like?") -> Service:
    """An active service with three packages and two extras."""
    service = Service.objects.create(seller=seller, title=title, description="Hand-drawn logos.",
                                     requirements=requirements, status=status, currency="usd",
                                     published_at=timezone.now() if status == "active" else None)
    for tier, (name, description, price, days, revisions) in PACKAGES.items():
        ServicePackage.objects.create(service=service, tier=tier, title=name, description=description, price=price,
                                      delivery_days=days, revisions=revisions)
    ServiceExtra.objects.create(service=service, title="Express delivery", price=Decimal("25.00"), delivery_days=0)
    ServiceExtra.objects.create(service=service, title="Social media kit", price=Decimal("40.00"), delivery_days=2)
    service.price_from = PACKAGES["basic"][2]
    service.save(update_fields=["price_from"])
    return service


def place_order(buyer: Any, service: Service, *, tier: str = "standard", extras: list[int] | None = None,
                payment_method: str | None = "pm_card_visa") -> Order:
    """An order placed (and, with a payment method, paid) through the order services."""
    if payment_method is None:
        order = orders.order_create(buyer=buyer, service=service, tier=tier, extra_ids=extras or [],
                                    requirements="Acme Bakery; warm browns.")
    else:
        order = orders.order_place(buyer=buyer, service=service, tier=tier, extra_ids=extras or [],
                                   requirements="Acme Bakery; warm browns.", payment_method=payment_method).order
    order.refresh_from_db()
    return order
