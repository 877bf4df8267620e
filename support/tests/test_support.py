"""Support tickets end to end: the API, the pages and the admin; who sees what, the staff reply's e-mail and
notification, and the status moves (open → pending → resolved, pending → open when the member answers)."""

import pytest
from django.core import mail

from core.models import AuditEvent, OutboundEmail
from messaging.models import Notification, NotificationKind
from support import services as support
from support.models import SupportTicket, TicketStatus
from tests.helpers.pages import assert_accessible_page

pytestmark = pytest.mark.django_db

QUESTION = {"subject": "My payout has not arrived", "category": "payments", "priority": "high",
            "message": "The milestone was approved a week ago and nothing reached my bank."}


@pytest.fixture
def member(freelancer_user):
    return freelancer_user


@pytest.fixture
def other_member(make_user):
    return make_user("client", first_name="Otto", last_name="Outsider")


@pytest.fixture
def ticket(member):
    return support.ticket_open(user=member, subject=QUESTION["subject"], message=QUESTION["message"],
                               category="payments", priority="high")


def open_via_api(api, **overrides):
    return api.post("/api/support/tickets", {**QUESTION, **overrides}, format="json")


# --- the API: who sees what -----------------------------------------------------------------------


def test_a_member_opens_a_ticket_and_sees_it_with_its_first_message(client_for, member) -> None:
    api = client_for(member)
    response = open_via_api(api)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subject"] == QUESTION["subject"] and body["category"] == "payments" and body["priority"] == "high"
    assert body["status"] == "open" and body["first_response_at"] is None and body["resolved_at"] is None
    assert body["user"]["id"] == member.pk
    assert [(m["body"], m["is_staff_reply"], m["author_id"]) for m in body["messages"]] == [
        (QUESTION["message"], False, member.pk)]

    listed = api.get("/api/support/tickets").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    assert listed["results"][0]["message_count"] == 1
    assert api.get(f"/api/support/tickets/{body['id']}").json()["messages"][0]["body"] == QUESTION["message"]


def test_defaults_and_validation(client_for, member) -> None:
    api = client_for(member)
    minimal = api.post("/api/support/tickets", {"subject": "Hello", "message": "A question."}, format="json")
    assert minimal.status_code == 201
    assert minimal.json()["category"] == "other" and minimal.json()["priority"] == "normal"

    response = open_via_api(api, subject="   ", category="gossip")
    assert response.status_code == 400
    body = response.json()
    assert body["error_type"] == "validation_error" and {"subject", "category"} <= set(body["errors"])
    assert SupportTicket.objects.count() == 1


def test_members_see_only_their_own_tickets_and_others_get_404(client_for, ticket, other_member) -> None:
    api = client_for(other_member)
    open_via_api(api, subject="Mine")

    listed = api.get("/api/support/tickets").json()
    assert [t["subject"] for t in listed["results"]] == ["Mine"]
    assert api.get(f"/api/support/tickets/{ticket.pk}").status_code == 404
    assert api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "me too"}, format="json").status_code == 404
    assert api.post(f"/api/support/tickets/{ticket.pk}/resolve").status_code == 404
    assert api.get("/api/support/tickets/999999").status_code == 404
    assert ticket.messages.count() == 1


def test_staff_see_every_ticket(client_for, ticket, other_member, staff_user) -> None:
    open_via_api(client_for(other_member), subject="Another")
    staff = client_for(staff_user)

    listed = staff.get("/api/support/tickets").json()
    assert listed["count"] == 2
    assert staff.get(f"/api/support/tickets/{ticket.pk}").status_code == 200
    assert staff.get("/api/support/tickets", {"status": "pending"}).json()["count"] == 0


def test_anonymous_callers_are_refused(api_client, ticket) -> None:
    assert api_client.get("/api/support/tickets").status_code == 401
    assert api_client.get(f"/api/support/tickets/{ticket.pk}").status_code == 401


# --- replies, e-mail and status moves -------------------------------------------------------------


def test_a_staff_reply_answers_notifies_and_emails_the_member(
    client_for, ticket, member, staff_user, django_capture_on_commit_callbacks
) -> None:
    staff = client_for(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/support/tickets/{ticket.pk}/messages",
                              {"body": "We sent it again; it arrives within two days."}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["is_staff_reply"] is True
    assert "MegiLance support" in response.json()["author_name"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING and ticket.first_response_at is not None
    assert ticket.assigned_to == staff_user

    notification = Notification.objects.get(user=member)
    assert notification.kind == NotificationKind.MESSAGE_RECEIVED
    assert notification.data["url"] == f"/support/{ticket.pk}/"
    outbound = OutboundEmail.objects.get(template="support_reply")
    assert outbound.to_email == member.email
    assert [m.to for m in mail.outbox] == [[member.email]]
    message = mail.outbox[0]
    assert QUESTION["subject"] in message.subject
    assert "We sent it again" in message.body and f"/support/{ticket.pk}/" in message.body
    assert "Stop e-mails about support replies" in message.body

    # The first response time is kept at the first answer.
    first = ticket.first_response_at
    staff.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "And a tracking number."}, format="json")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first


def test_member_replies_do_not_notify_and_reopen_an_answered_ticket(client_for, ticket, member, staff_user) -> None:
    api = client_for(member)
    reply = api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Any news?"}, format="json")
    assert reply.status_code == 201 and reply.json()["is_staff_reply"] is False
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.first_response_at is None
    assert not Notification.objects.exists() and not OutboundEmail.objects.filter(template="support_reply").exists()

    support.ticket_reply(ticket=ticket, author=staff_user, body="Looking into it.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING

    api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Still nothing."}, format="json")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_resolving_follows_the_allowed_moves(client_for, ticket, member, staff_user) -> None:
    api = client_for(member)
    early = api.post(f"/api/support/tickets/{ticket.pk}/resolve")
    assert early.status_code == 409 and early.json()["error_type"] == "invalid_transition"

    support.ticket_reply(ticket=ticket, author=staff_user, body="Done on our side.")
    resolved = api.post(f"/api/support/tickets/{ticket.pk}/resolve")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]

    again = api.post(f"/api/support/tickets/{ticket.pk}/resolve")
    assert again.status_code == 409
    late = api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "One more thing"}, format="json")
    assert late.status_code == 409 and late.json()["error_type"] == "ticket_resolved"

    moves = [(e.old_value["status"], e.new_value["status"])
             for e in AuditEvent.objects.filter(action="support.ticket.status", target_id=str(ticket.pk))
             .order_by("id")]
    assert moves == [("open", "pending"), ("pending", "resolved")]


def test_the_tickets_are_in_the_openapi_schema(api_client) -> None:
    paths = api_client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/support/tickets", "/api/support/tickets/{id}", "/api/support/tickets/{id}/messages",
                 "/api/support/tickets/{id}/resolve"):
        assert path in paths, path


# --- pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/support/", "/support/{ticket}/"])
def test_anonymous_visitors_are_sent_to_log_in(client, ticket, path) -> None:
    response = client.get(path.format(ticket=ticket.pk))
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_the_support_page_lists_my_tickets_and_opens_a_new_one(client, member, ticket, other_member) -> None:
    support.ticket_open(user=other_member, subject="Somebody else's question", message="Hidden")
    client.force_login(member)
    page = client.get("/support/")
    assert page.status_code == 200
    assert_accessible_page(page)
    html = page.content.decode()
    assert QUESTION["subject"] in html and "Somebody else" not in html
    for label in ("Subject", "Category", "Priority", "Message"):
        assert f">{label}" in html
    assert "Open ticket" in html

    response = client.post("/support/", {"subject": "Cannot upload files", "category": "technical",
                                         "priority": "normal", "message": "The upload button does nothing."})
    created = SupportTicket.objects.get(subject="Cannot upload files")
    assert response.status_code == 302 and response["Location"] == f"/support/{created.pk}/"
    assert created.user == member and created.messages.get().body == "The upload button does nothing."

    invalid = client.post("/support/", {"subject": "", "category": "technical", "priority": "normal", "message": ""})
    assert invalid.status_code == 400
    assert_accessible_page(invalid)


def test_the_thread_page_shows_the_conversation_and_takes_replies(client, member, ticket, staff_user,
                                                                  other_member) -> None:
    support.ticket_reply(ticket=ticket, author=staff_user, body="Which bank do you use?")
    client.force_login(member)
    page = client.get(f"/support/{ticket.pk}/")
    assert page.status_code == 200
    assert_accessible_page(page)
    html = page.content.decode()
    assert QUESTION["message"] in html and "Which bank do you use?" in html and "MegiLance support" in html
    assert "Mark as resolved" in html and "Send reply" in html

    response = client.post(f"/support/{ticket.pk}/", {"body": "A Dutch one."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.messages.count() == 3

    support.ticket_reply(ticket=ticket, author=staff_user, body="Fixed.")
    assert client.post(f"/support/{ticket.pk}/resolve/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert "Send reply" not in client.get(f"/support/{ticket.pk}/").content.decode()

    client.force_login(other_member)
    assert client.get(f"/support/{ticket.pk}/").status_code == 404
    assert client.post(f"/support/{ticket.pk}/", {"body": "Hi"}).status_code == 404


# --- the admin ------------------------------------------------------------------------------------


def test_staff_answer_from_the_admin(client, ticket, member, staff_user, django_capture_on_commit_callbacks) -> None:
    client.force_login(staff_user)
    page = client.get(f"/admin/support/supportticket/{ticket.pk}/change/")
    assert page.status_code == 200 and QUESTION["message"] in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/support/supportticket/{ticket.pk}/change/", {
            "category": "payments", "priority": "urgent", "assigned_to": "", "reply": "We are on it.",
            "messages-TOTAL_FORMS": "1", "messages-INITIAL_FORMS": "1", "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000", "messages-0-id": str(ticket.messages.get().pk),
            "messages-0-ticket": str(ticket.pk),
        })
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and ticket.status == TicketStatus.PENDING
    reply = ticket.messages.last()
    assert reply.body == "We are on it." and reply.is_staff_reply and reply.author == staff_user
    assert [m.to for m in mail.outbox] == [[member.email]]

    listing = client.post("/admin/support/supportticket/", {"action": "resolve", "_selected_action": [ticket.pk]})
    assert listing.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert AuditEvent.objects.filter(action="support.ticket.status", actor=staff_user).count() == 2


def test_old_admin_addresses_of_tickets_lead_to_the_support_section(client, client_user, staff_user):
    ticket = support.ticket_open(user=client_user, subject="Invoice", message="Where is it?")
    client.force_login(staff_user)
    response = client.get(f"/admin/messaging/supportticket/{ticket.pk}/change/?_changelist_filters=status")
    assert response.status_code == 301
    assert response["Location"] == f"/admin/support/supportticket/{ticket.pk}/change/?_changelist_filters=status"
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/admin/messaging/ticketmessage/")["Location"] == "/admin/support/ticketmessage/"
