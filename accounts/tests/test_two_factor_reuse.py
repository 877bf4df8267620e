"""A code from the window just used (to turn two-factor on, or to sign in) says so, instead of "not valid"."""

import html

import pyotp

from accounts import two_factor
from accounts.tests.factories import PASSWORD


def test_signing_in_with_the_code_that_just_turned_two_factor_on_says_it_was_used(client, freelancer_user) -> None:
    client.force_login(freelancer_user)
    response = client.post("/settings/security/", {"action": "begin"})
    secret = response.context["setup"]["secret"]
    code = pyotp.TOTP(secret).now()
    response = client.post("/settings/security/", {"action": "confirm", "code": code})
    assert response.status_code == 302
    client.post("/logout/")

    client.post("/login/", {"email": freelancer_user.email, "password": PASSWORD})
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "That code was already used" in page
    assert "wait for the next one" in page
    assert "not valid" not in page
    assert "_auth_user_id" not in client.session


def test_turning_off_with_the_code_just_used_says_it_was_used(client, freelancer_user) -> None:
    client.force_login(freelancer_user)
    secret = client.post("/settings/security/", {"action": "begin"}).context["setup"]["secret"]
    code = pyotp.TOTP(secret).now()
    client.post("/settings/security/", {"action": "confirm", "code": code})

    response = client.post("/settings/security/", {"action": "disable", "code": code})
    assert response.status_code == 400
    assert "That code was already used" in html.unescape(response.content.decode())
    assert two_factor.is_enabled(freelancer_user)


def test_a_wrong_code_is_still_not_valid(client, freelancer_user) -> None:
    client.force_login(freelancer_user)
    secret = client.post("/settings/security/", {"action": "begin"}).context["setup"]["secret"]
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    response = client.post("/settings/security/", {"action": "confirm", "code": wrong})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "That code is not valid" in page
    assert "already used" not in page
