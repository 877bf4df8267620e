"""Marketplace data made through the real services, as users would make it."""

from decimal import Decimal

from marketplace.categories import categories_ensure_defaults
from marketplace.services import project_create, proposal_submit


def make_project(client, **overrides):
    categories_ensure_defaults()  # a test that flushed the database removed the migration's categories
    if overrides.get("visibility") == "invite_only" and not client.has_client_plan:
        give_client_plan(client)  # invite-only projects come with the Client Pro plan
    data = {
        "title": "Build a booking site for a dental clinic",
        "description": "We need online booking with reminders, built in Django with PostgreSQL.",
        "category": "web-development",
        "skills": ["Django", "PostgreSQL"],
        "budget_type": "fixed",
        "budget_min": Decimal("1000.00"),
        "budget_max": Decimal("3000.00"),
        "currency": "usd",
        "visibility": "public",
        **overrides,
    }
    return project_create(client=client, data=data)


def give_client_plan(client, days=30):
    """A client on the paid plan (what payments.billing records when Stripe says the subscription is active)."""
    from datetime import timedelta

    from django.utils import timezone

    client.client_plan_until = timezone.now() + timedelta(days=days)
    client.save(update_fields=["client_plan_until"])
    return client


def make_proposal(freelancer, project, **overrides):
    data = {
        "cover_letter": "I have built three booking systems in Django; here is how I would do yours.",
        "bid_amount": Decimal("2000.00"),
        "estimated_duration_days": 30,
        **overrides,
    }
    return proposal_submit(freelancer=freelancer, project=project, data=data)
