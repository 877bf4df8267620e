"""Which language and time zone a person gets: their profile first, then the switcher's cookie, then the
browser's Accept-Language; the switcher saves the choice on the signed-in person's profile."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import PASSWORD, make_user
from core.middleware import UserLocaleMiddleware

pytestmark = pytest.mark.django_db

HOME_EN = "Hire great freelancers. Find work you love."
HOME_ES = "Contrata a grandes profesionales. Encuentra un trabajo que te encante."
HOME_DE = "Großartige Freelancer beauftragen. Arbeit finden, die Sie lieben."


def signed_in(user: User, **headers: str) -> Client:
    client = Client(**headers)
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_an_anonymous_visitor_gets_the_language_their_browser_asks_for() -> None:
    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    html = page.content.decode()
    assert HOME_ES in html and HOME_EN not in html
    assert '<html lang="es">' in html
    assert page["Content-Language"] == "es"
    assert "Iniciar sesión" in html  # the header's "Log in"


def test_a_language_the_site_does_not_have_falls_back_to_english() -> None:
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert HOME_EN in html and '<html lang="en">' in html


def test_the_switcher_cookie_beats_the_browser() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/projects/"})
    assert response.status_code == 302 and response["Location"] == "/projects/"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert HOME_DE in html


def test_the_profile_language_beats_the_browser_and_the_cookie() -> None:
    user = make_user("client", language="de")
    client = signed_in(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    assert HOME_DE in html
    assert "Abmelden" in html  # the header's "Log out"


def test_someone_who_chose_no_language_follows_their_browser() -> None:
    user = make_user("client", language="")
    html = signed_in(user).get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert HOME_ES in html


def test_the_switcher_saves_the_choice_on_the_signed_in_persons_profile() -> None:
    user = make_user("freelancer")
    client = signed_in(user)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/settings/profile/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "es"
    page = client.get("/settings/profile/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h1>Ajustes del perfil</h1>" in page


def test_the_switcher_refuses_a_language_the_site_does_not_have() -> None:
    user = make_user("client", language="de")
    signed_in(user).post("/i18n/setlang/", {"language": "fr", "next": "/"})
    user.refresh_from_db()
    assert user.language == "de"


def test_every_page_has_the_switcher_with_a_label_and_the_current_language_chosen() -> None:
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<label for="language-choice">Sprache</label>' in html
    assert '<option value="de" lang="de" selected>Deutsch</option>' in html
    assert '<button type="submit" class="button button--small button--secondary">Sprache ändern</button>' in html


def test_the_profile_page_sets_language_time_zone_and_display_currency() -> None:
    user = make_user("client", first_name="Ada", last_name="Lovelace")
    client = signed_in(user)
    page = client.get("/settings/profile/").content.decode()
    for label in ("Language", "Time zone", "Also show amounts in"):
        assert f">{label}" in page
    response = client.post("/settings/profile/", {
        "first_name": "Ada", "last_name": "Lovelace", "email": user.email, "timezone": "Europe/Berlin",
        "language": "de", "display_currency": "eur",
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.language, user.timezone, user.display_currency) == ("de", "Europe/Berlin", "eur")
    assert "Ihr Profil wurde gespeichert." in client.get("/settings/profile/").content.decode()


def test_the_api_reads_and_changes_language_and_display_currency(client_for) -> None:
    user = make_user("freelancer")
    api = client_for(user)
    me = api.patch("/api/auth/me", {"language": "es", "display_currency": "gbp", "timezone": "America/Mexico_City"},
                   format="json")
    assert me.status_code == 200
    assert (me.json()["language"], me.json()["display_currency"], me.json()["timezone"]) == (
        "es", "gbp", "America/Mexico_City")
    bad = api.patch("/api/auth/me", {"language": "fr", "timezone": "Mars/Olympus"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"language", "timezone"}


def test_sign_up_keeps_the_language_and_the_browser_time_zone() -> None:
    client = Client()
    response = client.post("/signup/", {
        "user_type": "freelancer", "first_name": "Lena", "last_name": "Vogel", "email": "lena@example.com",
        "password": "a-long-and-unusual-passphrase-77", "timezone": "Europe/Berlin",
    }, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert response.status_code == 302
    user = User.objects.get(email="lena@example.com")
    assert (user.language, user.timezone) == ("de", "Europe/Berlin")


def test_sign_up_with_an_unknown_browser_time_zone_leaves_utc() -> None:
    Client().post("/signup/", {
        "user_type": "client", "first_name": "Ola", "last_name": "Berg", "email": "ola@example.com",
        "password": "a-long-and-unusual-passphrase-77", "timezone": "Nowhere/Special",
    })
    assert User.objects.get(email="ola@example.com").timezone == "UTC"


def _zone_seen_by_a_view(user: object) -> str:
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["zone"] = timezone.get_current_timezone_name()
        seen["local"] = f"{timezone.localtime(datetime(2026, 7, 17, 15, 0, tzinfo=UTC)):%H:%M}"
        return HttpResponse("")

    request = RequestFactory().get("/")
    request.user = user
    UserLocaleMiddleware(view)(request)
    return f"{seen['zone']} {seen['local']}"


def test_times_are_shown_in_the_signed_in_persons_time_zone() -> None:
    berlin = make_user("client", timezone="Europe/Berlin")
    tokyo = make_user("freelancer", timezone="Asia/Tokyo")
    # 15:00 UTC on 17 July 2026 is 17:00 in Berlin (summer time, UTC+2) and midnight in Tokyo (UTC+9).
    assert _zone_seen_by_a_view(berlin) == "Europe/Berlin 17:00"
    assert _zone_seen_by_a_view(tokyo) == "Asia/Tokyo 00:00"
    assert timezone.get_current_timezone() == zoneinfo.ZoneInfo("UTC")  # and put back afterwards


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "18 December 2026 · 18 Dec 2026 16:05 · December 2026"),
    ("de", "18. Dezember 2026 · 18. Dez 2026, 16:05 · Dezember 2026"),
    ("es", "18 de diciembre de 2026 · 18 Dic 2026 16:05 · diciembre de 2026"),
])
def test_dates_on_pages_follow_the_language(language: str, expected: str) -> None:
    from django.template import Context, Template
    from django.utils import translation

    moment = datetime(2026, 12, 18, 16, 5, tzinfo=UTC)
    template = Template('{{ moment|date:"DATE_FORMAT" }} · {{ moment|date:"SHORT_DATETIME_FORMAT" }} · '
                        '{{ moment|date:"YEAR_MONTH_FORMAT" }}')
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert template.render(Context({"moment": moment})) == expected


def test_an_app_signed_in_with_a_token_gets_answers_in_the_persons_language(client_for) -> None:
    user = make_user("client", language="de", timezone="Europe/Berlin")
    api = client_for(user)
    response = api.patch("/api/auth/me", {"timezone": "Mars/Olympus"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Language"] == "de"
    assert response.json()["errors"]["timezone"] == ["Wählen Sie eine Zeitzone wie Europe/Berlin oder UTC."]
    assert timezone.get_current_timezone_name() == "UTC"  # the person's zone does not outlive the request
