"""The staff dashboard speaks the staff member's language: chart titles, descriptions, axes, month names and the
tables' captions come out in German for a German-speaking staff member and in Spanish for one whose browser
asked for Spanish."""

import re

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from analytics.tests.scenario import build_world

PAGE = "/staff/dashboard/"
# Written out here, not taken from Django's formats, so a month name that stayed English would fail.
GERMAN_MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember"]
ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]


def svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


@pytest.fixture
def world(make_user, staff_user):
    return build_world(make_user, staff_user)


def test_a_german_staff_member_reads_the_charts_in_german(world, client, staff_user) -> None:
    staff_user.language = "de"
    staff_user.save(update_fields=["language"])
    client.force_login(staff_user)

    html = client.get(PAGE, {"days": 90, "interval": "month"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    signups = svg(html, "signups-chart")
    assert '<title id="signups-chart-title">Registrierungen im Zeitverlauf</title>' in signups
    assert '<desc id="signups-chart-desc">Neue Konten pro Monat, ' in signups
    with translation.override("de"):
        clients, month_axis = gettext("Clients"), gettext("Month")
    assert clients != "Clients" and month_axis != "Month"
    assert f"{month_axis}</text>" in signups
    today = timezone.localdate()
    this_month = f"{GERMAN_MONTHS[today.month - 1]} {today.year}"
    assert f"<title>{this_month} · {clients}: " in signups  # the month named in German in each point's tooltip
    if GERMAN_MONTHS[today.month - 1] != ENGLISH_MONTHS[today.month - 1]:
        assert ENGLISH_MONTHS[today.month - 1] not in html
    assert f'<time datetime="{today.replace(day=1).isoformat()}">{this_month}</time>' in html  # the table's rows

    assert "Projekte und Angebote im Zeitverlauf</title>" in svg(html, "projects-chart")
    revenue = svg(html, "revenue-chart")
    assert "Umsatz im Zeitverlauf</title>" in revenue and "Treuhandeinzahlungen, Plattformgebühren" in revenue
    funnel = svg(html, "proposal-funnel-chart")
    assert "Angebote nach Status</title>" in funnel
    assert "In den letzten 90 Tagen gesendete Angebote nach ihrem heutigen Status" in funnel
    assert re.search(r"<title>[^<]+: 2 Angebote</title>", funnel)  # the count and its noun, plural in German
    assert "Zahlen pro Monat" in html
    assert "over time" not in html and "by status" not in html


def test_a_staff_member_whose_browser_asks_for_spanish_reads_it_in_spanish(world, client, staff_user) -> None:
    client.force_login(staff_user)  # no language chosen in the profile: the cookie decides
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    html = client.get(PAGE, {"days": 7, "interval": "week"}).content.decode()

    signups = svg(html, "signups-chart")
    assert '<title id="signups-chart-title">Registros a lo largo del tiempo</title>' in signups
    assert "Cuentas nuevas por semana, del " in signups
    assert "<title>Semana del " in signups
    assert "Proyectos por estado</title>" in svg(html, "project-funnel-chart")
    assert "Cifras por semana" in html
    assert "Week of" not in html and "over time" not in html


def test_english_stays_the_default(world, client, staff_user) -> None:
    client.force_login(staff_user)
    html = client.get(PAGE, {"days": 30, "interval": "month"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    today = timezone.localdate()
    assert f"{ENGLISH_MONTHS[today.month - 1]} {today.year}" in svg(html, "signups-chart")
    assert '<title id="signups-chart-title">Sign-ups over time</title>' in html
    assert "New accounts per month, " in html and "Figures per month" in html
