"""Sign-in, sign-up and reset requests are limited per client and per account and client, across processes
(Redis). Attacks with spoofed headers and from many addresses: test_brute_force.py."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_login_is_limited_per_account_and_client_with_retry_after(api_client, client_user):
    statuses = []
    for _ in range(11):
        response = api_client.post("/api/auth/login", {"email": client_user.email, "password": "wrong"},
                                   format="json", REMOTE_ADDR="10.0.0.1")
        statuses.append(response.status_code)
    assert statuses == [401] * 10 + [429]
    assert int(response["Retry-After"]) > 0
    assert response.json()["error_type"] == "throttled"


def test_login_is_limited_per_ip(api_client, make_user):
    statuses = [
        api_client.post("/api/auth/login", {"email": f"u{n}@example.com", "password": "x"}, format="json").status_code
        for n in range(21)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:20]


def test_the_counters_live_in_redis(api_client, client_user, settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    for _ in range(10):
        api_client.post("/api/auth/login", {"email": client_user.email, "password": "wrong"}, format="json")
    assert cache.get(f"throttle_login_account_{client_user.email}|127.0.0.1")
    assert cache.get(f"throttle_login_account_wide_{client_user.email}")


def test_register_and_password_reset_are_limited(api_client):
    for n in range(10):
        api_client.post("/api/auth/register", {"email": f"bad{n}"}, format="json")
    assert api_client.post("/api/auth/register", {}, format="json").status_code == 429
    for _ in range(3):
        api_client.post("/api/auth/password-reset", {"email": "victim@example.com"}, format="json",
                        REMOTE_ADDR="10.1.1.1")
    limited = api_client.post("/api/auth/password-reset", {"email": "victim@example.com"}, format="json",
                              REMOTE_ADDR="10.1.1.1")
    assert limited.status_code == 429


def test_throttling_can_be_turned_off(api_client, client_user, settings):
    settings.THROTTLE_ENABLED = False
    statuses = {
        api_client.post("/api/auth/login", {"email": client_user.email, "password": "x"}, format="json").status_code
        for _ in range(25)
    }
    assert statuses == {401}
