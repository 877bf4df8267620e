"""What every page needs from messaging: the signed-in person's unread notification count, for the bell."""

from django.http import HttpRequest

from .notifications import unread_count


def notifications(request: HttpRequest) -> dict:
    """`notifications_unread` for signed-in people (one query); nothing for anyone else."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": unread_count(user)}
