"""The admin speaks the staff member's language: action names, their messages, the split pages and the labels of
staff-only choices in German or Spanish; the pages shown when the server fails follow the active language too."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from core.tests.test_admin import contract, dispute, funded, run_action, shown_messages, stripe  # noqa: F401
from risk.models import RiskCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def german_staff(client, staff_user):
    staff_user.language = "de"
    staff_user.save(update_fields=["language"])
    client.force_login(staff_user)
    return client


def test_a_german_staff_member_resolves_a_dispute_in_german(german_staff, dispute) -> None:  # noqa: F811
    changelist = german_staff.get("/admin/contracts/dispute/").content.decode()
    assert "Entscheiden: an den Freelancer freigeben" in changelist
    assert "Entscheiden: aufteilen" in changelist and "Resolve: split" not in changelist

    page = german_staff.post("/admin/contracts/dispute/", {"action": "resolve_split",
                                                           "_selected_action": [dispute.pk]})
    assert page.status_code == 200
    html = page.content.decode()
    with translation.override("de"):
        home, part = gettext("Home"), gettext("Freelancer's part")
    assert f">{home}</a>" in html and home != "Home"
    assert escape(part) in html and part != "Freelancer's part"
    assert "&rsaquo; Durch Aufteilen entscheiden" in html
    assert "<strong>Angegebener Grund:</strong> The work never arrived." in html
    assert "Geben Sie an, wie viel davon an den Freelancer" in html
    assert 'value="Aufteilen und Geld bewegen"' in html and "Zurück, ohne zu entscheiden" in html
    assert "Reason given" not in html and "Split and move the money" not in html

    done = run_action(german_staff, "contracts.dispute", "resolve_release", [dispute.pk])
    assert "1 Streitfall entschieden: von unserem Team an den Freelancer freigegeben." in shown_messages(done)


def test_fraud_cases_in_spanish_for_a_browser_asking_for_spanish(client, staff_user, make_user) -> None:
    client.force_login(staff_user)
    suspect = make_user("freelancer")
    RiskCase.objects.create(user=suspect, score=90, reasons=[{"rule": "card_velocity", "points": 90,
                                                              "detail": "Five cards in an hour"}])

    html = client.get("/admin/risk/riskcase/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Pendiente de revisión" in html and "Waiting for review" not in html
    assert "Señales de fraude" in html  # the app's name in the breadcrumbs
    assert "Confirmar fraude: suspender la cuenta" in html  # the action, as the catalogue had it already

    done = client.post("/admin/risk/riskcase/", {"action": "confirm_fraud",
                                                 "_selected_action": [RiskCase.objects.get().pk]},
                       HTTP_ACCEPT_LANGUAGE="es")
    assert "1 caso confirmado como fraude; la cuenta está suspendida." in shown_messages(done)
    suspect.refresh_from_db()
    assert suspect.is_active is False


def test_the_unavailable_page_follows_the_active_language_and_needs_no_request() -> None:
    with translation.override("en"):
        english = render_to_string("503.html")
    assert '<html lang="en">' in english and "<h1>Back in a moment</h1>" in english
    with translation.override("de"):
        german = render_to_string("503.html")
        server_error = render_to_string("500.html")
    assert '<html lang="de">' in german and "<h1>Gleich wieder da</h1>" in german
    assert "Nichts, was Sie gespeichert haben, ist verloren gegangen." in german
    assert '<html lang="de">' in server_error and "Something went wrong" not in server_error
    with translation.override("es"):
        spanish = render_to_string("503.html")
    assert "<h1>Volvemos enseguida</h1>" in spanish and "Vuelve a intentarlo en unos segundos, o" in spanish
