"""Message pages at chat scale: a chat opens on its newest messages, `?before=` pages back by keyset on the
(chat, id) index, membership is one lookup by key, and the count is not taken over every message on every
page. Notifications keep an exact count without counting them all each time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import make_user
from messaging import selectors
from messaging.models import Chat, Message, Notification
from messaging.services import chat_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(client_user, freelancer_user):
    return chat_open(user=client_user, participant=freelancer_user)[0]


def _messages(chat: Chat, count: int, start: int = 0) -> list[int]:
    Message.objects.bulk_create([Message(chat=chat, sender_id=chat.client_id, content=f"m{start + n}")
                                 for n in range(count)])
    return list(Message.objects.filter(chat=chat).order_by("id").values_list("id", flat=True))


class TestMessagePages:
    def test_a_chat_opens_on_its_newest_messages_newest_last(self, client_for, client_user, chat):
        ids = _messages(chat, 45)
        body = client_for(client_user).get(f"/api/chats/{chat.pk}/messages").json()
        assert [row["id"] for row in body["results"]] == ids[-20:]
        assert body["count"] == 45 and body["previous"] is None
        assert f"before={ids[-20]}" in body["next"]

    def test_before_gives_the_messages_just_before_it(self, client_for, client_user, chat):
        ids = _messages(chat, 45)
        api = client_for(client_user)
        body = api.get(f"/api/chats/{chat.pk}/messages", {"before": ids[30]}).json()
        assert [row["id"] for row in body["results"]] == ids[10:30]
        assert f"after={ids[29]}" in body["previous"] and f"before={ids[10]}" in body["next"]
        older = api.get(body["next"]).json()
        assert [row["id"] for row in older["results"]] == ids[:10] and older["next"] is None
        newer = api.get(body["previous"]).json()
        assert [row["id"] for row in newer["results"]] == ids[30:45]

    def test_pages_count_back_from_the_newest(self, client_for, client_user, chat):
        ids = _messages(chat, 45)
        body = client_for(client_user).get(f"/api/chats/{chat.pk}/messages", {"page": 2}).json()
        assert [row["id"] for row in body["results"]] == ids[5:25]

    def test_after_still_catches_up_oldest_first(self, client_for, client_user, chat):
        ids = _messages(chat, 30)
        body = client_for(client_user).get(f"/api/chats/{chat.pk}/messages", {"after": ids[4]}).json()
        assert [row["id"] for row in body["results"]] == ids[5:25] and body["count"] == 25

    def test_strangers_get_nothing(self, client_for, chat):
        _messages(chat, 3)
        assert client_for(make_user("freelancer")).get(f"/api/chats/{chat.pk}/messages").status_code == 404

    def test_sql_is_flat_in_page_size_and_membership_is_a_key_lookup(self, client_for, client_user, chat):
        _messages(chat, 120)
        api = client_for(client_user)
        api.get(f"/api/chats/{chat.pk}/messages")  # the count is taken in full once
        counts = []
        for size in (5, 100):
            with CaptureQueriesContext(connection) as queries:
                body = api.get(f"/api/chats/{chat.pk}/messages", {"page_size": size}).json()
            assert len(body["results"]) == size and body["count"] == 120
            sql = [query["sql"] for query in queries.captured_queries]
            # No chat-list query with unread counts, and no count over all the chat's messages.
            assert not [q for q in sql if "messaging_chatmember" in q]
            assert not [q for q in sql if "COUNT(" in q and "messaging_message" in q and '"id" >' not in q]
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_the_count_follows_new_messages(self, client_for, client_user, chat):
        _messages(chat, 10)
        api = client_for(client_user)
        assert api.get(f"/api/chats/{chat.pk}/messages").json()["count"] == 10
        _messages(chat, 7, start=10)
        assert api.get(f"/api/chats/{chat.pk}/messages").json()["count"] == 17

    def test_paging_back_is_a_backward_scan_of_the_chat_index(self, client_user, freelancer_user):
        chats = Chat.objects.bulk_create([Chat(client=client_user, freelancer=freelancer_user, subject_type="bench",
                                               subject_id=n) for n in range(200)])
        # Messages of many chats interleaved, as they arrive in a marketplace.
        Message.objects.bulk_create([Message(chat=chats[n % 200], sender=client_user, content=f"m{n}")
                                     for n in range(10000)])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE messaging_message")
        mine = list(Message.objects.filter(chat=chats[3]).order_by("id").values_list("id", flat=True))
        query = Message.objects.filter(chat=chats[3], id__lt=mine[45]).only(*selectors.MESSAGE_FIELDS)
        plan = query.order_by("-id")[:21].explain()
        assert "message_chat_idx" in plan and "Backward" in plan, plan

    def test_whether_newer_messages_exist_walks_the_chat_index_from_the_page(self, client_user, freelancer_user):
        chats = Chat.objects.bulk_create([Chat(client=client_user, freelancer=freelancer_user, subject_type="bench",
                                               subject_id=n) for n in range(50)])
        # Chats' messages interleaved, as they arrive in a marketplace; an unordered EXISTS scanned the table up
        # to the first match, and an order by id can walk the primary key through every chat's newer messages.
        Message.objects.bulk_create([Message(chat=chats[n % 50], sender=client_user, content=f"m{n}")
                                     for n in range(20000)])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE messaging_message")
        chat = chats[7]
        ids = list(Message.objects.filter(chat=chat).order_by("id").values_list("id", flat=True))
        with CaptureQueriesContext(connection) as queries:
            assert selectors.messages_newer_exist(chat=chat, than=ids[200])
            assert not selectors.messages_newer_exist(chat=chat, than=ids[-1])
        sql = queries.captured_queries[0]["sql"]  # as run, its values written in
        assert str(ids[200]) in sql
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            ours = "\n".join(row[0] for row in cursor.fetchall())
        assert "message_chat_idx" in ours and "ROW(" in ours and "Sort" not in ours, ours
        assert "Seq Scan" not in ours and "pkey" not in ours, ours
        # The chat's last message: the next entry of the index is another chat's.
        assert not selectors.messages_newer_exist(chat=chats[-1], than=ids[-1] * 10)
        assert selectors.messages_newer_exist(chat=chats[0], than=0)


class TestNotificationList:
    def test_count_is_exact_as_notifications_arrive_and_rows_are_narrow(self, client_for, client_user):
        def add(n: int) -> None:
            Notification.objects.bulk_create([Notification(user=client_user, kind="security", title=f"t{i}")
                                               for i in range(n)])
        add(30)
        api = client_for(client_user)
        assert api.get("/api/notifications").json()["count"] == 30
        add(4)
        with CaptureQueriesContext(connection) as queries:
            body = api.get("/api/notifications", {"page_size": 5}).json()
        assert body["count"] == 34 and len(body["results"]) == 5
        counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert counting and all('"id" >' in sql for sql in counting)
        Notification.objects.filter(user=client_user).update(read_at=None)
        assert api.get("/api/notifications", {"unread": "true"}).json()["count"] == 34
