"""The messaging pages through Django's test client: the inbox, a chat, notifications, preferences, unsubscribe."""

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging import notifications
from messaging.models import ChatMember, Message, Notification, NotificationKind, NotificationPreference
from messaging.services import chat_open, message_send
from tests.helpers.pages import assert_accessible_page


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def chat(client_user, freelancer_user):
    return chat_open(user=client_user, participant=freelancer_user)[0]


@pytest.fixture
def outsider(make_user):
    return make_user("client", first_name="Otto", last_name="Outsider")


def as_user(client, user):
    client.force_login(user)
    return client


# --- who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/messages/", "/messages/{chat}/", "/messages/{chat}/files/1/", "/notifications/",
                                  "/notifications/preferences/", "/messages/new/?to=1"])
def test_anonymous_visitors_are_sent_to_log_in(client, chat, path) -> None:
    response = client.get(path.format(chat=chat.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("path", ["/messages/{chat}/archive/", "/messages/{chat}/unarchive/",
                                  "/notifications/read-all/", "/notifications/1/read/"])
def test_anonymous_actions_are_sent_to_log_in(client, chat, path) -> None:
    response = client.post(path.format(chat=chat.pk))

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_both_parties_see_the_chat_and_nobody_else(client, chat, client_user, freelancer_user, outsider,
                                                   staff_user) -> None:
    for user, other in ((client_user, freelancer_user), (freelancer_user, client_user)):
        response = as_user(client, user).get(f"/messages/{chat.pk}/")
        assert response.status_code == 200
        assert_accessible_page(response)
        assert f"<h1>Chat with {other.get_full_name()}</h1>" in html_of(response)

    for user in (outsider, staff_user):
        assert as_user(client, user).get(f"/messages/{chat.pk}/").status_code == 404
        assert as_user(client, user).post(f"/messages/{chat.pk}/", {"content": "hi"}).status_code == 404
        assert as_user(client, user).post(f"/messages/{chat.pk}/archive/").status_code == 404
    assert not Message.objects.exists()
    assert as_user(client, client_user).get("/messages/999999/").status_code == 404


def test_the_chat_page_has_the_labelled_form_and_the_other_persons_presence(client, chat, client_user) -> None:
    html = html_of(as_user(client, client_user).get(f"/messages/{chat.pk}/"))

    assert '<label for="id_content">Message</label>' in html
    assert re.search(r'<label for="id_file">Attach a file', html)
    assert '<textarea name="content"' in html and 'type="file" name="file"' in html
    assert re.search(r'<input type="hidden" name="client_id" value="[0-9a-f]{32}"', html)
    assert ">Send message</button>" in html
    assert 'enctype="multipart/form-data"' in html
    assert "presence--offline" in html and "Offline" in html
    assert "/static/js/chat.js" in html


# --- sending without JavaScript -------------------------------------------------------------------


def test_a_message_posted_twice_with_the_same_client_id_is_stored_once(client, chat, client_user,
                                                                         freelancer_user) -> None:
    web = as_user(client, client_user)
    form = {"content": "Hello, can you start on Monday?", "client_id": uuid.uuid4().hex}

    first = web.post(f"/messages/{chat.pk}/", form)
    second = web.post(f"/messages/{chat.pk}/", form)  # a double click, or the back button and submit again

    message = Message.objects.get()
    assert message.content == form["content"] and message.sender == client_user
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/messages/{chat.pk}/#message-{message.pk}"
    assert form["content"] in html_of(web.get(f"/messages/{chat.pk}/"))

    web.post(f"/messages/{chat.pk}/", {**form, "client_id": uuid.uuid4().hex})  # a new form: a new message
    assert Message.objects.count() == 2


def test_message_text_is_always_escaped(client, chat, client_user, freelancer_user) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    as_user(client, client_user).post(f"/messages/{chat.pk}/", {"content": evil, "client_id": "c-1"})

    for user in (client_user, freelancer_user):
        for path in (f"/messages/{chat.pk}/", "/messages/"):
            html = html_of(as_user(client, user).get(path))
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_an_empty_message_shows_an_error_next_to_the_field(client, chat, client_user) -> None:
    response = as_user(client, client_user).post(f"/messages/{chat.pk}/", {"content": "   ", "client_id": "c-2"})

    assert response.status_code == 400
    assert "Write a message or attach a file." in html_of(response)
    assert not Message.objects.exists()


def test_contact_details_are_masked_before_a_contract(client, chat, client_user) -> None:
    as_user(client, client_user).post(f"/messages/{chat.pk}/", {"content": "Mail me at carla@example.com",
                                                                "client_id": "c-3"})

    html = html_of(client.get(f"/messages/{chat.pk}/"))
    assert "carla@example.com" not in html
    assert Message.objects.get().is_flagged


def test_a_file_is_attached_and_served_only_to_the_two_parties(client, chat, client_user, freelancer_user,
                                                                outsider) -> None:
    upload = SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n% a tiny test file\n", content_type="application/pdf")
    response = as_user(client, client_user).post(f"/messages/{chat.pk}/", {
        "content": "", "file": upload, "client_id": "c-4"})
    assert response.status_code == 302
    message = Message.objects.get()
    file_url = f"/messages/{chat.pk}/files/{message.pk}/"

    html = html_of(as_user(client, freelancer_user).get(f"/messages/{chat.pk}/"))
    assert f'href="{file_url}"' in html and "brief.pdf" in html

    download = client.get(file_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="brief.pdf"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-1.4")

    assert as_user(client, outsider).get(file_url).status_code == 404
    text_only = message_send(chat=chat, sender=client_user, content="no file here")[0]
    assert as_user(client, client_user).get(f"/messages/{chat.pk}/files/{text_only.pk}/").status_code == 404


def test_the_last_50_messages_show_and_earlier_ones_are_a_link_away(client, chat, client_user,
                                                                     freelancer_user) -> None:
    Message.objects.bulk_create([Message(chat=chat, sender=client_user if n % 2 else freelancer_user,
                                         content=f"Message number {n:02d}.") for n in range(1, 56)])
    ids = list(Message.objects.order_by("id").values_list("id", flat=True))
    web = as_user(client, freelancer_user)

    html = html_of(web.get(f"/messages/{chat.pk}/"))
    assert "Message number 55." in html and "Message number 06." in html and "Message number 05." not in html
    assert html.index("Message number 06.") < html.index("Message number 55.")  # newest last
    assert f'href="?before={ids[5]}">Show earlier messages</a>' in html

    earlier = html_of(web.get(f"/messages/{chat.pk}/?before={ids[5]}"))
    assert "Message number 01." in earlier and "Message number 05." in earlier
    assert "Message number 06." not in earlier and "Show earlier messages" not in earlier
    assert 'data-live="false"' in earlier


# --- the inbox ----------------------------------------------------------------------------------


def test_the_inbox_lists_chats_with_name_preview_and_unread_count(client, chat, client_user, freelancer_user,
                                                                  outsider) -> None:
    message_send(chat=chat, sender=client_user, content="First question about the budget")
    message_send(chat=chat, sender=client_user, content="And a second one about the deadline")

    response = as_user(client, freelancer_user).get("/messages/")
    html = html_of(response)
    assert response.status_code == 200
    assert_accessible_page(response)
    assert "<h1>Messages</h1>" in html
    assert client_user.get_full_name() in html
    assert "And a second one about the deadline" in html
    assert "2 unread" in html
    assert 'href="/messages/?archived=1">Archived chats</a>' in html

    as_user(client, freelancer_user).get(f"/messages/{chat.pk}/")  # reading the chat marks it read
    assert "badge--unread" not in html_of(client.get("/messages/"))
    assert "You:" in html_of(as_user(client, client_user).get("/messages/"))
    assert client_user.get_full_name() not in html_of(as_user(client, outsider).get("/messages/"))


def test_archive_and_unarchive_move_a_chat_for_one_person_only(client, chat, client_user, freelancer_user) -> None:
    message_send(chat=chat, sender=client_user, content="Hello")
    web = as_user(client, freelancer_user)
    chat_link = f'href="/messages/{chat.pk}/"'

    assert web.get(f"/messages/{chat.pk}/archive/").status_code == 405
    response = web.post(f"/messages/{chat.pk}/archive/", {"next": "/messages/"})
    assert response.status_code == 302 and response["Location"] == "/messages/"
    assert ChatMember.objects.get(chat=chat, user=freelancer_user).archived_at is not None
    assert chat_link not in html_of(web.get("/messages/"))
    archived = html_of(web.get("/messages/?archived=1"))
    assert "<h1>Archived chats</h1>" in archived and chat_link in archived and ">Unarchive</button>" in archived
    assert chat_link in html_of(as_user(client, client_user).get("/messages/"))  # the other side is unchanged

    web = as_user(client, freelancer_user)
    web.post(f"/messages/{chat.pk}/unarchive/", {"next": "https://evil.example/"})
    assert chat_link in html_of(web.get("/messages/"))
    assert Message.objects.count() == 1


# --- starting a conversation --------------------------------------------------------------------


def test_start_conversation_opens_the_chat_once(client, client_user, freelancer_user) -> None:
    web = as_user(client, client_user)

    page = web.get(f"/messages/new/?to={freelancer_user.pk}")
    assert page.status_code == 200
    assert_accessible_page(page)
    assert ">Start conversation</button>" in html_of(page)

    first = web.post("/messages/new/", {"to": freelancer_user.pk})
    second = web.post("/messages/new/", {"to": freelancer_user.pk})
    chat = ChatMember.objects.get(user=client_user).chat
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/messages/{chat.pk}/"


def test_start_conversation_refuses_two_clients_and_unknown_people(client, client_user, outsider) -> None:
    web = as_user(client, client_user)

    response = web.post("/messages/new/", {"to": outsider.pk})
    assert response.status_code == 400
    assert "A chat is between a client and a freelancer." in html_of(response)
    assert web.get("/messages/new/?to=999999").status_code == 404
    assert web.get("/messages/new/").status_code == 404


# --- notifications ------------------------------------------------------------------------------


def test_notifications_list_newest_first_with_unread_highlighted(client, freelancer_user, make_user) -> None:
    old = notifications.notify(user=freelancer_user, kind=NotificationKind.PROPOSAL_ACCEPTED,
                               title="Your proposal was accepted", data={"contract_id": 7})
    notifications.notification_mark_read(user=freelancer_user, notification_id=old.pk)
    notifications.notify(user=freelancer_user, kind=NotificationKind.MILESTONE_FUNDED,
                         title="Milestone <b>one</b> funded", message="1,500.00 USD is in escrow.")
    notifications.notify(user=make_user("freelancer"), kind=NotificationKind.PAYOUT_SENT, title="Someone else's")

    response = as_user(client, freelancer_user).get("/notifications/")
    html = html_of(response)
    assert response.status_code == 200
    assert_accessible_page(response)
    assert html.index("Milestone &lt;b&gt;one&lt;/b&gt; funded") < html.index("Your proposal was accepted")
    assert html.count("notification-item--unread") == 1
    assert html.count(">Mark as read</button>") == 1
    assert ">Mark all as read</button>" in html
    assert 'href="/contracts/7/"' in html
    assert "Someone else's" not in html


def test_mark_one_and_mark_all_as_read(client, freelancer_user, make_user) -> None:
    mine = [notifications.notify(user=freelancer_user, kind=NotificationKind.REVIEW_RECEIVED, title=f"Review {n}")
            for n in range(3)]
    theirs = notifications.notify(user=make_user("client"), kind=NotificationKind.REVIEW_RECEIVED, title="Theirs")
    web = as_user(client, freelancer_user)

    response = web.post(f"/notifications/{mine[0].pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert Notification.objects.filter(user=freelancer_user, read_at__isnull=True).count() == 2
    assert web.post(f"/notifications/{theirs.pk}/read/").status_code == 404

    web.post("/notifications/read-all/")
    assert not Notification.objects.filter(user=freelancer_user, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert ">Mark all as read</button>" not in html_of(web.get("/notifications/"))


def test_marking_all_as_read_says_so_in_the_members_language(client, make_user) -> None:
    member = make_user("freelancer", language="de")
    notifications.notify(user=member, kind=NotificationKind.REVIEW_RECEIVED, title="Neu")
    client.force_login(member)
    first = html_of(client.post("/notifications/read-all/", follow=True))
    assert "Alle Benachrichtigungen sind als gelesen markiert." in first
    again = html_of(client.post("/notifications/read-all/", follow=True))
    assert "Es gab nichts Ungelesenes." in again and "Nothing was unread." not in again


def test_the_bell_shows_the_unread_count_on_every_page_in_one_query(client, freelancer_user, rf) -> None:
    from django.contrib.auth.models import AnonymousUser

    from messaging.context_processors import notifications as bell_context

    for n in range(3):
        notifications.notify(user=freelancer_user, kind=NotificationKind.SECURITY, title=f"Notice {n}")

    html = html_of(as_user(client, freelancer_user).get("/"))
    assert re.search(r'<a class="bell" id="notification-bell" href="/notifications/">Notifications '
                     r'<span class="bell__count" id="notification-count" data-count="3" aria-live="polite">', html)
    assert "/static/js/notifications.js" in html

    request = rf.get("/")
    request.user = freelancer_user
    with CaptureQueriesContext(connection) as queries:
        assert bell_context(request) == {"notifications_unread": 3}
    assert len(queries) == 1
    request.user = AnonymousUser()
    assert bell_context(request) == {}

    client.logout()
    anonymous = html_of(client.get("/"))
    assert "notification-bell" not in anonymous and "notifications.js" not in anonymous


def test_a_message_to_someone_offline_becomes_a_notification_that_links_to_the_chat(client, chat, client_user,
                                                                                  freelancer_user) -> None:
    as_user(client, client_user).post(f"/messages/{chat.pk}/", {"content": "Are you there?", "client_id": "c-9"})

    html = html_of(as_user(client, freelancer_user).get("/notifications/"))
    assert f"New message from {client_user.get_full_name()}" in html
    assert f'href="/messages/{chat.pk}/"' in html


# --- preferences and unsubscribe ----------------------------------------------------------------


def test_preferences_show_four_labelled_switches_per_kind_and_save(client, freelancer_user) -> None:
    from messaging.models import SMS_DEFAULT_KINDS

    web = as_user(client, freelancer_user)
    response = web.get("/notifications/preferences/")
    html = html_of(response)
    assert response.status_code == 200
    assert_accessible_page(response)
    kinds = len(NotificationKind.values)
    for label in ("In the app", "By e-mail", "By text message", "On my phone (app)"):
        assert html.count(f">{label}</label>") == kinds
    assert "<legend>New proposal</legend>" in html and ">Save preferences</button>" in html
    # Everything on by default, but text messages only for security and money.
    assert html.count("checked") == 3 * kinds + len(SMS_DEFAULT_KINDS)

    everything_on = {f"{kind}__{channel}": "on" for kind in NotificationKind.values for channel in ("in_app", "email")}
    del everything_on["message_received__email"], everything_on["payout_sent__in_app"]
    response = web.post("/notifications/preferences/", everything_on)

    assert response.status_code == 302 and response["Location"] == "/notifications/preferences/"
    saved = notifications.preferences_for(freelancer_user)
    assert saved["message_received"] == {"in_app": True, "email": False, "sms": False, "push": False}
    assert saved["payout_sent"] == {"in_app": False, "email": True, "sms": False, "push": False}
    assert saved["proposal_accepted"] == {"in_app": True, "email": True, "sms": False, "push": False}
    html = html_of(web.get("/notifications/preferences/"))
    assert html.count("checked") == 2 * kinds - 2
    assert "Your notification preferences are saved." in html


def test_one_click_unsubscribe_turns_off_that_kind_of_email(client, freelancer_user) -> None:
    token = notifications.unsubscribe_token(freelancer_user, NotificationKind.PROPOSAL_REJECTED)
    path = f"/notifications/unsubscribe/{token}/"

    page = client.get(path)  # signed out, straight from the e-mail
    assert page.status_code == 200
    assert_accessible_page(page)
    assert ">Stop these e-mails</button>" in html_of(page) and "Proposal not selected" in html_of(page)
    assert not NotificationPreference.objects.exists()  # looking changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "Proposal not selected" in html_of(done) and freelancer_user.email in html_of(done)
    prefs = notifications.preferences_for(freelancer_user)
    assert prefs["proposal_rejected"] == {"in_app": True, "email": False, "sms": False, "push": True}
    assert prefs["proposal_accepted"]["email"] is True


@pytest.mark.parametrize("token", ["not-a-token", "eyJ1IjoxLCJrIjoic2VjdXJpdHkifQ:1tAbCd:forged"])
def test_a_bad_unsubscribe_link_gets_a_clear_400_page(client, db, token) -> None:
    for response in (client.get(f"/notifications/unsubscribe/{token}/"),
                     client.post(f"/notifications/unsubscribe/{token}/")):
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in html_of(response)
    assert not NotificationPreference.objects.exists()
