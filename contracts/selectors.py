from django.db.models import Q, QuerySet

from accounts.models import User

from .models import Contract


def contracts_for(user: User) -> QuerySet[Contract]:
    """The contracts the user is a party to (staff: all)."""
    contracts = Contract.objects.select_related("client", "freelancer", "project")
    if user.is_authenticated and user.is_staff:
        return contracts
    if not user.is_authenticated:
        return contracts.none()
    return contracts.filter(Q(client=user) | Q(freelancer=user))
