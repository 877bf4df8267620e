"""Chats, messages and notifications over REST, for the parties, a third user and anonymous callers."""

import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Message, Notification, Violation
from messaging.notifications import notify
from messaging.services import chat_open, message_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(client_user, freelancer_user):
    return chat_open(user=client_user, participant=freelancer_user)[0]


class TestChats:
    def test_open_a_chat_once_per_pair(self, client_for, client_user, freelancer_user):
        api = client_for(client_user)
        first = api.post("/api/chats", {"participant_id": freelancer_user.id}, format="json")
        assert first.status_code == 201
        body = first.json()
        assert body["client"]["id"] == client_user.id and body["freelancer"]["id"] == freelancer_user.id
        again = client_for(freelancer_user).post("/api/chats", {"participant_id": client_user.id}, format="json")
        assert again.status_code == 200 and again.json()["id"] == body["id"]

    def test_one_chat_per_pair_and_project(self, client_for, client_user, freelancer_user):
        from marketplace.tests.factories import make_project

        project = make_project(client_user)
        api = client_for(freelancer_user)
        about = api.post("/api/chats", {"participant_id": client_user.id, "project_id": project.id}, format="json")
        plain = api.post("/api/chats", {"participant_id": client_user.id}, format="json")
        assert about.status_code == plain.status_code == 201
        assert about.json()["project_id"] == project.id and plain.json()["project_id"] is None

    @pytest.mark.parametrize("who", ["self", "same_type", "missing"])
    def test_a_chat_is_between_a_client_and_a_freelancer(self, client_for, client_user, make_user, who):
        target = {"self": client_user.id, "same_type": make_user("client").id, "missing": 999999}[who]
        response = client_for(client_user).post("/api/chats", {"participant_id": target}, format="json")
        assert response.status_code == 400
        assert "participant_id" in response.json()["errors"]

    def test_a_third_user_sees_nothing(self, client_for, chat, make_user, api_client):
        stranger = client_for(make_user("freelancer"))
        for path in (f"/api/chats/{chat.id}", f"/api/chats/{chat.id}/messages"):
            assert stranger.get(path).status_code == 404
            assert api_client.get(path).status_code == 401
        assert stranger.post(f"/api/chats/{chat.id}/messages", {"content": "hi"}, format="json").status_code == 404
        assert stranger.post(f"/api/chats/{chat.id}/archive").status_code == 404
        assert stranger.get("/api/chats").json()["count"] == 0

    def test_archive_is_per_user_and_deletes_nothing(self, client_for, chat, client_user, freelancer_user):
        message_send(chat=chat, sender=client_user, content="hello")
        api = client_for(client_user)
        assert api.post(f"/api/chats/{chat.id}/archive").json()["archived"] is True
        assert api.get("/api/chats").json()["count"] == 0
        assert api.get("/api/chats", {"archived": "true"}).json()["count"] == 1
        assert client_for(freelancer_user).get("/api/chats").json()["count"] == 1
        assert api.get(f"/api/chats/{chat.id}/messages").json()["count"] == 1
        assert api.post(f"/api/chats/{chat.id}/unarchive").json()["archived"] is False

    def test_stats_and_unread_counts(self, client_for, chat, client_user, freelancer_user):
        for text in ("one", "two", "three"):
            message_send(chat=chat, sender=client_user, content=text)
        freelancer = client_for(freelancer_user)
        assert freelancer.get("/api/chats").json()["results"][0]["unread_count"] == 3
        stats = freelancer.get("/api/chats/stats").json()
        assert stats["unread_messages"] == 3 and stats["total_chats"] == 1 and stats["messages_received"] == 3
        last = Message.objects.filter(chat=chat).last()
        assert freelancer.post(f"/api/chats/{chat.id}/read", {"message_id": last.id}, format="json").json() == {
            "last_read_message_id": last.id}
        assert freelancer.get("/api/chats").json()["results"][0]["unread_count"] == 0
        assert client_for(client_user).get("/api/chats/stats").json()["messages_sent"] == 3
        receipt = client_for(client_user).get(f"/api/chats/{chat.id}").json()
        assert receipt["other_last_read_message_id"] == last.id

    def test_chat_list_queries_do_not_grow(self, client_for, client_user, make_user, settings):
        settings.THROTTLE_ENABLED = False
        for _ in range(50):
            chat = chat_open(user=client_user, participant=make_user("freelancer"))[0]
            message_send(chat=chat, sender=client_user, content="hello")
        api = client_for(client_user)

        def count(size):
            with CaptureQueriesContext(connection) as queries:
                assert len(api.get("/api/chats", {"page_size": size}).json()["results"]) == size
            return len(queries)

        assert count(5) == count(50)


class TestMessages:
    def test_send_and_read_newest_last(self, client_for, chat, client_user, freelancer_user):
        api = client_for(client_user)
        for text in ("first", "second"):
            assert api.post(f"/api/chats/{chat.id}/messages", {"content": text}, format="json").status_code == 201
        body = client_for(freelancer_user).get(f"/api/chats/{chat.id}/messages").json()
        assert [m["content"] for m in body["results"]] == ["first", "second"]

    def test_client_id_makes_a_send_idempotent(self, client_for, chat):
        api = client_for(chat.client)
        first = api.post(f"/api/chats/{chat.id}/messages", {"content": "once", "client_id": "abc"}, format="json")
        again = api.post(f"/api/chats/{chat.id}/messages", {"content": "once", "client_id": "abc"}, format="json")
        assert first.status_code == 201 and again.status_code == 200
        assert first.json()["id"] == again.json()["id"]
        assert Message.objects.filter(chat=chat).count() == 1

    def test_after_and_search(self, client_for, chat, client_user):
        ids = [message_send(chat=chat, sender=client_user, content=t)[0].id for t in ("alpha", "beta", "gamma")]
        api = client_for(client_user)
        after = api.get(f"/api/chats/{chat.id}/messages", {"after": ids[0]}).json()["results"]
        assert [m["id"] for m in after] == ids[1:]
        found = api.get(f"/api/chats/{chat.id}/messages", {"search": "BET"}).json()["results"]
        assert [m["content"] for m in found] == ["beta"]

    def test_empty_and_too_long_messages(self, client_for, chat):
        api = client_for(chat.client)
        assert api.post(f"/api/chats/{chat.id}/messages", {"content": "  "}, format="json").status_code == 400
        long = api.post(f"/api/chats/{chat.id}/messages", {"content": "x" * 5001}, format="json")
        assert long.status_code == 400 and "content" in long.json()["errors"]

    def test_contact_details_are_masked_before_a_contract(self, client_for, chat, client_user):
        api = client_for(client_user)
        body = api.post(f"/api/chats/{chat.id}/messages",
                        {"content": "Mail me at bob@example.com or call +49 170 1234567"}, format="json").json()
        assert "bob@example.com" not in body["content"] and "1234567" not in body["content"]
        assert body["is_flagged"] is True
        violation = Violation.objects.get()
        assert set(violation.kinds) == {"email", "phone"}
        assert "bob@example.com" in violation.original_content

    def test_no_masking_once_a_contract_exists(self, client_for, client_user, freelancer_user):
        from contracts.tests.factories import make_contract

        make_contract(client_user, freelancer_user)
        chat = chat_open(user=client_user, participant=freelancer_user)[0]
        body = client_for(client_user).post(f"/api/chats/{chat.id}/messages",
                                            {"content": "My number: +49 170 1234567"}, format="json").json()
        assert "+49 170 1234567" in body["content"] and body["is_flagged"] is False

    def test_blocking_stops_messages_both_ways(self, client_for, chat, client_user, freelancer_user):
        freelancer = client_for(freelancer_user)
        assert freelancer.post("/api/chats/blocks", {"user_id": client_user.id}, format="json").status_code == 200
        assert client_for(client_user).post(f"/api/chats/{chat.id}/messages", {"content": "hi"},
                                            format="json").status_code == 403
        assert freelancer.post(f"/api/chats/{chat.id}/messages", {"content": "hi"}, format="json").status_code == 403
        freelancer.delete("/api/chats/blocks", {"user_id": client_user.id}, format="json")
        assert freelancer.post(f"/api/chats/{chat.id}/messages", {"content": "hi"}, format="json").status_code == 201

    def test_sending_is_rate_limited(self, client_for, chat):
        api = client_for(chat.client)
        statuses = [api.post(f"/api/chats/{chat.id}/messages", {"content": f"m{n}"}, format="json").status_code
                    for n in range(31)]
        assert statuses[:30] == [201] * 30 and statuses[30] == 429

    def test_attachments_only_for_the_parties(self, client_for, chat, make_user, settings, tmp_path):
        settings.MEDIA_ROOT = str(tmp_path)
        api = client_for(chat.client)
        upload = io.BytesIO(b"%PDF-1.4 a tiny pdf")
        upload.name = "brief.pdf"
        body = api.post(f"/api/chats/{chat.id}/messages", {"content": "the brief", "file": upload},
                        format="multipart").json()
        url = body["attachment"]["url"]
        assert body["attachment"]["content_type"] == "application/pdf"
        download = client_for(chat.freelancer).get(url)
        assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
        assert client_for(make_user("client")).get(url).status_code == 404


class TestOfflineRecipients:
    def test_one_notification_and_one_email_per_chat_per_quarter_hour(
        self, client_for, chat, client_user, freelancer_user, django_capture_on_commit_callbacks
    ):
        api = client_for(client_user)
        with django_capture_on_commit_callbacks(execute=True):
            for text in ("are you there?", "hello?", "ping"):
                api.post(f"/api/chats/{chat.id}/messages", {"content": text}, format="json")
        emails = [m for m in mail.outbox if m.to == [freelancer_user.email]]
        assert len(emails) == 1
        assert "are you there?" in emails[0].body and "/notifications/unsubscribe/" in emails[0].body
        assert Notification.objects.filter(user=freelancer_user, kind="message_received").count() == 3


def test_security_changes_reach_the_notifications(client_for, client_user):
    from accounts.tests.factories import PASSWORD

    api = client_for(client_user)
    api.post("/api/auth/change-password", {"current_password": PASSWORD, "new_password": "another-long-passphrase"},
             format="json")
    kinds = list(Notification.objects.filter(user=client_user).values_list("kind", flat=True))
    assert kinds == ["security"]


class TestNotifications:
    def test_list_count_read_and_read_all(self, client_for, client_user, make_user):
        for n in range(3):
            notify(user=client_user, kind="proposal_received", title=f"Proposal {n}")
        notify(user=make_user("client"), kind="proposal_received", title="Not yours")
        api = client_for(client_user)
        body = api.get("/api/notifications").json()
        assert body["count"] == 3 and body["results"][0]["title"] == "Proposal 2"
        assert body["results"][0]["type"] == "proposal_received"
        assert api.get("/api/notifications/unread-count").json() == {"unread_count": 3}
        first = body["results"][0]["id"]
        assert api.post(f"/api/notifications/{first}/read").json()["is_read"] is True
        assert api.get("/api/notifications", {"unread": "true"}).json()["count"] == 2
        assert api.post("/api/notifications/read-all").json() == {"unread_count": 0}
        assert api.get("/api/notifications/unread-count").json() == {"unread_count": 0}

    def test_others_notifications_are_404(self, client_for, client_user, make_user):
        theirs = notify(user=make_user("client"), kind="proposal_received", title="x")
        assert client_for(client_user).post(f"/api/notifications/{theirs.id}/read").status_code == 404

    def test_preferences(self, client_for, client_user, django_capture_on_commit_callbacks):
        api = client_for(client_user)
        prefs = api.get("/api/notifications/preferences").json()
        assert prefs["message_received"] == {"in_app": True, "email": True, "sms": False, "push": True}
        updated = api.put("/api/notifications/preferences",
                          {"message_received": {"email": False}, "review_received": {"in_app": False}},
                          format="json")
        assert updated.status_code == 200
        assert updated.json()["message_received"] == {"in_app": True, "email": False, "sms": False, "push": True}
        assert updated.json()["review_received"] == {"in_app": False, "email": True, "sms": False, "push": True}
        bad = api.put("/api/notifications/preferences", {"nonsense": {"email": False}}, format="json")
        assert bad.status_code == 400 and "nonsense" in bad.json()["errors"]
        with django_capture_on_commit_callbacks(execute=True):
            notify(user=client_user, kind="message_received", title="t", email_template="message_received",
                   email_context={"sender_name": "A", "preview": "p", "chat_url": "http://x"})
            notify(user=client_user, kind="review_received", title="t")
        assert not mail.outbox
        assert list(Notification.objects.filter(user=client_user).values_list("kind", flat=True)) == [
            "message_received"]

    def test_anonymous(self, api_client):
        for path in ("/api/notifications", "/api/notifications/unread-count", "/api/notifications/preferences"):
            assert api_client.get(path).status_code == 401
