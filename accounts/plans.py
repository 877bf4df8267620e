"""What the paid client plan unlocks. Payments sells it (Stripe Billing); the marketplace enforces it.

Both read these rules here, in accounts, because neither may import the other.
"""

from .models import User

PLAN_NAME = "Client Pro"
FREE_INVITES_PER_PROJECT = 5
PRO_INVITES_PER_PROJECT = 50


def invites_per_project(user: User) -> int:
    return PRO_INVITES_PER_PROJECT if user.has_client_plan else FREE_INVITES_PER_PROJECT
