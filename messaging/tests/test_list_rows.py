"""A chat's messages and the notifications are written from `values()` without a serializer per row: the JSON
is exactly what `MessageSerializer` and `NotificationSerializer` write for the same rows, and a page costs the
same queries whatever its size."""

import json

import pytest
from rest_framework.renderers import JSONRenderer

from messaging.api.serializers import MessageSerializer, NotificationSerializer
from messaging.models import Message, Notification, NotificationKind
from messaging.notifications import notify
from messaging.services import chat_open, message_send

pytestmark = pytest.mark.django_db


def _written(serializer_class: type, rows: list) -> list[dict]:
    return json.loads(JSONRenderer().render(serializer_class(rows, many=True).data))


@pytest.fixture
def chat(client_user, freelancer_user):
    return chat_open(user=client_user, participant=freelancer_user)[0]


def test_message_rows_are_what_the_serializer_writes(chat, client_for, client_user, freelancer_user):
    message_send(chat=chat, sender=client_user, content="Hello", client_id="c-1")
    message_send(chat=chat, sender=freelancer_user, content="Mail me at me@example.com")  # masked, flagged
    with_file = message_send(chat=chat, sender=client_user, content="The brief")[0]
    Message.objects.filter(pk=with_file.pk).update(attachment="attachments/chat/2026/12/brief.pdf",
                                                   attachment_name="brief.pdf", attachment_type="application/pdf",
                                                   attachment_size=1234)
    for path in (f"/api/chats/{chat.pk}/messages", f"/api/chats/{chat.pk}/messages?before={with_file.pk}"):
        results = client_for(client_user).get(path).json()["results"]
        expected = _written(MessageSerializer, list(Message.objects.filter(pk__in=[r["id"] for r in results])))
        assert results == expected
    results = client_for(client_user).get(f"/api/chats/{chat.pk}/messages").json()["results"]
    assert [r["client_id"] for r in results] == ["c-1", None, None] and results[1]["is_flagged"]
    assert results[2]["attachment"]["name"] == "brief.pdf" and results[0]["attachment"] is None


def test_a_message_page_costs_the_same_queries_whatever_its_size(chat, client_for, client_user,
                                                                  django_assert_max_num_queries):
    for n in range(12):
        message_send(chat=chat, sender=client_user, content=f"Message {n}")
    api = client_for(client_user)
    api.get(f"/api/chats/{chat.pk}/messages?page_size=2")  # the chat's count is kept from here on
    with django_assert_max_num_queries(6) as small:
        assert len(api.get(f"/api/chats/{chat.pk}/messages?page_size=2").json()["results"]) == 2
    with django_assert_max_num_queries(6) as large:
        assert len(api.get(f"/api/chats/{chat.pk}/messages?page_size=12").json()["results"]) == 12
    assert len(small.captured_queries) == len(large.captured_queries)


def test_notification_rows_are_what_the_serializer_writes(client_for, client_user):
    for n in range(3):
        notify(user=client_user, kind=NotificationKind.PROPOSAL_RECEIVED, title=f"Proposal {n}", message="Read it",
               data={"project_id": n})
    Notification.objects.filter(user=client_user, title="Proposal 1").update(read_at="2026-12-01T10:00:00Z")
    for path in ("/api/notifications", "/api/notifications?unread=true"):
        results = client_for(client_user).get(path).json()["results"]
        rows = Notification.objects.filter(pk__in=[r["id"] for r in results]).order_by("-created_at", "-id")
        assert results == _written(NotificationSerializer, list(rows))
    results = client_for(client_user).get("/api/notifications").json()["results"]
    assert [r["is_read"] for r in results] == [False, True, False]
    assert results[1]["read_at"] == "2026-12-01T10:00:00Z" and results[0]["type"] == "proposal_received"


def test_a_notification_page_costs_the_same_queries_whatever_its_size(client_for, client_user,
                                                                       django_assert_max_num_queries):
    for n in range(12):
        notify(user=client_user, kind=NotificationKind.PROPOSAL_RECEIVED, title=f"Proposal {n}", message="")
    api = client_for(client_user)
    api.get("/api/notifications?page_size=2")
    with django_assert_max_num_queries(6) as small:
        assert len(api.get("/api/notifications?page_size=2").json()["results"]) == 2
    with django_assert_max_num_queries(6) as large:
        assert len(api.get("/api/notifications?page_size=12").json()["results"]) == 12
    assert len(small.captured_queries) == len(large.captured_queries)


def test_a_chat_page_is_four_queries_and_only_for_its_two_people(chat, client_for, client_user, freelancer_user,
                                                                   make_user, django_assert_num_queries):
    for n in range(5):
        message_send(chat=chat, sender=client_user, content=f"Message {n}")
    ids = list(Message.objects.filter(chat=chat).order_by("id").values_list("id", flat=True))
    api = client_for(client_user)
    api.get(f"/api/chats/{chat.pk}/messages?page_size=2")  # the count is kept and the SQL compiled from here on
    # The signed-in user, the membership, the page, and the messages added since the kept count.
    with django_assert_num_queries(4):
        body = api.get(f"/api/chats/{chat.pk}/messages?page_size=2").json()
    assert [row["id"] for row in body["results"]] == ids[-2:] and body["count"] == len(ids)
    back = api.get(f"/api/chats/{chat.pk}/messages?page_size=2&before={ids[-2]}").json()
    assert [row["id"] for row in back["results"]] == ids[-4:-2]
    assert [row["id"] for row in client_for(freelancer_user).get(
        f"/api/chats/{chat.pk}/messages").json()["results"]] == ids
    assert client_for(make_user("freelancer")).get(f"/api/chats/{chat.pk}/messages").status_code == 404
    assert api.get(f"/api/chats/{chat.pk + 1000}/messages").status_code == 404
