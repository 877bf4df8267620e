"""Request bodies built to crash the parser: JSON nested tens of thousands deep gets a clear 400, never a 500,
on every endpoint and before anything is stored."""

import pytest

from accounts.models import User
from core.middleware import MAX_JSON_DEPTH, json_depth_exceeds
from marketplace.models import Project

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/register", "/api/projects",
                                  "/api/auth/password-reset", "/api/auth/2fa/login"])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deeply_nested_json_is_a_clear_400_for_anyone(api_client, path, body):
    users, projects = User.objects.count(), Project.objects.count()
    response = api_client.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    data = response.json()
    assert data["error_type"] == "parse_error"
    assert f"more than {MAX_JSON_DEPTH} levels" in data["detail"]
    assert (User.objects.count(), Project.objects.count()) == (users, projects)


def test_signed_in_endpoints_refuse_it_too_and_change_nothing(client_for, client_user):
    api = client_for(client_user)
    body = '{"first_name": ' + "[" * 50_000 + "]" * 50_000 + "}"
    for method in (api.patch, api.put):
        response = method("/api/auth/me", body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error_type"] == "parse_error"
    client_user.refresh_from_db()
    assert client_user.first_name != ""
    assert api.get("/api/auth/me").json()["first_name"] == client_user.first_name


def test_a_json_body_without_a_json_content_type_is_checked_as_well(api_client):
    response = api_client.post("/api/auth/login", DEEP, content_type="text/plain")
    assert response.status_code == 400 and response.json()["error_type"] == "parse_error"


def test_brackets_inside_strings_and_ordinary_nesting_still_pass(api_client, client_user):
    # 120 brackets inside a string are text, not nesting: the password is simply wrong.
    response = api_client.post("/api/auth/login", {"email": client_user.email, "password": "[{" * 60},
                               format="json")
    assert response.status_code == 401
    nested = {"email": client_user.email, "password": "x", "extra": [[[[{"a": [1]}]]]]}
    assert api_client.post("/api/auth/login", nested, format="json").status_code == 401


def test_the_depth_check_counts_only_structure():
    assert not json_depth_exceeds(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert json_depth_exceeds(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds(b'["' + b"[" * 1000 + b'"]')
    assert not json_depth_exceeds(b'["\\"' + b"{" * 1000 + b'"]')  # an escaped quote does not end the string
    siblings = b"[" + b",".join([b"[1]"] * 5000) + b"]"  # many brackets, depth two
    assert not json_depth_exceeds(siblings)


def test_a_page_answers_plain_400_not_a_server_error(client):
    response = client.post("/login/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "levels deep" in response.content.decode()
