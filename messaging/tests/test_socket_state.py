"""What a chat socket keeps between frames (its chat, membership, block and contract), and when it lets go:
a block, an archive or a contract is seen by the very next frame, on any process. Delivery marks and presence
refreshes are written together, and never undo what they follow."""

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from contracts.tests.factories import make_contract
from messaging import consumers, presence, services
from messaging.chores import chores
from messaging.content_filter import MASK
from messaging.models import Chat, ChatMember, Message, Notification
from messaging.realtime import collected

from .test_sockets import connect, receive_type

pytestmark = pytest.mark.django_db(transaction=True)
EMAIL = "Write to me at dev@example.com"


@pytest.fixture
def chat(client_user, freelancer_user):
    return services.chat_open(user=client_user, participant=freelancer_user)[0]


def test_a_blocked_users_next_frame_is_refused_at_once_and_unblocking_lets_it_through(chat, client_user,
                                                                                       freelancer_user):
    async def scenario():
        socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "message.send", "content": "before", "client_id": "s-1"})
        await receive_type(socket, "message.new")
        await sync_to_async(services.block_set)(user=freelancer_user, other=client_user, blocked=True)
        await socket.send_json_to({"type": "message.send", "content": "after the block", "client_id": "s-2"})
        refused = await receive_type(socket, "error")
        await sync_to_async(services.block_set)(user=freelancer_user, other=client_user, blocked=False)
        await socket.send_json_to({"type": "message.send", "content": "after unblocking", "client_id": "s-3"})
        again = await receive_type(socket, "message.new")
        await socket.disconnect()
        return refused, again

    refused, again = async_to_sync(scenario)()
    assert refused["client_id"] == "s-2" and "cannot message" in refused["detail"]
    assert again["content"] == "after unblocking"
    assert list(Message.objects.filter(chat=chat).values_list("content", flat=True)) == ["before",
                                                                                         "after unblocking"]


def test_an_open_socket_stops_masking_once_the_pair_has_a_contract(chat, client_user, freelancer_user):
    async def scenario():
        socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "message.send", "content": EMAIL, "client_id": "m-1"})
        masked = await receive_type(socket, "message.new")
        await sync_to_async(make_contract)(client_user, freelancer_user)
        await socket.send_json_to({"type": "message.send", "content": EMAIL, "client_id": "m-2"})
        shown = await receive_type(socket, "message.new")
        await socket.disconnect()
        return masked, shown

    masked, shown = async_to_sync(scenario)()
    assert MASK in masked["content"]
    assert shown["content"] == EMAIL


def test_the_state_is_loaded_again_after_an_archive_a_block_or_a_while(chat, client_user, freelancer_user,
                                                                        monkeypatch):
    state = services.chat_socket_state(user=client_user, chat_id=chat.pk)
    assert state is not None and state.is_current() and not state.archived and not state.blocked
    assert services.chat_socket_state_current(state, client_user) is state

    services.chat_set_archived(user=client_user, chat=chat, archived=True)
    assert not state.is_current()
    state = services.chat_socket_state_current(state, client_user)
    assert state.archived and state.is_current()

    services.block_set(user=client_user, other=freelancer_user, blocked=True)
    state = services.chat_socket_state_current(state, client_user)
    assert state.blocked and state.is_current()

    # After a while it is loaded again even with no change announced: between one and two times
    # SOCKET_STATE_SECONDS after it was loaded, drawn per state, so sockets that connected together reload apart.
    loaded = time.monotonic()
    states = [services.chat_socket_state(user=client_user, chat_id=chat.pk) for _ in range(20)]
    seconds = services.SOCKET_STATE_SECONDS
    assert all(loaded + seconds <= s.stale_at <= time.monotonic() + 2 * seconds for s in states)
    assert len({round(s.stale_at, 3) for s in states}) > 10
    monkeypatch.setattr(services, "SOCKET_STATE_SECONDS", 0.0)
    state = services.chat_socket_state(user=client_user, chat_id=chat.pk)
    time.sleep(0.01)
    assert not state.is_current()
    assert services.chat_socket_state_current(state, client_user) is not state


def test_strangers_have_no_socket_state(chat, make_user, client_user):
    stranger = make_user(user_type="freelancer")
    assert services.chat_socket_state(user=stranger, chat_id=chat.pk) is None
    # Nor when the other person is named, as a socket loading its state again does.
    assert services.chat_socket_state(user=stranger, chat_id=chat.pk, other_id=client_user.pk) is None
    assert services.chat_socket_state(user=client_user, chat_id=chat.pk, other_id=stranger.pk) is None


def test_loading_the_state_again_is_one_query_and_the_contract_lookups(chat, client_user, freelancer_user):
    state = services.chat_socket_state(user=client_user, chat_id=chat.pk)
    with CaptureQueriesContext(connection) as queries:
        again = services.chat_socket_state(user=client_user, chat_id=chat.pk, other_id=state.other_id)
    assert again == state.__class__(**{**state.__dict__, "token": again.token, "stale_at": again.stale_at})
    own = [q["sql"] for q in queries.captured_queries if "messaging_" in q["sql"]]
    assert len(own) == 1 and "messaging_block" in own[0]
    services.block_set(user=freelancer_user, other=client_user, blocked=True)
    assert services.chat_socket_state(user=client_user, chat_id=chat.pk, other_id=state.other_id).blocked


def test_a_message_sent_with_its_socket_state_asks_nothing_about_blocks_or_contracts(chat, client_user,
                                                                                      freelancer_user):
    presence.connect(freelancer_user.pk, "recipient-socket")  # online: no notification to write
    state = services.chat_socket_state(user=client_user, chat_id=chat.pk)
    with CaptureQueriesContext(connection) as queries:
        services.message_send(chat=chat, sender=client_user, content="hello", client_id="q-1", checked=state)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "messaging_block" not in sql and "contracts_contract" not in sql
    assert "SAVEPOINT" not in sql  # the insert goes first: a repeated client_id fails it, no savepoint needed
    # Sent again with the same client_id: the stored message, not a second one.
    again, created = services.message_send(chat=chat, sender=client_user, content="hello", client_id="q-1",
                                           checked=state)
    assert not created and Message.objects.filter(chat=chat).count() == 1
    # Sent again after a refusal would now apply: still the stored message.
    state.blocked = True
    stored, created = services.message_send(chat=chat, sender=client_user, content="hello", client_id="q-1",
                                            checked=state)
    assert not created and stored.pk == again.pk


def test_delivery_marks_are_written_together_and_never_go_back(chat, client_user, freelancer_user):
    first = services.message_send(chat=chat, sender=client_user, content="one")[0]
    second = services.message_send(chat=chat, sender=client_user, content="two")[0]
    services.messages_mark_delivered_many({(chat.pk, freelancer_user.pk): second.pk})
    services.messages_mark_delivered_many({(chat.pk, freelancer_user.pk): first.pk})
    member = ChatMember.objects.get(chat=chat, user=freelancer_user)
    assert member.last_delivered_message_id == second.pk


def test_a_message_received_on_a_socket_is_marked_delivered(chat, client_user, freelancer_user):
    async def scenario():
        receiver = connect(f"/ws/chat/{chat.pk}/", freelancer_user)
        assert (await receiver.connect())[0]
        message = (await sync_to_async(services.message_send)(chat=chat, sender=client_user, content="hi"))[0]
        await receive_type(receiver, "message.new")
        await chores.flush()
        await receiver.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert ChatMember.objects.get(chat=chat, user=freelancer_user).last_delivered_message_id == message.pk


def test_a_late_presence_refresh_does_not_bring_a_closed_socket_back(client_user):
    assert presence.connect(client_user.pk, "socket-a")
    assert presence.is_online(client_user.pk)
    assert presence.disconnect(client_user.pk, "socket-a")
    presence.refresh_many([(client_user.pk, "socket-a")])
    assert not presence.is_online(client_user.pk)
    presence.connect(client_user.pk, "socket-b")
    presence.refresh_many([(client_user.pk, "socket-b")])
    assert presence.is_online(client_user.pk)


def test_a_message_frame_costs_one_statement_and_leaves_its_broadcast_to_the_event_loop(chat, client_user,
                                                                                       freelancer_user):
    """The work of one `message.send` frame in the socket's worker thread (`consumers._send`): with the socket's
    state loaded and the other party online, the message, the chat's last activity and the sender's read mark
    are one statement, and the `message.new` broadcast comes back for the event loop to send."""
    presence.connect(freelancer_user.pk, "recipient-socket")
    state = services.chat_socket_state(user=client_user, chat_id=chat.pk)
    with CaptureQueriesContext(connection) as queries:
        current, refusal, broadcasts = consumers._send(state, client_user, "  hello there ", "f-1")
    assert len(queries.captured_queries) == 1, [query["sql"] for query in queries.captured_queries]
    assert current is state and refusal is None
    message = Message.objects.get(chat=chat)
    assert (message.content, message.sender_id, message.client_id) == ("hello there", client_user.pk, "f-1")
    assert Chat.objects.get(pk=chat.pk).last_message_at == message.created_at
    members = {member.user_id: member for member in ChatMember.objects.filter(chat=chat)}
    assert members[client_user.pk].last_read_message_id == message.pk
    assert members[freelancer_user.pk].last_read_message_id == 0
    assert len(broadcasts) == 1
    group, event = broadcasts[0]
    assert group == f"chat_{chat.pk}" and event["type"] == "message.new"
    assert {key: event["payload"][key] for key in ("id", "chat_id", "sender_id", "content", "client_id")} == {
        "id": message.pk, "chat_id": chat.pk, "sender_id": client_user.pk, "content": "hello there",
        "client_id": "f-1"}

    # The same frame again (a client retrying): nothing stored or broadcast a second time.
    with CaptureQueriesContext(connection) as queries:
        _, refusal, broadcasts = consumers._send(state, client_user, "hello there", "f-1")
    assert refusal is None and broadcasts == []
    assert len(queries.captured_queries) == 2  # the insert that wrote nothing, the look-up of the stored one
    assert Message.objects.filter(chat=chat).count() == 1


def test_a_frame_to_someone_offline_still_notifies_them_and_pushes_after_commit(chat, client_user,
                                                                              freelancer_user):
    presence.disconnect(freelancer_user.pk, "recipient-socket")
    state = services.chat_socket_state(user=client_user, chat_id=chat.pk)
    _, refusal, broadcasts = consumers._send(state, client_user, "are you there?", "o-1")
    assert refusal is None
    message = Message.objects.get(chat=chat)
    notification = Notification.objects.get(user=freelancer_user)
    assert notification.data == {"chat_id": chat.pk, "message_id": message.pk}
    assert [(group, event["type"]) for group, event in broadcasts] == [
        (f"chat_{chat.pk}", "message.new"), (f"user_{freelancer_user.pk}", "notification.push")]
    assert ChatMember.objects.get(chat=chat, user=client_user).last_read_message_id == message.pk


def test_a_message_rolled_back_is_never_broadcast(chat, client_user, freelancer_user):
    presence.connect(freelancer_user.pk, "recipient-socket")
    state = services.chat_socket_state(user=client_user, chat_id=chat.pk)
    with collected() as broadcasts, pytest.raises(RuntimeError), transaction.atomic():
        services.message_send(chat=chat, sender=client_user, content="never", client_id="r-1", checked=state,
                              recipient_online=True)
        raise RuntimeError("rolled back")
    assert broadcasts == []
    assert not Message.objects.filter(chat=chat).exists()
    assert Chat.objects.get(pk=chat.pk).last_message_at is None


def test_a_repeated_client_id_inside_a_transaction_leaves_the_transaction_usable(chat, client_user):
    with transaction.atomic():
        first, created = services.message_send(chat=chat, sender=client_user, content="once", client_id="t-1",
                                               recipient_online=True)
        again, created_again = services.message_send(chat=chat, sender=client_user, content="once",
                                                     client_id="t-1", recipient_online=True)
        later, _ = services.message_send(chat=chat, sender=client_user, content="next", client_id="t-2",
                                         recipient_online=True)
    assert created and not created_again and again.pk == first.pk
    assert list(Message.objects.filter(chat=chat).values_list("content", flat=True)) == ["once", "next"]
    assert ChatMember.objects.get(chat=chat, user=client_user).last_read_message_id == later.pk


def test_collecting_broadcasts_inside_a_transaction_is_refused(chat):
    with transaction.atomic(), pytest.raises(RuntimeError), collected():
        pass
