"""The texts the page scripts write come from /jsi18n/, in the reader's language: every page loads it before
its own scripts, and a German-speaking member gets the chat's, the downloads' and the notifications' words in
German."""

import json

import pytest
from django.test import Client

from accounts.tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_a_german_member_gets_the_scripts_texts_in_german() -> None:
    client = Client()
    assert client.login(email=make_user("client", language="de").email, password=PASSWORD)
    response = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    for english, german in [("Sending…", "Wird gesendet…"), ("New notification", "Neue Benachrichtigung"),
                            ("Preparing your download… %(size)s received",
                             "Ihr Download wird vorbereitet… %(size)s empfangen")]:
        assert f"{json.dumps(english)}: {json.dumps(german)}" in script


def test_an_english_visitor_gets_english_and_every_page_loads_the_catalogue_before_its_scripts() -> None:
    client = Client()
    script = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Benachrichtigung" not in script
    assert "django.gettext" in script
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    catalogue = '<script src="/jsi18n/"></script>'
    assert catalogue in html
    assert html.index(catalogue) < html.index("js/menu.js")
