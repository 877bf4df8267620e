"""Two-factor authentication with codes made by pyotp, as a phone app would make them."""

import base64
import time

import pyotp
import pytest
from django.core import mail

from accounts.models import BackupCode
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def enable(api, django_capture_on_commit_callbacks):
    setup = api.post("/api/auth/2fa/enable").json()
    totp = pyotp.TOTP(setup["secret"])
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api.post("/api/auth/2fa/verify", {"code": totp.now()}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    return setup, totp


def next_code(totp):
    """The code of the next 30-second window: accepted (one step of drift) and not yet used."""
    return totp.at(time.time() + totp.interval)


class TestEnable:
    def test_returns_secret_qr_code_and_eight_backup_codes(self, client_for, client_user):
        response = client_for(client_user).post("/api/auth/2fa/enable")
        assert response.status_code == 200
        body = response.json()
        assert body["qr_code"].startswith("data:image/png;base64,")
        png = base64.b64decode(body["qr_code"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(body["backup_codes"]) == 8 and len(set(body["backup_codes"])) == 8
        assert pyotp.TOTP(body["secret"]).now().isdigit()
        assert "MegiLance" in body["otpauth_url"] or client_user.email in body["otpauth_url"]

    def test_backup_codes_are_stored_hashed(self, client_for, client_user):
        codes = client_for(client_user).post("/api/auth/2fa/enable").json()["backup_codes"]
        stored = list(BackupCode.objects.filter(user=client_user).values_list("code_hash", flat=True))
        assert len(stored) == 8
        for code in codes:
            assert all(code not in value and code.replace("-", "") not in value for value in stored)

    def test_not_on_until_a_code_confirms_it(self, client_for, client_user, api_client):
        api = client_for(client_user)
        api.post("/api/auth/2fa/enable")
        assert api.get("/api/auth/me").json()["two_factor_enabled"] is False
        login = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD}, format="json")
        assert login.json()["requires_2fa"] is False

    def test_a_wrong_code_does_not_confirm(self, client_for, client_user):
        api = client_for(client_user)
        api.post("/api/auth/2fa/enable")
        response = api.post("/api/auth/2fa/verify", {"code": "000000"}, format="json")
        assert response.status_code == 400
        assert response.json()["error_type"] == "invalid_code"
        assert api.get("/api/auth/me").json()["two_factor_enabled"] is False

    def test_confirm_turns_it_on_and_sends_an_email(self, client_for, client_user, django_capture_on_commit_callbacks):
        api = client_for(client_user)
        enable(api, django_capture_on_commit_callbacks)
        assert api.get("/api/auth/me").json()["two_factor_enabled"] is True
        assert mail.outbox[-1].to == [client_user.email]
        assert "two-factor" in mail.outbox[-1].subject.lower() or "2fa" in mail.outbox[-1].subject.lower()
        again = api.post("/api/auth/2fa/enable")
        assert again.status_code == 409

    def test_verify_without_enable(self, client_for, client_user):
        response = client_for(client_user).post("/api/auth/2fa/verify", {"code": "123456"}, format="json")
        assert response.status_code == 400

    def test_needs_a_signed_in_user(self, api_client):
        assert api_client.post("/api/auth/2fa/enable").status_code == 401
        assert api_client.post("/api/auth/2fa/verify", {"code": "1"}, format="json").status_code == 401
        assert api_client.post("/api/auth/2fa/disable", {"code": "1"}, format="json").status_code == 401


class TestLoginWithTwoFactor:
    def test_password_alone_gives_no_tokens(self, client_for, client_user, api_client,
                                            django_capture_on_commit_callbacks):
        enable(client_for(client_user), django_capture_on_commit_callbacks)
        body = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                               format="json").json()
        assert body["requires_2fa"] is True
        assert body["mfa_token"]
        assert "access_token" not in body and "refresh_token" not in body

    def test_code_from_the_phone_completes_sign_in(self, client_for, client_user, api_client,
                                                   django_capture_on_commit_callbacks):
        _, totp = enable(client_for(client_user), django_capture_on_commit_callbacks)
        mfa_token = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                                    format="json").json()["mfa_token"]
        response = api_client.post("/api/auth/2fa/login", {"mfa_token": mfa_token, "code": next_code(totp)},
                                   format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["token_type"] == "bearer" and body["access_token"] and body["refresh_token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
        assert api_client.get("/api/auth/me").json()["email"] == client_user.email

    def test_a_code_cannot_be_replayed(self, client_for, client_user, api_client, django_capture_on_commit_callbacks):
        _, totp = enable(client_for(client_user), django_capture_on_commit_callbacks)
        code = next_code(totp)

        def attempt():
            mfa = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                                  format="json").json()["mfa_token"]
            return api_client.post("/api/auth/2fa/login", {"mfa_token": mfa, "code": code}, format="json")

        assert attempt().status_code == 200
        replay = attempt()
        assert replay.status_code == 401
        assert replay.json()["error_type"] == "code_already_used"
        assert "already used" in replay.json()["detail"]

    def test_backup_codes_work_once_each(self, client_for, client_user, api_client, django_capture_on_commit_callbacks):
        setup, _ = enable(client_for(client_user), django_capture_on_commit_callbacks)
        code = setup["backup_codes"][0]

        def attempt(value):
            mfa = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                                  format="json").json()["mfa_token"]
            return api_client.post("/api/auth/2fa/login", {"mfa_token": mfa, "code": value}, format="json")

        assert attempt(code.upper()).status_code == 200
        assert attempt(code).status_code == 401
        assert attempt(setup["backup_codes"][1]).status_code == 200

    def test_wrong_code_and_bad_mfa_token(self, client_for, client_user, api_client,
                                          django_capture_on_commit_callbacks):
        enable(client_for(client_user), django_capture_on_commit_callbacks)
        mfa = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                              format="json").json()["mfa_token"]
        wrong = api_client.post("/api/auth/2fa/login", {"mfa_token": mfa, "code": "000000"}, format="json")
        assert wrong.status_code == 401
        forged = api_client.post("/api/auth/2fa/login", {"mfa_token": "forged", "code": "000000"}, format="json")
        assert forged.status_code == 401
        assert forged.json()["error_type"] == "invalid_mfa_token"
        missing = api_client.post("/api/auth/2fa/login", {}, format="json")
        assert missing.status_code == 400

    def test_an_mfa_token_works_once(self, client_for, client_user, api_client, django_capture_on_commit_callbacks):
        setup, _ = enable(client_for(client_user), django_capture_on_commit_callbacks)
        mfa = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                              format="json").json()["mfa_token"]
        first = api_client.post("/api/auth/2fa/login", {"mfa_token": mfa, "code": setup["backup_codes"][0]},
                                format="json")
        assert first.status_code == 200
        second = api_client.post("/api/auth/2fa/login", {"mfa_token": mfa, "code": setup["backup_codes"][1]},
                                 format="json")
        assert second.status_code == 401

    def test_an_expired_mfa_token_is_refused(self, client_for, client_user, api_client,
                                             django_capture_on_commit_callbacks):
        import time_machine

        setup, _ = enable(client_for(client_user), django_capture_on_commit_callbacks)
        mfa = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                              format="json").json()["mfa_token"]
        with time_machine.travel(time.time() + 6 * 60):
            response = api_client.post("/api/auth/2fa/login", {"mfa_token": mfa, "code": setup["backup_codes"][0]},
                                       format="json")
        assert response.status_code == 401


def test_after_a_wrong_code_the_next_try_says_to_wait(client_for, client_user, api_client,
                                                      django_capture_on_commit_callbacks):
    _, totp = enable(client_for(client_user), django_capture_on_commit_callbacks)

    def attempt(code):
        mfa = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                              format="json").json()["mfa_token"]
        return api_client.post("/api/auth/2fa/login", {"mfa_token": mfa, "code": code}, format="json")

    assert attempt("000000").status_code == 401
    waiting = attempt(next_code(totp))
    assert waiting.status_code == 429
    assert waiting.json()["error_type"] == "too_many_attempts" and "Wait" in waiting.json()["detail"]
    time.sleep(1.1)
    assert attempt(next_code(totp)).status_code == 200


class TestDisable:
    def test_needs_a_valid_code(self, client_for, client_user, django_capture_on_commit_callbacks):
        api = client_for(client_user)
        _, totp = enable(api, django_capture_on_commit_callbacks)
        assert api.post("/api/auth/2fa/disable", {"code": "000000"}, format="json").status_code == 400
        assert api.post("/api/auth/2fa/disable", {}, format="json").status_code == 400
        time.sleep(1.1)  # after a wrong code django-otp makes the next try wait a second
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/auth/2fa/disable", {"code": next_code(totp)}, format="json")
        assert response.status_code == 200
        assert api.get("/api/auth/me").json()["two_factor_enabled"] is False
        assert "disabled" in mail.outbox[-1].subject.lower() or "off" in mail.outbox[-1].subject.lower()
        assert not BackupCode.objects.filter(user=client_user).exists()

    def test_when_not_enabled(self, client_for, client_user):
        response = client_for(client_user).post("/api/auth/2fa/disable", {"code": "123456"}, format="json")
        assert response.status_code == 400
        assert response.json()["error_type"] == "two_factor_not_enabled"
