"""Saved searches: kept per owner, validated, and telling their owners about new projects once each."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from discovery import services
from discovery.models import DigestRun, SavedSearch, SavedSearchHit
from discovery.tasks import daily_digests
from marketplace.services import project_update
from marketplace.tests.factories import make_project
from messaging.models import Notification
from messaging.notifications import preferences_update

pytestmark = pytest.mark.django_db

BOOKING = {"search": "booking", "skills": ["Django"], "budget_type": "fixed"}


def alerts_for(user, kind: str = "saved_search_match") -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind).order_by("pk"))


# --- the API ------------------------------------------------------------------------------------


def test_a_search_is_saved_with_its_parameters_checked(client_for, freelancer_user):
    api = client_for(freelancer_user)
    response = api.post("/api/saved-searches", {
        "name": "Django bookings", "alert": "instant",
        "params": {"search": "  booking  site ", "category": "Web development", "skills": ["Django", "Celery"],
                   "budget_min": "500", "budget_max": "5000", "budget_type": "fixed"}}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Django bookings" and body["alert"] == "instant"
    assert body["params"] == {"search": "booking site", "category": "web-development", "skills": ["Django", "Celery"],
                              "budget_min": "500.00", "budget_max": "5000.00", "budget_type": "fixed"}
    assert [row["id"] for row in api.get("/api/saved-searches").json()["results"]] == [body["id"]]
    assert api.get(f"/api/saved-searches/{body['id']}").json()["params"]["category"] == "web-development"


@pytest.mark.parametrize(("params", "field"), [
    ({"colour": "red"}, "params.colour"),
    ({"budget_type": "weekly"}, "params.budget_type"),
    ({"budget_min": "900", "budget_max": "100"}, "params.budget_max"),
    ({"budget_min": "lots"}, "params.budget_min"),
    ({"category": "Underwater basket weaving"}, "params.category"),
    ({"skills": "django"}, None),  # a comma-separated string is accepted as a list
])
def test_parameters_are_refused_by_field(client_for, freelancer_user, params, field):
    response = client_for(freelancer_user).post("/api/saved-searches", {"name": "Mine", "params": params},
                                                format="json")
    if field is None:
        assert response.status_code == 201 and response.json()["params"] == {"skills": ["django"]}
        return
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not SavedSearch.objects.exists()


def test_a_bad_alert_is_refused(client_for, freelancer_user):
    response = client_for(freelancer_user).post("/api/saved-searches", {"name": "Mine", "alert": "hourly"},
                                                format="json")
    assert response.status_code == 400 and "alert" in response.json()["errors"]
    assert not SavedSearch.objects.exists()


def test_the_owner_changes_and_deletes_and_nobody_else_sees_it(client_for, freelancer_user, client_user):
    search = services.saved_search_create(user=freelancer_user, name="Mine", params=BOOKING, alert="daily")
    other = client_for(client_user)
    url = f"/api/saved-searches/{search.pk}"
    assert other.get(url).status_code == 404
    assert other.patch(url, {"alert": "off"}, format="json").status_code == 404
    assert other.delete(url).status_code == 404
    assert other.get("/api/saved-searches").json()["count"] == 0
    search.refresh_from_db()
    assert (search.alert, search.name) == ("daily", "Mine")

    owner = client_for(freelancer_user)
    response = owner.patch(url, {"alert": "instant", "params": {"search": "clinic"}}, format="json")
    assert response.status_code == 200
    assert response.json()["alert"] == "instant" and response.json()["params"] == {"search": "clinic"}
    assert response.json()["name"] == "Mine"
    assert owner.patch(url, {"params": {"budget_type": "weekly"}}, format="json").status_code == 400
    search.refresh_from_db()
    assert search.params == {"search": "clinic"}
    assert owner.delete(url).status_code == 204
    assert not SavedSearch.objects.filter(pk=search.pk).exists()


# --- instant alerts -----------------------------------------------------------------------------


def post(client, **fields):
    data = {"title": "Booking site for a clinic", "skills": ["Django"], "budget_type": "fixed", **fields}
    return make_project(client, **data)


def test_an_instant_alert_arrives_once_per_matching_project(make_user, freelancer_user,
                                                            django_capture_on_commit_callbacks):
    client = make_user("client")
    watcher = make_user("freelancer")
    search = services.saved_search_create(user=freelancer_user, name="Bookings", params=BOOKING, alert="instant")
    services.saved_search_create(user=watcher, name="Logos", params={"search": "logo"}, alert="instant")
    services.saved_search_create(user=watcher, name="Quiet", params=BOOKING, alert="off")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client)
        post(client, title="Logo for a bakery", skills=["Illustrator"])  # matches neither booking search
        post(client, title="Booking app", budget_type="hourly")  # the search wants fixed-price work
    alerts = alerts_for(freelancer_user)
    assert [alert.data for alert in alerts] == [{"project_id": first.pk, "saved_search_id": search.pk}]
    assert alerts[0].title == "New project for “Bookings”" and alerts[0].message == first.title
    assert [message.subject for message in mail.outbox if message.to == [freelancer_user.email]] == [
        "New project for “Bookings”: Booking site for a clinic"]
    # The logo search found the logo; the watcher's booking search is off and says nothing.
    assert [alert.message for alert in alerts_for(watcher)] == ["Logo for a bakery"]

    # Editing the project (it is saved and scored again) tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        project_update(project=first, by=client, data={"description": "Now with reminders by text message."})
    assert len(alerts_for(freelancer_user)) == 1
    assert SavedSearchHit.objects.filter(search=search).count() == 1


def test_a_draft_alerts_when_it_is_posted_and_not_before(make_user, freelancer_user,
                                                         django_capture_on_commit_callbacks):
    client = make_user("client")
    services.saved_search_create(user=freelancer_user, name="Bookings", params=BOOKING, alert="instant")
    with django_capture_on_commit_callbacks(execute=True):
        draft = post(client, status="draft")
    assert alerts_for(freelancer_user) == []
    with django_capture_on_commit_callbacks(execute=True):
        project_update(project=draft, by=client, data={"status": "open"})
    assert [alert.data["project_id"] for alert in alerts_for(freelancer_user)] == [draft.pk]


def test_the_email_follows_the_preference(make_user, freelancer_user, django_capture_on_commit_callbacks):
    client = make_user("client")
    preferences_update(user=freelancer_user, changes={"saved_search_match": {"email": False}})
    services.saved_search_create(user=freelancer_user, name="Bookings", params=BOOKING, alert="instant")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client)
    assert len(alerts_for(freelancer_user)) == 1
    assert not [message for message in mail.outbox if message.to == [freelancer_user.email]]


# --- the daily digest ---------------------------------------------------------------------------

DAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def digests_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email] and "saved searches" in message.subject]


def test_the_daily_digest_runs_once_a_day(make_user, freelancer_user, django_capture_on_commit_callbacks):
    client = make_user("client")
    with time_machine.travel(DAY, tick=False):
        services.saved_search_create(user=freelancer_user, name="Bookings", params=BOOKING, alert="daily")
    with time_machine.travel(DAY + timedelta(hours=3), tick=False):
        one = post(client, title="Booking site for a dentist")
        two = post(client, title="Booking system for a gym", budget_max=Decimal("9000.00"))
        post(client, title="Logo for a bakery", skills=["Illustrator"])
    mail.outbox.clear()
    with time_machine.travel(DAY + timedelta(days=1, hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert daily_digests.delay().get() == {"users": 1, "sent": 1}
        with django_capture_on_commit_callbacks(execute=True):
            assert daily_digests.delay().get() == {"users": 0, "sent": 0}  # the same day again: nothing
    sent = digests_to(freelancer_user)
    assert len(sent) == 1 and sent[0].subject == "2 new projects for your saved searches"
    assert f"/projects/{one.pk}/" in sent[0].body and f"/projects/{two.pk}/" in sent[0].body
    assert "Logo for a bakery" not in sent[0].body
    assert DigestRun.objects.get(user=freelancer_user).projects == 2

    with time_machine.travel(DAY + timedelta(days=1, hours=5), tick=False):
        three = post(client, title="Booking widget for a salon")
    with (time_machine.travel(DAY + timedelta(days=2, hours=1), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        daily_digests.delay()
        daily_digests.delay()
    sent = digests_to(freelancer_user)
    assert len(sent) == 2 and sent[1].subject == "1 new project for your saved searches"
    assert f"/projects/{three.pk}/" in sent[1].body and f"/projects/{one.pk}/" not in sent[1].body

    with (time_machine.travel(DAY + timedelta(days=3, hours=1), tick=False),  # nothing new: no e-mail
          django_capture_on_commit_callbacks(execute=True)):
        daily_digests.delay()
    assert len(digests_to(freelancer_user)) == 2


# --- the pages ----------------------------------------------------------------------------------


def test_save_this_search_from_the_results_then_edit_and_delete(client, client_user, freelancer_user):
    make_project(client_user, title="Booking site for a clinic")
    client.force_login(freelancer_user)
    page = client.get("/projects/", {"search": "booking", "skills": "Django"}).content.decode()
    assert "Save this search" in page
    response = client.post("/saved-searches/", {"name": "booking", "search": "booking", "skills": "Django",
                                                 "alert": "instant"})
    assert response.status_code == 302
    search = SavedSearch.objects.get(user=freelancer_user)
    assert (search.name, search.params, search.alert) == ("booking", {"search": "booking", "skills": ["Django"]},
                                                          "instant")
    listing = client.get("/saved-searches/").content.decode()
    assert "<h1>Saved searches</h1>" in listing and "search=booking&amp;skills=Django" in listing
    client.post(f"/saved-searches/{search.pk}/", {"name": "Clinic bookings", "alert": "off"})
    search.refresh_from_db()
    assert (search.name, search.alert) == ("Clinic bookings", "off")

    client.force_login(client_user)  # someone else's search: not found, and nothing changes
    assert client.post(f"/saved-searches/{search.pk}/", {"alert": "daily"}).status_code == 404
    assert client.post(f"/saved-searches/{search.pk}/delete/").status_code == 404
    search.refresh_from_db()
    assert search.alert == "off"
    client.force_login(freelancer_user)
    client.post(f"/saved-searches/{search.pk}/delete/")
    assert not SavedSearch.objects.exists()
