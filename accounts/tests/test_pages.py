"""The account pages, end to end through Django's test client: what a person sees and can do."""

import io
import re
import time
from urllib.parse import urlparse

import pyotp
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from PIL import Image

from accounts import two_factor
from accounts.models import User
from accounts.tests.factories import PASSWORD
from core.mail import email_render
from tests.helpers.pages import assert_accessible_page, audit

NEW_PASSWORD = "a-brand-new-long-passphrase-42"


# --- helpers ------------------------------------------------------------------------------------


def link_from(message: mail.EmailMessage, path_prefix: str) -> str:
    """The path of the first link in an e-mail's text that starts with `path_prefix`."""
    for url in re.findall(r"https?://\S+", message.body):
        path = urlparse(url).path
        if path.startswith(path_prefix):
            return path
    raise AssertionError(f"no {path_prefix} link in: {message.body}")


def enable_two_factor(user: User) -> str:
    setup = two_factor.two_factor_begin(user=user)
    two_factor.two_factor_confirm(user=user, code=pyotp.TOTP(setup["secret"]).now())
    return setup["secret"]


def next_window_code(secret: str) -> str:
    """A code the device has not seen yet: django-otp accepts one step ahead and refuses replays."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def wait_out_device_throttle() -> None:
    """django-otp refuses every code for 1 s after a wrong one (doubling with each failure)."""
    time.sleep(1.1)


def png_upload(name: str = "me.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- every page renders, with one h1 and labelled fields ---------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/signup/", "/login/", "/logout/", "/password-reset/", "/password-reset/sent/"]
)
def test_public_pages_render(client, db, url) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert_accessible_page(response)
    assert 'href="/login/"' in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/settings/profile/", "/settings/password/", "/settings/security/",
                                 "/settings/billing-details/", "/logout/"])
@pytest.mark.parametrize("kind", ["client", "freelancer"])
def test_signed_in_pages_render(client, make_user, url, kind) -> None:
    user = make_user(kind)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert_accessible_page(response)
    html = response.content.decode()
    assert user.get_full_name() in html
    assert 'action="/logout/"' in html
    assert 'href="/settings/security/"' in html


def test_home_has_search_box_and_featured_section(client, db) -> None:
    html = client.get("/").content.decode()
    assert 'action="/projects/"' in html
    assert re.search(r'<label for="home-search">', html)
    assert re.search(r'<input[^>]*id="home-search"[^>]*name="search"', html)
    assert "Featured projects" in html
    assert "No projects are featured yet" in html


@pytest.mark.parametrize("url", ["/settings/profile/", "/settings/password/", "/settings/security/",
                                 "/settings/billing-details/"])
def test_settings_pages_redirect_anonymous_users_to_login(client, db, url) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_unknown_page_is_an_html_404(client, db) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()
    assert_accessible_page(response)


def test_unknown_api_url_is_a_json_404(client, db) -> None:
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_500_page_renders_without_a_request_or_database() -> None:
    html = render_to_string("500.html")
    assert html.count("<h1") == 1
    assert "Something went wrong" in html


# --- sign-up and e-mail verification ------------------------------------------------------------


def test_signup_creates_the_account_signs_in_and_sends_the_verification_email(
    client, db, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/signup/", {
            "email": "New.Person@Example.com", "password": PASSWORD, "first_name": "Nadia", "last_name": "Khan",
            "user_type": "freelancer", "company": "",
        })
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    user = User.objects.get(email="new.person@example.com")
    assert user.is_freelancer and not user.email_verified
    assert client.session["_auth_user_id"] == str(user.pk)

    home = client.get("/")
    assert "Nadia Khan" in home.content.decode()
    assert "confirm your e-mail address" in home.content.decode()

    subjects = [message.subject for message in mail.outbox]
    assert any("Welcome" in subject for subject in subjects)
    verification = next(message for message in mail.outbox if "Confirm your e-mail" in message.subject)
    assert verification.to == ["new.person@example.com"]
    assert "48 hours" in verification.body
    html_part = verification.alternatives[0][0]
    assert "48 hours" in html_part

    response = client.get(link_from(verification, "/verify-email/"))
    assert response.status_code == 200
    assert "is confirmed" in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified


def test_the_welcome_after_signup_is_in_the_language_the_visitor_chose(client, db) -> None:
    client.cookies["django_language"] = "es"
    response = client.post("/signup/", {
        "email": "lucia@example.com", "password": PASSWORD, "first_name": "Lucía", "last_name": "Gómez",
        "user_type": "client", "company": "",
    }, follow=True, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert User.objects.get(email="lucia@example.com").language == "es"
    assert ("¡Te damos la bienvenida a MegiLance, Lucía! Hemos enviado un enlace a lucia@example.com: ábrelo "
            "para confirmar tu dirección de correo.") in response.content.decode()
    assert "Welcome to MegiLance" not in response.content.decode()


def test_signup_as_client_keeps_the_company(client, db) -> None:
    response = client.post("/signup/", {
        "email": "boss@example.com", "password": PASSWORD, "first_name": "Bo", "last_name": "Ss",
        "user_type": "client", "company": "Acme Ltd",
    })
    assert response.status_code == 302
    user = User.objects.get(email="boss@example.com")
    assert user.is_client and user.company == "Acme Ltd"


def test_signup_shows_errors_next_to_the_fields(client, make_user) -> None:
    make_user("client", email="taken@example.com")
    response = client.post("/signup/", {
        "email": "taken@example.com", "password": PASSWORD, "first_name": "A", "last_name": "B", "user_type": "client",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert "already exists" in html
    assert "_auth_user_id" not in client.session

    response = client.post("/signup/", {
        "email": "fresh@example.com", "password": "12345678", "first_name": "A", "last_name": "B",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_user_type_error"' in html
    assert not User.objects.filter(email="fresh@example.com").exists()

    response = client.post("/signup/", {
        "email": "fresh@example.com", "password": "12345678", "first_name": "A", "last_name": "B",
        "user_type": "freelancer",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_password_error"' in html
    assert "too common" in html or "entirely numeric" in html
    assert_accessible_page(response)


def test_verify_email_with_a_bad_token_explains_and_offers_a_new_link(
    client, make_user, django_capture_on_commit_callbacks
) -> None:
    response = client.get("/verify-email/not-a-real-token/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert_accessible_page(response)

    user = make_user("client", email_verified=False)
    client.force_login(user)
    response = client.get("/verify-email/not-a-real-token/")
    assert "Send me a new confirmation link" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/verify-email/resend/", {"next": "/settings/profile/"})
    assert response.status_code == 302
    assert response["Location"] == "/settings/profile/"
    assert [message.to for message in mail.outbox] == [[user.email]]
    client.get(link_from(mail.outbox[0], "/verify-email/"))
    user.refresh_from_db()
    assert user.email_verified


# --- signing in and out -------------------------------------------------------------------------


def test_login_with_a_wrong_password_shows_an_error(client, client_user) -> None:
    response = client.post("/login/", {"email": client_user.email, "password": "not-the-password"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Invalid e-mail or password." in html
    assert 'role="alert"' in html
    assert "_auth_user_id" not in client.session


def test_login_page_shares_the_api_request_limits(client, client_user, settings) -> None:
    settings.THROTTLE_ENABLED = True
    for _ in range(10):
        assert client.post("/login/", {"email": client_user.email, "password": "wrong"}).status_code == 400
    response = client.post("/login/", {"email": client_user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_empty_login_form_says_what_is_missing(client, db) -> None:
    response = client.post("/login/", {})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_error"' in html and 'id="id_password_error"' in html
    assert 'aria-invalid="true"' in html


def test_asking_for_a_new_verification_link_needs_a_login(client, db) -> None:
    response = client.post("/verify-email/resend/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/settings/profile/"


def test_login_signs_in_and_follows_a_safe_next(client, client_user) -> None:
    response = client.post("/login/?next=/settings/security/", {
        "email": client_user.email.upper(), "password": PASSWORD, "next": "/settings/security/",
    })
    assert response.status_code == 302
    assert response["Location"] == "/settings/security/"
    assert client.session["_auth_user_id"] == str(client_user.pk)


def test_login_ignores_a_next_to_another_site(client, client_user) -> None:
    page = client.get("/login/?next=https://evil.example/steal")
    assert "evil.example" not in page.content.decode()
    response = client.post("/login/", {
        "email": client_user.email, "password": PASSWORD, "next": "https://evil.example/steal",
    })
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_login_with_two_factor_asks_for_a_code(client, freelancer_user) -> None:
    secret = enable_two_factor(freelancer_user)

    response = client.post("/login/", {"email": freelancer_user.email, "password": PASSWORD,
                                       "next": "/settings/profile/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    assert "_auth_user_id" not in client.session

    page = client.get("/login/code/")
    assert page.status_code == 200
    assert_accessible_page(page)
    assert '<label for="id_code">Code</label>' in page.content.decode()

    wrong = client.post("/login/code/", {"code": "000000"})
    assert wrong.status_code == 400
    assert 'id="id_code_error"' in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    wait_out_device_throttle()
    response = client.post("/login/code/", {"code": next_window_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/settings/profile/"
    assert client.session["_auth_user_id"] == str(freelancer_user.pk)
    assert "login_mfa_token" not in client.session


def test_login_with_two_factor_accepts_a_backup_code_once(client, client_user) -> None:
    setup = two_factor.two_factor_begin(user=client_user)
    two_factor.two_factor_confirm(user=client_user, code=pyotp.TOTP(setup["secret"]).now())
    backup = setup["backup_codes"][0]

    client.post("/login/", {"email": client_user.email, "password": PASSWORD})
    response = client.post("/login/code/", {"code": backup.upper()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(client_user.pk)

    client.post("/logout/")
    client.post("/login/", {"email": client_user.email, "password": PASSWORD})
    response = client.post("/login/code/", {"code": backup})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_code_step_without_a_password_step_sends_people_back(client, db) -> None:
    response = client.get("/login/code/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_logout_needs_a_post(client, client_user) -> None:
    client.force_login(client_user)
    page = client.get("/logout/")
    assert page.status_code == 200
    assert "_auth_user_id" in client.session
    assert re.search(r'<button type="submit" class="button">Log out</button>', page.content.decode())

    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert client.get("/settings/profile/").status_code == 302


# --- password reset -----------------------------------------------------------------------------


def test_password_reset_flow(client, client_user, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password-reset/", {"email": client_user.email})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert "If an account exists" in client.get(response["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [client_user.email]
    assert "one hour" in message.body
    path = link_from(message, "/password-reset/confirm/")

    page = client.get(path)
    assert page.status_code == 200
    assert_accessible_page(page)

    mismatch = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    assert 'id="id_new_password2_error"' in mismatch.content.decode()

    weak = client.post(path, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 400
    assert 'id="id_new_password1_error"' in weak.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "password was changed" in mail.outbox[-1].subject
    assert "If this wasn't you" in mail.outbox[-1].body

    reused = client.get(path)
    assert reused.status_code == 400
    assert 'href="/password-reset/"' in reused.content.decode()

    assert client.post("/login/", {"email": client_user.email, "password": PASSWORD}).status_code == 400
    response = client.post("/login/", {"email": client_user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(client_user.pk)


def test_password_reset_says_the_same_for_unknown_addresses(
    client, db, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_password_reset_confirm_with_a_bad_token_explains(client, db) -> None:
    response = client.get("/password-reset/confirm/MQ.bad-token/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "invalid or has expired" in html
    assert 'href="/password-reset/"' in html
    assert_accessible_page(response)
    assert client.post("/password-reset/confirm/MQ.bad-token/", {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 400


# --- settings -----------------------------------------------------------------------------------


def test_freelancer_profile_edit_saves(client, freelancer_user) -> None:
    client.force_login(freelancer_user)
    page = client.get("/settings/profile/")
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert 'name="hourly_rate"' in page.content.decode()
    assert 'name="company"' not in page.content.decode()

    response = client.post("/settings/profile/", {
        "first_name": "Fatima", "last_name": "Ali", "email": freelancer_user.email, "headline": "Python and Django",
        "bio": "Ten years of web work.", "country": "pk", "timezone": "Asia/Karachi", "hourly_rate": "72.50",
        "skills": "Django, PostgreSQL,  , django", "avatar": png_upload(),
    })
    assert response.status_code == 302
    assert response["Location"] == "/settings/profile/"
    user = User.objects.get(pk=freelancer_user.pk)
    assert (user.first_name, user.last_name, user.headline, user.country) == ("Fatima", "Ali", "Python and Django",
                                                                              "PK")
    assert user.timezone == "Asia/Karachi"
    assert str(user.hourly_rate) == "72.50"
    assert user.available is False  # the box was not ticked
    assert sorted(skill.name for skill in user.skills.all()) == ["Django", "PostgreSQL"]
    assert user.avatar

    page = client.get("/settings/profile/").content.decode()
    assert "Your profile has been saved." in page
    assert 'value="Django, PostgreSQL"' in page
    assert 'alt="Your current profile photo"' in page


def test_client_profile_edit_saves_company_and_changes_email(
    client, client_user, django_capture_on_commit_callbacks
) -> None:
    client.force_login(client_user)
    page = client.get("/settings/profile/").content.decode()
    assert 'name="company"' in page and 'name="hourly_rate"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/settings/profile/", {
            "first_name": "Carl", "last_name": "Client", "email": "carl.new@example.com", "timezone": "UTC",
            "company": "Globex", "current_password": PASSWORD,
        })
    assert response.status_code == 302
    user = User.objects.get(pk=client_user.pk)
    assert user.company == "Globex"
    assert user.email == "carl.new@example.com" and not user.email_verified
    assert mail.outbox[-1].to == ["carl.new@example.com"]
    assert client.get("/settings/profile/").status_code == 200  # still signed in


def test_profile_errors_are_shown_next_to_the_fields(client, freelancer_user, make_user) -> None:
    make_user("client", email="someone@example.com")
    client.force_login(freelancer_user)
    response = client.post("/settings/profile/", {
        "first_name": "F", "last_name": "L", "email": "someone@example.com", "timezone": "UTC",
        "country": "Germany", "hourly_rate": "-3",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_country_error"' in html
    assert 'id="id_hourly_rate_error"' in html

    response = client.post("/settings/profile/", {
        "first_name": "F", "last_name": "L", "email": "someone@example.com", "timezone": "UTC",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_error"' in html and "already exists" in html

    response = client.post("/settings/profile/", {
        "first_name": "F", "last_name": "L", "email": freelancer_user.email, "timezone": "UTC",
        "avatar": SimpleUploadedFile("fake.png", b"not an image", content_type="image/png"),
    })
    assert response.status_code == 400
    assert 'id="id_avatar_error"' in response.content.decode()


def test_password_change_keeps_this_browser_signed_in(client, client_user) -> None:
    client.force_login(client_user)
    wrong = client.post("/settings/password/", {
        "current_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert wrong.status_code == 400
    assert 'id="id_current_password_error"' in wrong.content.decode()

    response = client.post("/settings/password/", {
        "current_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert client.get("/settings/profile/").status_code == 200
    assert User.objects.get(pk=client_user.pk).check_password(NEW_PASSWORD)


def test_security_page_turns_two_factor_on_and_off(
    client, freelancer_user, django_capture_on_commit_callbacks
) -> None:
    client.force_login(freelancer_user)
    page = client.get("/settings/security/").content.decode()
    assert "Two-factor authentication is off." in page
    assert "Turn on two-factor authentication" in page

    response = client.post("/settings/security/", {"action": "begin"})
    assert response.status_code == 200
    assert_accessible_page(response)
    html = response.content.decode()
    secret = response.context["setup"]["secret"]
    codes = response.context["backup_codes"]
    assert len(codes) == 8
    assert all(code in html for code in codes)
    assert secret in html
    assert re.search(r'<img class="qr" src="data:image/png;base64,[^"]+"[^>]*alt="QR code', html)
    assert all(code not in str(dict(client.session)) for code in codes)

    again = client.get("/settings/security/").content.decode()
    assert secret in again
    assert not any(code in again for code in codes)  # shown once only

    wrong = client.post("/settings/security/", {"action": "confirm", "code": "123456"})
    assert wrong.status_code == 400
    assert 'id="id_code_error"' in wrong.content.decode()
    assert not two_factor.is_enabled(freelancer_user)

    wait_out_device_throttle()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/settings/security/", {"action": "confirm", "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert two_factor.is_enabled(freelancer_user)
    assert "two_factor_setup" not in client.session
    assert mail.outbox[-1].subject.startswith("Two-factor authentication is now on")

    page = client.get("/settings/security/").content.decode()
    assert "Two-factor authentication is on." in page
    assert "8 unused backup codes" in page
    assert "Turn off two-factor authentication" in page
    assert secret not in page

    wrong = client.post("/settings/security/", {"action": "disable", "code": "000000"})
    assert wrong.status_code == 400
    assert two_factor.is_enabled(freelancer_user)

    wait_out_device_throttle()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/settings/security/", {"action": "disable", "code": next_window_code(secret)})
    assert response.status_code == 302
    assert not two_factor.is_enabled(freelancer_user)
    assert "turned off" in mail.outbox[-1].subject
    assert "Two-factor authentication is off." in client.get("/settings/security/").content.decode()


# --- templates the pages do not render themselves ----------------------------------------------


def test_dev_inbox_templates_show_html_sandboxed_and_text_with_links(rf, db) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = rf.get("/dev/inbox/")
    request.user = AnonymousUser()
    request.session = {}
    request._messages = FallbackStorage(request)
    item = {"id": "20250101-abc", "subject": "Reset your MegiLance password", "to": "a@example.com",
            "date": "Wed, 1 Jan 2025 10:00:00 +0000", "text": "Open http://127.0.0.1:8000/password-reset/confirm/x/",
            "html": '<p class="x">Hi "you"</p>'}
    listing = render_to_string("devtools/dev_inbox.html", {"emails": [item]}, request=request)
    assert audit(listing).h1 == 1
    assert 'href="/dev/inbox/20250101-abc/"' in listing
    detail = render_to_string("devtools/dev_inbox_message.html", {"message": item}, request=request)
    assert audit(detail).h1 == 1
    assert 'sandbox=""' in detail
    assert 'srcdoc="&lt;p class=&quot;x&quot;&gt;Hi &quot;you&quot;&lt;/p&gt;"' in detail
    assert '<a href="http://127.0.0.1:8000/password-reset/confirm/x/"' in detail


@pytest.mark.parametrize("template", ["welcome", "email_verification", "password_reset_request",
                                      "password_reset_success", "2fa_enabled", "2fa_disabled"])
@pytest.mark.parametrize("user_type", ["client", "freelancer"])
def test_email_templates_render(template, user_type) -> None:
    context = {"user": {"first_name": "Ann O'Neil", "email": "ann@example.com", "user_type": user_type},
               "link": "http://127.0.0.1:8000/some/link/?a=1&b=2", "token": "tok",
               "security_url": "http://127.0.0.1:8000/settings/security/"}
    subject, text, html = email_render(template=template, context=context)
    assert subject and "\n" not in subject and "&#x27;" not in subject
    assert "Hi Ann O'Neil," in text  # the text part is not HTML-escaped
    assert "Ann O&#x27;Neil" in html
    assert html.lstrip().startswith("<!doctype html>")
    if template in ("email_verification", "password_reset_request"):
        assert "http://127.0.0.1:8000/some/link/?a=1&b=2" in text
        assert 'href="http://127.0.0.1:8000/some/link/?a=1&amp;b=2"' in html
    if template in ("password_reset_success", "2fa_enabled", "2fa_disabled"):
        assert "If this wasn't you" in text
        assert "/settings/security/" in text
