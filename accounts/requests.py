"""The signed-in user of a request, typed for the code that only runs once someone has signed in."""

from typing import TYPE_CHECKING, cast

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from .models import User


def signed_in_user(request: HttpRequest | Request) -> "User":
    """`request.user` where signing in is required (`login_required`, `IsAuthenticated`, the staff-only admin).

    There it is never the anonymous user, which the type stubs cannot know; nothing is checked at run time, so
    use it only behind such a guard.
    """
    return cast("User", request.user)
