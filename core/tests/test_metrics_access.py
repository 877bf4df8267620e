"""/api/health/metrics is for the monitoring system only, and no request can grow its series."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.50"
TOKEN = "scrape-token-0123456789abcdef"


def series(text: str) -> set[tuple[str, tuple]]:
    return {(sample.name, tuple(sorted(sample.labels.items())))
            for family in text_string_to_metric_families(text) for sample in family.samples}


def http_series(client) -> set[tuple[str, tuple]]:
    response = client.get("/api/health/metrics")
    assert response.status_code == 200
    return {s for s in series(response.content.decode()) if s[0].startswith("megilance_http_")}


def test_made_up_method_names_add_no_series(client):
    client.generic("BREW", "/api/health/live")  # the first "other" may add its series once
    client.generic("BREW", "/api/projects/0/no-such-0")
    client.get("/api/projects/999999")
    before = http_series(client)
    for n in range(200):
        client.generic(f"M{n}XYZ", "/api/health/live")
        client.generic(f"Q{n}", f"/api/projects/{n}/no-such-{n}")
    client.get("/api/projects/123456")  # another id of the same route
    after = http_series(client)
    added = after - before
    # Only the scrape itself may add a series (its own status line); no method or raw path appears.
    assert not any("XYZ" in str(labels) or "no-such" in str(labels) for _, labels in after)
    assert all(dict(labels).get("route") == "api/health/metrics" for _, labels in added), added
    methods = {dict(labels)["method"] for _, labels in after if "method" in dict(labels)}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "other"}
    assert "other" in methods
    routes = {dict(labels)["route"] for _, labels in after if "route" in dict(labels)}
    assert not any("123456" in route or "999999" in route for route in routes), routes


def test_an_outside_address_without_the_token_is_refused_and_sees_nothing(client):
    response = client.get("/api/health/metrics", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 403
    assert response.json()["error_type"] == "permission_denied"
    assert b"megilance_" not in response.content and b"python_" not in response.content


def test_a_forwarded_request_through_a_local_proxy_is_not_loopback(client):
    # An untrusted proxy on this machine relays an outsider: the default "loopback only" does not cover it.
    response = client.get("/api/health/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE)
    assert response.status_code == 403


def test_the_bearer_token_lets_the_scraper_in_from_anywhere(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/api/health/metrics", REMOTE_ADDR=OUTSIDE).status_code == 403
    assert client.get("/api/health/metrics", REMOTE_ADDR=OUTSIDE,
                      HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 403
    # With a token set, loopback alone is no longer enough either.
    assert client.get("/api/health/metrics").status_code == 403
    response = client.get("/api/health/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"megilance_http_requests_total" in response.content


def test_an_allow_list_of_addresses(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    assert client.get("/api/health/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/api/health/metrics", REMOTE_ADDR="10.21.3.4").status_code == 403
    assert client.get("/api/health/metrics").status_code == 403  # loopback is not on the list
    # A spoofed header does not put an outsider on the list ...
    assert client.get("/api/health/metrics", REMOTE_ADDR=OUTSIDE,
                      HTTP_X_FORWARDED_FOR="10.20.3.4").status_code == 403
    # ... but the client named by a trusted proxy is the one checked.
    settings.TRUSTED_PROXIES = ["192.0.2.1"]
    assert client.get("/api/health/metrics", REMOTE_ADDR="192.0.2.1",
                      HTTP_X_FORWARDED_FOR="10.20.3.4").status_code == 200
    assert client.get("/api/health/metrics", REMOTE_ADDR="192.0.2.1",
                      HTTP_X_FORWARDED_FOR=f"10.20.3.4, {OUTSIDE}").status_code == 403
