"""Fixtures shared by every app's tests: accounts of each kind and API clients signed in as them."""

from collections.abc import Callable, Iterator
from itertools import count

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

PASSWORD = "correct-horse-battery-staple"
_serial = count(1)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters and one-time markers live in Redis: each test starts with none."""
    cache.clear()
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db: None) -> Callable[..., object]:
    from accounts.models import User

    def make(user_type: str = "client", **fields: object) -> User:
        n = next(_serial)
        fields.setdefault("email", f"{user_type or 'staff'}{n}@example.com")
        fields.setdefault("first_name", f"First{n}")
        fields.setdefault("last_name", f"Last{n}")
        fields.setdefault("email_verified", True)
        password = fields.pop("password", PASSWORD)
        return User.objects.create_user(password=password, user_type=user_type, **fields)

    return make


@pytest.fixture
def client_user(make_user: Callable[..., object]) -> object:
    return make_user("client", company="Acme Ltd")


@pytest.fixture
def freelancer_user(make_user: Callable[..., object]) -> object:
    return make_user("freelancer", hourly_rate="55.00", headline="Django developer")


@pytest.fixture
def staff_user(make_user: Callable[..., object]) -> object:
    return make_user("", is_staff=True, is_superuser=True)


@pytest.fixture
def client_for() -> Callable[[object], APIClient]:
    """An API client signed in as the given user, with real tokens from a real session."""
    from accounts.tokens import login_issue

    def make(user: object) -> APIClient:
        api = APIClient()
        tokens = login_issue(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        api.tokens = tokens  # type: ignore[attr-defined]
        return api

    return make
