"""A user's Stripe customer: the one every charge and the Client Pro subscription are made for."""

from django.db import transaction

from accounts.models import User

from . import stripe_client
from .models import StripeCustomer


def customer_id_for(user: User) -> str:
    """The user's Stripe customer, created once (the user row is locked so two requests make one)."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = StripeCustomer.objects.filter(user=user).first()
        if existing is not None:
            return existing.stripe_customer_id
        customer = stripe_client.sdk().Customer.create(
            email=user.email, name=user.get_full_name(), metadata={"user_id": str(user.pk)},
            idempotency_key=f"customer-{user.pk}",
        )
        StripeCustomer.objects.create(user=user, stripe_customer_id=customer.id)
        return customer.id
