"""Sign-up, sign-in, tokens and the profile, through HTTP as an app would use them."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuthSession, User
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
ME = "/api/auth/me"


def register(api_client, **overrides):
    body = {
        "email": "ada@example.com",
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "user_type": "freelancer",
        **overrides,
    }
    return api_client.post(REGISTER, body, format="json")


def login(api_client, email, password=PASSWORD):
    return api_client.post(LOGIN, {"email": email, "password": password}, format="json")


def bearer(api_client, access_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return api_client


class TestRegister:
    def test_creates_an_unverified_account_and_queues_the_emails(self, api_client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = register(api_client, email="Ada@Example.com")
        assert response.status_code == 201
        body = response.json()
        assert body == {
            "id": body["id"],
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "user_type": "freelancer",
            "email_verified": False,
        }
        subjects = sorted(message.subject for message in mail.outbox)
        assert len(subjects) == 2
        assert any("welcome" in s.lower() for s in subjects)
        assert any("verify" in s.lower() or "confirm" in s.lower() for s in subjects)
        for message in mail.outbox:
            assert message.to == ["ada@example.com"]
            html, mimetype = message.alternatives[0]
            assert mimetype == "text/html" and "<html" in html.lower()
            assert message.body.strip()

    def test_rejects_a_second_account_with_the_same_email_in_any_case(self, api_client):
        assert register(api_client).status_code == 201
        response = register(api_client, email="ADA@example.com")
        assert response.status_code == 400
        assert response.json()["error_type"] == "validation_error"
        assert "email" in response.json()["errors"]
        assert User.objects.count() == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("email", "not-an-email"),
            ("password", "short"),
            ("password", "12345678901"),
            ("user_type", "admin"),
            ("first_name", ""),
        ],
    )
    def test_rejects_bad_input_with_field_errors(self, api_client, field, value):
        response = register(api_client, **{field: value})
        assert response.status_code == 400
        body = response.json()
        assert body["error_type"] == "validation_error"
        assert field in body["errors"] and body["errors"][field]
        assert User.objects.count() == 0

    def test_password_too_similar_to_the_email_is_refused(self, api_client):
        response = register(api_client, email="lovelace.ada@example.com", password="lovelace.ada")
        assert response.status_code == 400
        assert "password" in response.json()["errors"]

    def test_passwords_are_hashed_with_argon2_in_production(self, api_client):
        from megilance.settings import base

        with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
            register(api_client)
        assert User.objects.get().password.startswith("argon2")


class TestLogin:
    def test_returns_bearer_tokens(self, api_client, client_user):
        response = login(api_client, client_user.email)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["requires_2fa"] is False
        assert body["access_token"] and body["refresh_token"]
        me = bearer(api_client, body["access_token"]).get(ME)
        assert me.status_code == 200
        assert me.json()["email"] == client_user.email

    def test_email_is_case_insensitive(self, api_client, client_user):
        assert login(api_client, client_user.email.upper()).status_code == 200

    def test_wrong_password_and_unknown_email_look_the_same(self, api_client, client_user):
        wrong = login(api_client, client_user.email, "not-the-password")
        unknown = login(api_client, "nobody@example.com")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert wrong.json()["error_type"] == "invalid_credentials"

    def test_suspended_account_cannot_sign_in(self, api_client, make_user):
        user = make_user("client", is_active=False)
        assert login(api_client, user.email).status_code == 401

    def test_missing_fields(self, api_client):
        response = api_client.post(LOGIN, {}, format="json")
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"email", "password"}


class TestTokens:
    def test_refresh_rotates_and_the_old_refresh_token_stops_working(self, api_client, client_user):
        first = login(api_client, client_user.email).json()
        refreshed = api_client.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
        assert refreshed.status_code == 200
        pair = refreshed.json()
        assert pair["token_type"] == "bearer"
        assert pair["refresh_token"] != first["refresh_token"]
        assert bearer(api_client, pair["access_token"]).get(ME).status_code == 200

        again = api_client.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
        assert again.status_code == 401
        assert again.json()["error_type"] == "token_not_valid"

    def test_reusing_a_rotated_refresh_token_ends_the_session(self, api_client, client_user):
        first = login(api_client, client_user.email).json()
        pair = api_client.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json").json()
        api_client.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
        # The leaked token's session is over: the newer pair stops working as well.
        assert bearer(api_client, pair["access_token"]).get(ME).status_code == 401
        retry = api_client.post("/api/auth/refresh", {"refresh_token": pair["refresh_token"]}, format="json")
        assert retry.status_code == 401

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
    def test_refresh_with_a_bad_token(self, api_client, token):
        response = api_client.post("/api/auth/refresh", {"refresh_token": token}, format="json")
        assert response.status_code in (400, 401)
        assert "detail" in response.json()

    def test_an_access_token_is_not_a_refresh_token(self, api_client, client_user):
        pair = login(api_client, client_user.email).json()
        response = api_client.post("/api/auth/refresh", {"refresh_token": pair["access_token"]}, format="json")
        assert response.status_code == 401

    def test_logout_ends_the_session_and_its_access_token(self, api_client, client_user):
        pair = login(api_client, client_user.email).json()
        other = login(api_client, client_user.email).json()  # a second device
        bearer(api_client, pair["access_token"])
        response = api_client.post("/api/auth/logout", {"refresh_token": pair["refresh_token"]}, format="json")
        assert response.status_code == 200
        assert api_client.get(ME).status_code == 401
        refresh = api_client.post("/api/auth/refresh", {"refresh_token": pair["refresh_token"]}, format="json")
        assert refresh.status_code == 401
        # The other device is still signed in.
        assert bearer(api_client, other["access_token"]).get(ME).status_code == 200

    def test_cannot_log_out_someone_else(self, api_client, client_user, freelancer_user, client_for):
        theirs = login(api_client, freelancer_user.email).json()
        mine = client_for(client_user)
        response = mine.post("/api/auth/logout", {"refresh_token": theirs["refresh_token"]}, format="json")
        assert response.status_code == 401
        assert bearer(api_client, theirs["access_token"]).get(ME).status_code == 200

    def test_a_suspended_users_tokens_stop_at_once(self, api_client, client_user, client_for):
        from accounts.services import user_set_active

        api = client_for(client_user)
        user_set_active(user=client_user, active=False)
        assert api.get(ME).status_code == 401

    def test_each_request_reads_the_account_afresh(self, client_user, freelancer_user, client_for):
        """The signed-in user is read on every request (never kept between them): a change made by any path,
        even a bare UPDATE that sends no signal, stops the token on the very next request."""
        api = client_for(client_user)
        assert api.get(ME).status_code == 200  # the lookup's SQL is compiled and kept from here on
        User.objects.filter(pk=client_user.pk).update(is_active=False)
        assert api.get(ME).status_code == 401
        User.objects.filter(pk=client_user.pk).update(is_active=True)
        assert api.get(ME).json()["email"] == client_user.email
        User.objects.filter(pk=client_user.pk).update(token_version=client_user.token_version + 1)
        assert api.get(ME).status_code == 401
        other = client_for(freelancer_user)
        assert other.get(ME).json()["email"] == freelancer_user.email  # the kept SQL, someone else's values
        AuthSession.objects.filter(user=freelancer_user).update(revoked_at=timezone.now())
        assert other.get(ME).status_code == 401

    def test_forged_claims_are_refused(self, api_client, client_user, freelancer_user, client_for):
        from rest_framework_simplejwt.tokens import AccessToken

        assert client_for(client_user).get(ME).status_code == 200
        session = AuthSession.objects.get(user=client_user)
        # Properly signed tokens whose claims do not fit together: someone else's session, no session, nonsense.
        for claims in ({"sid": str(session.pk), "user": freelancer_user},
                       {"sid": None, "user": client_user}, {"sid": "not-a-uuid", "user": client_user},
                       {"sid": str(session.pk), "user": client_user, "user_id": "x"}):
            token = AccessToken.for_user(claims["user"])
            token["ver"] = claims["user"].token_version
            if claims["sid"] is not None:
                token["sid"] = claims["sid"]
            if "user_id" in claims:
                token["user_id"] = claims["user_id"]
            assert bearer(api_client, str(token)).get(ME).status_code == 401, claims

    def test_no_token_and_a_malformed_header(self, api_client):
        assert api_client.get(ME).status_code == 401
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
        response = api_client.get(ME)
        assert response.status_code == 401
        assert response.json()["error_type"]


class TestMe:
    def test_shows_the_profile(self, client_for, freelancer_user):
        body = client_for(freelancer_user).get(ME).json()
        assert body["email"] == freelancer_user.email
        assert body["user_type"] == "freelancer"
        assert body["hourly_rate"] == "55.00"
        assert body["currency"] == "usd"
        assert body["two_factor_enabled"] is False
        assert "password" not in body

    def test_freelancer_updates_profile_fields(self, client_for, freelancer_user):
        api = client_for(freelancer_user)
        response = api.patch(
            ME,
            {"headline": "Senior Django engineer", "bio": "Ten years of web work.", "hourly_rate": "80.5",
             "skills": ["Django", "PostgreSQL", "django"], "country": "de", "timezone": "Europe/Berlin",
             "available": False},
            format="json",
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["headline"] == "Senior Django engineer"
        assert body["hourly_rate"] == "80.50"
        assert sorted(body["skills"]) == ["Django", "PostgreSQL"]
        assert body["country"] == "DE"
        assert body["available"] is False
        assert api.get(ME).json()["timezone"] == "Europe/Berlin"

    def test_put_updates_too(self, client_for, client_user):
        response = client_for(client_user).put(ME, {"first_name": "Grace", "company": "Hopper Inc"}, format="json")
        assert response.status_code == 200
        assert response.json()["first_name"] == "Grace"
        assert response.json()["company"] == "Hopper Inc"

    def test_clients_have_no_hourly_rate(self, client_for, client_user):
        response = client_for(client_user).patch(ME, {"hourly_rate": "50.00"}, format="json")
        assert response.status_code == 400
        assert "hourly_rate" in response.json()["errors"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [("hourly_rate", "-1"), ("hourly_rate", "12.345"), ("country", "Germany"), ("timezone", "Mars/Base"),
         ("skills", "django"), ("email", "nope")],
    )
    def test_rejects_bad_values(self, client_for, freelancer_user, field, value):
        response = client_for(freelancer_user).patch(ME, {field: value}, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]

    def test_user_type_and_staff_flags_cannot_be_changed(self, client_for, client_user):
        api = client_for(client_user)
        api.patch(ME, {"user_type": "freelancer", "is_staff": True, "email_verified": True}, format="json")
        client_user.refresh_from_db()
        assert client_user.user_type == "client"
        assert client_user.is_staff is False

    def test_email_stays_unique_and_a_new_one_must_be_verified(
        self, client_for, client_user, freelancer_user, django_capture_on_commit_callbacks
    ):
        api = client_for(client_user)
        taken = api.patch(ME, {"email": freelancer_user.email.upper(), "current_password": PASSWORD}, format="json")
        assert taken.status_code == 400 and "email" in taken.json()["errors"]
        # A stolen token alone cannot move the account to another inbox.
        no_password = api.patch(ME, {"email": "thief@example.com"}, format="json")
        assert no_password.status_code == 400 and "current_password" in no_password.json()["errors"]
        wrong = api.patch(ME, {"email": "thief@example.com", "current_password": "guess"}, format="json")
        assert wrong.status_code == 400
        with django_capture_on_commit_callbacks(execute=True):
            changed = api.patch(ME, {"email": "new-address@example.com", "current_password": PASSWORD},
                                format="json")
        assert changed.status_code == 200
        assert changed.json()["email"] == "new-address@example.com"
        assert changed.json()["email_verified"] is False
        assert mail.outbox[-1].to == ["new-address@example.com"]

    def test_avatar_upload_is_checked_and_reencoded(self, client_for, freelancer_user, tmp_path, settings):
        import io

        from PIL import Image

        settings.MEDIA_ROOT = str(tmp_path)
        api = client_for(freelancer_user)
        fake = io.BytesIO(b"<?php echo 'not an image'; ?>")
        fake.name = "avatar.png"
        response = api.patch(ME, {"avatar": fake}, format="multipart")
        assert response.status_code == 400 and "avatar" in response.json()["errors"]

        buffer = io.BytesIO()
        Image.new("RGB", (1200, 800), "teal").save(buffer, format="JPEG")
        buffer.seek(0)
        buffer.name = "me.jpg"
        response = api.patch(ME, {"avatar": buffer}, format="multipart")
        assert response.status_code == 200, response.json()
        assert response.json()["avatar"]
        freelancer_user.refresh_from_db()
        with Image.open(freelancer_user.avatar.path) as stored:
            assert max(stored.size) == 512

    def test_anonymous_gets_401(self, api_client):
        assert api_client.patch(ME, {"first_name": "X"}, format="json").status_code == 401


class TestEmailVerification:
    def _token_from_outbox(self):
        match = re.search(r"/verify-email/([^/\s]+)/", mail.outbox[-1].body)
        assert match, mail.outbox[-1].body
        return match.group(1)

    def test_the_link_in_the_email_verifies_the_address(self, api_client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            register(api_client)
        token = self._token_from_outbox()
        response = api_client.post("/api/auth/verify-email", {"token": token}, format="json")
        assert response.status_code == 200
        assert response.json()["email_verified"] is True
        # Using it again is harmless.
        assert api_client.post("/api/auth/verify-email", {"token": token}, format="json").status_code == 200

    def test_a_forged_token_is_refused(self, api_client):
        response = api_client.post("/api/auth/verify-email", {"token": "forged"}, format="json")
        assert response.status_code == 400
        assert response.json()["error_type"] == "invalid_token"

    def test_resend(self, client_for, make_user, django_capture_on_commit_callbacks):
        user = make_user("client", email_verified=False)
        api = client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            assert api.post("/api/auth/verify-email/resend").status_code == 200
        assert mail.outbox[-1].to == [user.email]
        user.email_verified = True
        user.save()
        assert api.post("/api/auth/verify-email/resend").status_code == 400
        anonymous = api.__class__()
        assert anonymous.post("/api/auth/verify-email/resend").status_code == 401


class TestUsers:
    def test_staff_lists_and_searches_users(self, client_for, staff_user, client_user, freelancer_user):
        api = client_for(staff_user)
        body = api.get("/api/users").json()
        assert body["count"] == 3
        assert set(body) == {"count", "next", "previous", "results"}
        found = api.get("/api/users", {"search": freelancer_user.email}).json()
        assert [row["id"] for row in found["results"]] == [freelancer_user.id]
        clients = api.get("/api/users", {"user_type": "client"}).json()
        assert [row["id"] for row in clients["results"]] == [client_user.id]

    def test_page_size_is_capped(self, client_for, staff_user, make_user):
        for _ in range(3):
            make_user("client")
        body = client_for(staff_user).get("/api/users", {"page_size": 2}).json()
        assert len(body["results"]) == 2 and body["next"]
        assert client_for(staff_user).get("/api/users", {"page": 99}).status_code == 404

    def test_others_may_not_list_users(self, client_for, client_user, freelancer_user, api_client):
        assert client_for(client_user).get("/api/users").status_code == 403
        assert client_for(freelancer_user).get("/api/users").status_code == 403
        assert api_client.get("/api/users").status_code == 401

    def test_public_profile_shows_no_private_fields(self, api_client, freelancer_user):
        response = api_client.get(f"/api/users/{freelancer_user.id}")
        assert response.status_code == 200
        body = response.json()
        assert body["headline"] == "Django developer"
        assert "email" not in body and "is_staff" not in body

    def test_a_client_profile_shows_hiring_figures(self, api_client, client_user, freelancer_user):
        from contracts.tests.factories import make_contract
        from marketplace.tests.factories import make_project
        from payments.services import funding_record

        contract = make_contract(client_user, freelancer_user)
        make_project(client_user)  # posted, nobody hired yet
        funding_record(payer=client_user, payment_intent_id="pi_profile", amount_minor=123450, currency="usd",
                       contract_id=contract.pk, milestone_id=1, description="Escrow")
        figures = api_client.get(f"/api/users/{client_user.id}").json()["client"]
        assert figures == {"projects_posted": 2, "hire_rate": 50, "total_spent": "1234.50", "currency": "usd"}
        assert api_client.get(f"/api/users/{freelancer_user.id}").json()["client"] is None

    def test_suspended_and_missing_profiles_are_404(self, api_client, make_user):
        gone = make_user("freelancer", is_active=False)
        assert api_client.get(f"/api/users/{gone.id}").status_code == 404
        response = api_client.get("/api/users/999999")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "error_type": "not_found"}
