"""Brute force and password spraying against sign-in, the two-factor step and password reset, as an attacker
would run them: with forged `X-Forwarded-For` headers and from many addresses. The limits hold (429), and the
owner of the account, with the right password from their own client, still gets in."""

import re
import time

import pyotp
import pytest
from django.core import mail

from accounts.models import AuthSession
from accounts.tests.factories import PASSWORD
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.66"
OWNER = "203.0.113.10"
PROXY = "10.0.0.2"


def login(api, email, password, ip, forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return api.post("/api/auth/login", {"email": email, "password": password}, format="json", **extra)


def test_forged_forwarded_for_does_not_escape_the_per_client_limit(api_client, make_user):
    # Spraying: one guess at each of many accounts, every request naming a different made-up address.
    statuses = [login(api_client, f"victim{n}@example.com", "Summer2026!", ATTACKER, forwarded=f"10.9.{n}.1")
                .status_code for n in range(24)]
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429] * 4
    assert AuditEvent.objects.filter(action="login.failed").count() == 20
    assert not AuditEvent.objects.filter(ip_address__startswith="10.9.").exists()


def test_forged_forwarded_for_does_not_escape_the_per_account_limit(api_client, client_user):
    statuses = [login(api_client, client_user.email, f"guess-{n}", ATTACKER, forwarded=f"10.8.{n}.1").status_code
                for n in range(12)]
    assert statuses == [401] * 10 + [429] * 2
    # The owner, from their own client, is not locked out by it.
    response = login(api_client, client_user.email, PASSWORD, OWNER)
    assert response.status_code == 200 and response.json()["access_token"]
    assert AuthSession.objects.get(user=client_user).ip_address == OWNER


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(api_client, client_user, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    # The attacker writes a header of their own; the proxy appends the address it really saw.
    statuses = [login(api_client, client_user.email, f"guess-{n}", PROXY, forwarded=f"10.7.{n}.1, {ATTACKER}")
                .status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    assert set(AuditEvent.objects.filter(action="login.failed").values_list("ip_address", flat=True)) == {ATTACKER}
    # Through the same proxy, the owner's own address is theirs, and the right password works.
    owner = login(api_client, client_user.email, PASSWORD, PROXY, forwarded=OWNER)
    assert owner.status_code == 200
    assert AuthSession.objects.get(user=client_user).ip_address == OWNER
    assert AuditEvent.objects.filter(action="login", target_id=str(client_user.pk)).latest("id").ip_address == OWNER


def test_many_addresses_against_one_account_are_slowed_and_the_owner_still_signs_in(api_client, client_user):
    tried = refused = 0
    for n in range(40):  # forty real addresses, three guesses each within the minute
        for attempt in range(3):
            status = login(api_client, client_user.email, f"guess-{n}-{attempt}", f"192.0.2.{n + 1}").status_code
            assert status in (401, 429)
            tried += status == 401
            refused += status == 429
    # The first ten addresses use up the account-wide ceiling (30 an hour); after it each further address
    # gets one guess a minute instead of ten.
    assert (tried, refused) == (30 + 30, 30 * 2)
    assert login(api_client, client_user.email, "one-more-guess", "192.0.2.1").status_code == 429
    # Slowed, not locked: the owner's client has its try, and the right password signs them in.
    response = login(api_client, client_user.email, PASSWORD, OWNER)
    assert response.status_code == 200 and response.json()["access_token"]
    # Signed in again from the owner's phone: another client, another try.
    assert login(api_client, client_user.email, PASSWORD, "203.0.113.11").status_code == 200


def test_the_sign_in_page_keeps_the_same_limits(client, client_user):
    statuses = [client.post("/login/", {"email": client_user.email, "password": f"guess-{n}"}, REMOTE_ADDR=ATTACKER,
                            HTTP_X_FORWARDED_FOR=f"10.6.{n}.1").status_code for n in range(11)]
    assert statuses[-1] == 429 and 429 not in statuses[:10]
    response = client.post("/login/", {"email": client_user.email, "password": PASSWORD}, REMOTE_ADDR=OWNER)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(client_user.pk)


def enable_2fa(client_for, user, capture):
    api = client_for(user)
    setup = api.post("/api/auth/2fa/enable").json()
    totp = pyotp.TOTP(setup["secret"])
    with capture(execute=True):
        assert api.post("/api/auth/2fa/verify", {"code": totp.now()}, format="json").status_code == 200
    return totp


def test_two_factor_codes_cannot_be_guessed_with_forged_headers(api_client, client_for, client_user,
                                                                  django_capture_on_commit_callbacks):
    totp = enable_2fa(client_for, client_user, django_capture_on_commit_callbacks)
    step = login(api_client, client_user.email, PASSWORD, ATTACKER).json()
    assert step["requires_2fa"] is True
    statuses = []
    for n in range(12):
        # Guesses at backup codes: django-otp's own delay for wrong TOTP codes does not come into it.
        response = api_client.post("/api/auth/2fa/login", {"mfa_token": step["mfa_token"], "code": f"guess-{n}"},
                                   format="json", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.5.{n}.1")
        statuses.append(response.status_code)
    assert statuses == [401] * 10 + [429] * 2
    # The owner, from their own client, signs in with the password and a current code.
    own = login(api_client, client_user.email, PASSWORD, OWNER).json()
    code = totp.at(time.time() + totp.interval)  # the next window's code: the current one confirmed the set-up
    response = api_client.post("/api/auth/2fa/login", {"mfa_token": own["mfa_token"], "code": code},
                               format="json", REMOTE_ADDR=OWNER)
    assert response.status_code == 200 and response.json()["access_token"]


def test_password_reset_mail_cannot_be_flooded_with_forged_headers(api_client, client_user,
                                                                     django_capture_on_commit_callbacks):
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(12):
            statuses.append(api_client.post("/api/auth/password-reset", {"email": client_user.email}, format="json",
                                            REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.4.{n}.1").status_code)
    assert statuses == [200] * 3 + [429] * 9
    assert len([m for m in mail.outbox if client_user.email in m.to]) == 3
    # Spraying reset requests over many accounts from one client stops at the per-client limit.
    with django_capture_on_commit_callbacks(execute=True):
        spray = [api_client.post("/api/auth/password-reset", {"email": f"other{n}@example.com"}, format="json",
                                 REMOTE_ADDR="198.51.100.67", HTTP_X_FORWARDED_FOR=f"10.3.{n}.1").status_code
                 for n in range(11)]
    assert spray == [200] * 10 + [429]
    # The owner, from their own client, still gets a reset link and can use it.
    outbox_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/auth/password-reset", {"email": client_user.email}, format="json",
                                   REMOTE_ADDR=OWNER)
    assert response.status_code == 200 and len(mail.outbox) == outbox_before + 1
    token = re.search(r"/password-reset/confirm/([^/\s]+)/", mail.outbox[-1].body).group(1)
    confirmed = api_client.post("/api/auth/password-reset/confirm",
                                {"token": token, "new_password": "a-brand-new-passphrase"}, format="json",
                                REMOTE_ADDR=OWNER)
    assert confirmed.status_code == 200
    assert login(api_client, client_user.email, "a-brand-new-passphrase", OWNER).status_code == 200


def test_reset_from_many_addresses_is_slowed_not_closed(api_client, client_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            api_client.post("/api/auth/password-reset", {"email": client_user.email}, format="json",
                            REMOTE_ADDR=f"192.0.2.{n + 1}")
            api_client.post("/api/auth/password-reset", {"email": client_user.email}, format="json",
                            REMOTE_ADDR=f"192.0.2.{n + 1}")
    sent = len([m for m in mail.outbox if client_user.email in m.to])
    assert sent <= 10 + 20  # the ceiling, then one an hour per address
    assert api_client.post("/api/auth/password-reset", {"email": client_user.email}, format="json",
                           REMOTE_ADDR="192.0.2.1").status_code == 429
    assert api_client.post("/api/auth/password-reset", {"email": client_user.email}, format="json",
                           REMOTE_ADDR=OWNER).status_code == 200
