"""The second factor's fallback: with two-factor on and a verified phone, "Text me a code" sends a sign-in code
by text (through moto's SNS) that completes the sign-in once, on the API and on the sign-in page."""

import base64
import logging
import time

import pyotp
import pytest

from accounts import phone, two_factor
from accounts.tests.factories import PASSWORD
from tests.helpers.pages import assert_accessible_page

pytestmark = pytest.mark.django_db

NUMBER = "+14155550123"


def verify_phone(user, sns, capture):
    with capture(execute=True):
        phone.phone_verification_start(user=user, phone_number=NUMBER)
    with capture(execute=True):
        phone.phone_verification_confirm(user=user, code=sns.last_code(NUMBER))


def enable_two_factor(user):
    setup = two_factor.two_factor_begin(user=user)
    two_factor.two_factor_confirm(user=user, code=pyotp.TOTP(setup["secret"]).now())


@pytest.fixture
def member(sns, freelancer_user, django_capture_on_commit_callbacks):
    enable_two_factor(freelancer_user)
    verify_phone(freelancer_user, sns, django_capture_on_commit_callbacks)
    return freelancer_user


def mfa_token(api_client, user):
    body = api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD}, format="json").json()
    assert body["requires_2fa"] is True
    return body["mfa_token"]


class TestApi:
    def test_a_texted_code_completes_the_sign_in_once(self, sns, member, api_client,
                                                        django_capture_on_commit_callbacks, caplog):
        caplog.set_level(logging.DEBUG)
        token = mfa_token(api_client, member)
        with django_capture_on_commit_callbacks(execute=True):
            sent = api_client.post("/api/auth/2fa/sms", {"mfa_token": token}, format="json")
        assert sent.status_code == 200, sent.json()
        assert sent.json()["phone_number"].endswith("123") and NUMBER not in sent.json()["phone_number"]
        assert sent.json()["expires_in"] == 600
        assert "sign-in code" in sns.texts(NUMBER)[-1]
        code = sns.last_code(NUMBER)

        signed_in = api_client.post("/api/auth/2fa/login", {"mfa_token": token, "code": code}, format="json")
        assert signed_in.status_code == 200, signed_in.json()
        assert signed_in.json()["access_token"] and signed_in.json()["requires_2fa"] is False

        again = api_client.post("/api/auth/2fa/login", {"mfa_token": mfa_token(api_client, member), "code": code},
                                format="json")
        assert again.status_code == 401 and "access_token" not in again.json()
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert code not in logged and token not in logged

    def test_a_wrong_texted_code_signs_nobody_in(self, sns, member, api_client, django_capture_on_commit_callbacks):
        token = mfa_token(api_client, member)
        with django_capture_on_commit_callbacks(execute=True):
            api_client.post("/api/auth/2fa/sms", {"mfa_token": token}, format="json")
        wrong = f"{(int(sns.last_code(NUMBER)) + 1) % 1000000:06d}"
        response = api_client.post("/api/auth/2fa/login", {"mfa_token": token, "code": wrong}, format="json")
        assert response.status_code == 401 and "access_token" not in response.json()

    def test_without_a_verified_phone_nothing_is_sent(self, sns, client_user, api_client,
                                                      django_capture_on_commit_callbacks):
        enable_two_factor(client_user)
        token = mfa_token(api_client, client_user)
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post("/api/auth/2fa/sms", {"mfa_token": token}, format="json")
        assert response.status_code == 409 and response.json()["error_type"] == "no_phone_number"
        assert sns.texts() == []

    def test_a_forged_sign_in_step_sends_nothing(self, sns, member, api_client, django_capture_on_commit_callbacks):
        before = len(sns.texts())
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post("/api/auth/2fa/sms", {"mfa_token": "forged"}, format="json")
        assert response.status_code == 401 and response.json()["error_type"] == "invalid_mfa_token"
        assert len(sns.texts()) == before

    def test_the_authenticator_app_still_works_with_a_phone(self, sns, member, api_client):
        device = two_factor.confirmed_device(member)
        code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).at(time.time() + 30)  # a window not yet used
        response = api_client.post("/api/auth/2fa/login", {"mfa_token": mfa_token(api_client, member), "code": code},
                                   format="json")
        assert response.status_code == 200, response.json()


class TestLoginPage:
    def test_text_me_a_code_on_the_sign_in_page(self, sns, member, client, django_capture_on_commit_callbacks):
        client.post("/login/", {"email": member.email, "password": PASSWORD})
        page = client.get("/login/code/")
        assert_accessible_page(page)
        assert "Text me a code</button>" in page.content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            asked = client.post("/login/code/", {"action": "sms"})
        assert asked.status_code == 302 and asked["Location"] == "/login/code/"
        assert "We texted a code to" in client.get("/login/code/").content.decode()
        assert "_auth_user_id" not in client.session

        response = client.post("/login/code/", {"code": sns.last_code(NUMBER)})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(member.pk)

    def test_no_offer_without_a_verified_phone(self, sns, client, client_user):
        enable_two_factor(client_user)
        client.post("/login/", {"email": client_user.email, "password": PASSWORD})
        page = client.get("/login/code/").content.decode()
        assert "Text me a code" not in page
        assert client.post("/login/code/", {"action": "sms"}).status_code == 302
        assert sns.texts() == []
