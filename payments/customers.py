"""A user's Stripe customer: the one every charge and the Client Pro subscription are made for."""

from django.db import IntegrityError, transaction

from accounts.models import User

from . import stripe_client
from .models import StripeCustomer


def customer_id_for(user: User) -> str:
    """The user's Stripe customer, created once. Stripe is asked outside any lock: the idempotency key is the
    user's id, so two requests at the same moment get the same customer, and the unique row keeps one."""
    existing = StripeCustomer.objects.filter(user=user).first()
    if existing is not None:
        return existing.stripe_customer_id
    customer = stripe_client.sdk().Customer.create(
        email=user.email, name=user.get_full_name(), metadata={"user_id": str(user.pk)},
        idempotency_key=f"customer-{user.pk}",
    )
    try:
        with transaction.atomic():
            StripeCustomer.objects.get_or_create(user=user, defaults={"stripe_customer_id": customer.id})
    except IntegrityError:  # written at the same moment by another request
        pass
    return StripeCustomer.objects.get(user=user).stripe_customer_id
