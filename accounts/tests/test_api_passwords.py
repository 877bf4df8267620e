"""Changing and resetting a password, and what that does to sessions already signed in."""

import re

import pytest
from django.core import mail

from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-long-passphrase"


def login(api_client, email, password=PASSWORD):
    return api_client.post("/api/auth/login", {"email": email, "password": password}, format="json")


class TestChangePassword:
    def test_changes_it_and_ends_other_sessions(self, client_for, client_user, api_client):
        phone = client_for(client_user)
        laptop = client_for(client_user)
        response = laptop.post(
            "/api/auth/change-password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
        )
        assert response.status_code == 200
        fresh = response.json()
        assert fresh["access_token"] and fresh["refresh_token"]
        assert phone.get("/api/auth/me").status_code == 401
        assert laptop.get("/api/auth/me").status_code == 401  # the token that made the change is old too
        old_refresh = api_client.post("/api/auth/refresh", {"refresh_token": phone.tokens["refresh_token"]},
                                      format="json")
        assert old_refresh.status_code == 401
        laptop.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access_token']}")
        assert laptop.get("/api/auth/me").status_code == 200
        assert login(api_client, client_user.email).status_code == 401
        assert login(api_client, client_user.email, NEW_PASSWORD).status_code == 200

    def test_wrong_current_password(self, client_for, client_user):
        response = client_for(client_user).post(
            "/api/auth/change-password", {"current_password": "nope", "new_password": NEW_PASSWORD}, format="json"
        )
        assert response.status_code == 400
        assert "current_password" in response.json()["errors"]

    def test_weak_new_password(self, client_for, client_user):
        response = client_for(client_user).post(
            "/api/auth/change-password", {"current_password": PASSWORD, "new_password": "password"}, format="json"
        )
        assert response.status_code == 400
        assert "new_password" in response.json()["errors"]

    def test_anonymous(self, api_client):
        response = api_client.post("/api/auth/change-password", {"current_password": "a", "new_password": "b"},
                                   format="json")
        assert response.status_code == 401


class TestPasswordReset:
    def request_reset(self, api_client, email, capture):
        with capture(execute=True):
            response = api_client.post("/api/auth/password-reset", {"email": email}, format="json")
        assert response.status_code == 200
        return response

    def token_from_outbox(self):
        match = re.search(r"/password-reset/confirm/([^/\s]+)/", mail.outbox[-1].body)
        assert match, mail.outbox[-1].body
        return match.group(1)

    def test_answers_the_same_whether_or_not_the_account_exists(
        self, api_client, client_user, django_capture_on_commit_callbacks
    ):
        known = self.request_reset(api_client, client_user.email, django_capture_on_commit_callbacks)
        unknown = self.request_reset(api_client, "nobody@example.com", django_capture_on_commit_callbacks)
        assert known.json() == unknown.json()
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == [client_user.email]

    def test_the_link_sets_a_new_password_once_and_ends_sessions(
        self, api_client, client_for, client_user, django_capture_on_commit_callbacks
    ):
        signed_in = client_for(client_user)
        self.request_reset(api_client, client_user.email, django_capture_on_commit_callbacks)
        token = self.token_from_outbox()
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(
                "/api/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}, format="json"
            )
        assert response.status_code == 200
        assert "password" in mail.outbox[-1].subject.lower()
        assert signed_in.get("/api/auth/me").status_code == 401
        assert login(api_client, client_user.email, NEW_PASSWORD).status_code == 200
        again = api_client.post(
            "/api/auth/password-reset/confirm", {"token": token, "new_password": "yet-another-passphrase"},
            format="json",
        )
        assert again.status_code == 400
        assert again.json()["error_type"] == "invalid_token"

    def test_link_expires_after_an_hour(self, api_client, client_user, django_capture_on_commit_callbacks):
        import time

        import time_machine

        self.request_reset(api_client, client_user.email, django_capture_on_commit_callbacks)
        token = self.token_from_outbox()
        with time_machine.travel(time.time() + 61 * 60):
            response = api_client.post(
                "/api/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}, format="json"
            )
        assert response.status_code == 400

    @pytest.mark.parametrize("token", ["", "abc", "MQ.bad-token", "!!!.???"])
    def test_bad_tokens(self, api_client, token):
        response = api_client.post(
            "/api/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}, format="json"
        )
        assert response.status_code == 400

    def test_weak_password_keeps_the_link_usable(self, api_client, client_user, django_capture_on_commit_callbacks):
        self.request_reset(api_client, client_user.email, django_capture_on_commit_callbacks)
        token = self.token_from_outbox()
        weak = api_client.post("/api/auth/password-reset/confirm", {"token": token, "new_password": "123"},
                               format="json")
        assert weak.status_code == 400 and "new_password" in weak.json()["errors"]
        ok = api_client.post("/api/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD},
                             format="json")
        assert ok.status_code == 200

    def test_bad_email_input(self, api_client):
        assert api_client.post("/api/auth/password-reset", {"email": "x"}, format="json").status_code == 400
