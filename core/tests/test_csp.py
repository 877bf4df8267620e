"""Content-Security-Policy on every page: scripts only from this site, Stripe.js and inline blocks carrying the
request's nonce; no page reveals the server software."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>", re.IGNORECASE)


def parameterless_paths() -> list[str]:
    """Every route of the URL conf that needs no argument (pages, and the API's documentation)."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "(" not in route:
                found.append("/" + (prefix + route).lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted({path for path in found if "stripe/" not in path})


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def check_page(response) -> None:
    directives = policy(response)
    scripts = directives["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert directives["object-src"] == ["'none'"] and directives["default-src"] == ["'self'"]
    nonces = [value[len("'nonce-"):-1] for value in scripts if value.startswith("'nonce-")]
    if "text/html" in response.get("Content-Type", ""):
        html = response.content.decode()
        assert not re.search(r"\son[a-z]+\s*=\s*[\"']", html), "inline event handlers do not run under the policy"
        for match in SCRIPT.finditer(html):
            attrs = match.group("attrs")
            if "src=" in attrs or 'type="application/json"' in attrs:
                continue
            nonce = re.search(r'nonce="([^"]+)"', attrs)
            assert nonce and nonces and nonce.group(1) == nonces[0], f"inline script without the nonce: {attrs}"
    assert "Server" not in response


def test_every_page_has_the_policy_anonymously_and_signed_in(client, client_user):
    paths = parameterless_paths()
    assert "/login/" in paths and "/api/docs" in paths and len(paths) > 20
    for signed_in in (False, True):
        if signed_in:
            client.force_login(client_user)
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, path
            assert "Content-Security-Policy" in response, path
            check_page(response)
    print(f"Content-Security-Policy checked on {len(paths)} pages, anonymously and signed in")


def test_inline_scripts_carry_this_requests_nonce(client, client_user, freelancer_user, settings):
    settings.STRIPE_API_BASE = ""  # card fields by Stripe.js: the page with an inline script
    contract = make_contract(client_user, freelancer_user)
    client.force_login(client_user)
    first = client.get(f"/contracts/{contract.pk}/")
    second = client.get(f"/contracts/{contract.pk}/")
    assert first.status_code == 200
    for response in (first, second):
        check_page(response)
        assert 'nonce="' in response.content.decode()
        assert "https://js.stripe.com" in policy(response)["script-src"]
    assert policy(first)["script-src"] != policy(second)["script-src"]  # a fresh nonce for each request


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc", "/admin/", "/admin/accounts/user/add/"])
def test_third_party_pages_keep_to_it(client, staff_user, path):
    client.force_login(staff_user)
    response = client.get(path)
    assert response.status_code == 200
    check_page(response)
