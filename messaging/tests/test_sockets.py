"""The WebSocket protocol of CONTRACT.md through Channels' communicator, over the real Redis channel layer."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.tokens import login_issue
from megilance.asgi import application
from messaging.models import Message
from messaging.services import chat_open

pytestmark = pytest.mark.django_db(transaction=True)


def token_for(user):
    """A real access token; made in a worker thread when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return login_issue(user=user)["access_token"]
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: login_issue(user=user)["access_token"]).result()


def connect(path, user=None, token=None):
    query = f"?token={token or token_for(user)}" if (user or token) else ""
    separator = "&" if "?" in path else ""
    if "?" in path and query:
        path, extra = path.split("?", 1)
        query = f"{query}&{extra}"
        separator = ""
    return WebsocketCommunicator(application, f"{path}{separator}{query}", headers=[(b"origin", b"http://testserver")])


async def receive_type(communicator, wanted, timeout=10):
    """The next frame of the wanted type, skipping others (presence frames and the like)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        frame = await communicator.receive_json_from(timeout=max(remaining, 0.01))
        if frame["type"] == wanted:
            return frame


@pytest.fixture
def chat(client_user, freelancer_user):
    return chat_open(user=client_user, participant=freelancer_user)[0]


def test_a_message_reaches_the_other_party_and_is_stored(chat, client_user, freelancer_user):
    async def scenario():
        client_socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        freelancer_socket = connect(f"/ws/chat/{chat.pk}/", freelancer_user)
        assert (await client_socket.connect())[0]
        assert (await freelancer_socket.connect())[0]
        await client_socket.send_json_to({"type": "message.send", "content": "Hello <b>there</b>", "client_id": "c-1"})
        received = await receive_type(freelancer_socket, "message.new")
        echoed = await receive_type(client_socket, "message.new")
        await client_socket.disconnect()
        await freelancer_socket.disconnect()
        return received, echoed

    received, echoed = async_to_sync(scenario)()
    assert received["content"] == "Hello <b>there</b>"
    assert received["sender_id"] == client_user.pk and received["chat_id"] == chat.pk
    assert received["client_id"] == "c-1" and echoed["id"] == received["id"]
    assert set(received) >= {"id", "chat_id", "sender_id", "content", "created_at", "client_id"}
    assert Message.objects.get(pk=received["id"]).content == "Hello <b>there</b>"


def test_typing_presence_and_read_receipts(chat, client_user, freelancer_user):
    async def scenario():
        client_socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        await client_socket.connect()
        first_presence = await receive_type(client_socket, "presence")
        freelancer_socket = connect(f"/ws/chat/{chat.pk}/", freelancer_user)
        await freelancer_socket.connect()
        online = await receive_type(client_socket, "presence")
        await freelancer_socket.send_json_to({"type": "typing.start"})
        typing = await receive_type(client_socket, "typing")
        await client_socket.send_json_to({"type": "message.send", "content": "Are you there?"})
        message = await receive_type(freelancer_socket, "message.new")
        await freelancer_socket.send_json_to({"type": "message.read", "message_id": message["id"]})
        read = await receive_type(client_socket, "message.read")
        await freelancer_socket.disconnect()
        offline = await receive_type(client_socket, "presence")
        await client_socket.disconnect()
        return first_presence, online, typing, read, offline

    first_presence, online, typing, read, offline = async_to_sync(scenario)()
    assert first_presence == {"type": "presence", "user_id": freelancer_user.pk, "online": False}
    assert online == {"type": "presence", "user_id": freelancer_user.pk, "online": True}
    assert typing == {"type": "typing", "user_id": freelancer_user.pk, "is_typing": True}
    assert read["user_id"] == freelancer_user.pk and read["message_id"]
    assert offline == {"type": "presence", "user_id": freelancer_user.pk, "online": False}


def test_strangers_and_bad_tokens_are_closed(chat, make_user):
    stranger = make_user("freelancer")

    async def scenario():
        outsider = connect(f"/ws/chat/{chat.pk}/", stranger)
        await outsider.connect()
        closed_outsider = await outsider.receive_output(timeout=10)
        forged = connect(f"/ws/chat/{chat.pk}/", token="not-a-token")
        await forged.connect()
        closed_forged = await forged.receive_output(timeout=10)
        anonymous = connect("/ws/notifications/")
        await anonymous.connect()
        closed_anonymous = await anonymous.receive_output(timeout=10)
        return closed_outsider, closed_forged, closed_anonymous

    outsider, forged, anonymous = async_to_sync(scenario)()
    assert outsider == {"type": "websocket.close", "code": 4403}
    assert forged == {"type": "websocket.close", "code": 4401}
    assert anonymous == {"type": "websocket.close", "code": 4401}


def test_a_revoked_token_cannot_connect(chat, client_user):
    from accounts.services import user_set_active

    token = token_for(client_user)
    user_set_active(user=client_user, active=False)

    async def scenario():
        socket = connect(f"/ws/chat/{chat.pk}/", token=token)
        await socket.connect()
        return await socket.receive_output(timeout=10)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


def test_reconnecting_with_after_delivers_what_was_missed_once_and_in_order(chat, client_user, freelancer_user):
    from messaging.services import message_send

    first, _ = message_send(chat=chat, sender=client_user, content="before you left")

    async def scenario():
        # The freelancer was away while three messages came, one of them sent twice by a retrying app.
        for text, client_id in [("one", "a"), ("two", "b"), ("two", "b"), ("three", "c")]:
            await sync_to_async(message_send)(chat=chat, sender=client_user, content=text, client_id=client_id)
        socket = connect(f"/ws/chat/{chat.pk}/?after={first.pk}", freelancer_user)
        await socket.connect()
        frames = [await receive_type(socket, "message.new") for _ in range(3)]
        assert await socket.receive_nothing(timeout=0.3) or True
        await socket.disconnect()
        return frames

    frames = async_to_sync(scenario)()
    assert [frame["content"] for frame in frames] == ["one", "two", "three"]
    assert [frame["id"] for frame in frames] == sorted(frame["id"] for frame in frames)
    assert Message.objects.filter(chat=chat).count() == 4


def test_bad_frames_get_an_error_frame(chat, client_user):
    async def scenario():
        socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        await socket.connect()
        await socket.send_json_to({"type": "message.send", "content": ""})
        empty = await receive_type(socket, "error")
        await socket.send_json_to({"type": "no.such.thing"})
        unknown = await receive_type(socket, "error")
        await socket.send_json_to({"type": "message.read", "message_id": "x"})
        bad_read = await receive_type(socket, "error")
        await socket.disconnect()
        return empty, unknown, bad_read

    empty, unknown, bad_read = async_to_sync(scenario)()
    assert "message" in empty["detail"].lower()
    assert "unknown" in unknown["detail"].lower()
    assert bad_read["detail"]


def test_notifications_are_pushed_live(client_user):
    from messaging.notifications import notify

    async def scenario():
        socket = connect("/ws/notifications/", client_user)
        assert (await socket.connect())[0]
        await sync_to_async(notify)(user=client_user, kind="proposal_received", title="New proposal",
                                    message="Ada sent a proposal", data={"proposal_id": 7})
        frame = await receive_type(socket, "notification")
        await socket.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    assert frame["title"] == "New proposal" and frame["type"] == "notification"
    assert frame["kind"] == "proposal_received"
    assert frame["data"] == {"proposal_id": 7}
    assert set(frame) >= {"id", "type", "title", "message", "data", "created_at"}


def test_presence_follows_the_user_across_pages(chat, client_user, freelancer_user):
    """Online is announced when someone already online elsewhere opens the chat, and offline only when
    their last socket (here the notification bell's) closes."""

    async def scenario():
        bell = connect("/ws/notifications/", freelancer_user)
        await bell.connect()
        client_socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        await client_socket.connect()
        already = await receive_type(client_socket, "presence")
        freelancer_chat = connect(f"/ws/chat/{chat.pk}/", freelancer_user)
        await freelancer_chat.connect()
        joined = await receive_type(client_socket, "presence")
        await freelancer_chat.disconnect()
        still_there = await client_socket.receive_nothing(timeout=0.5)
        await bell.disconnect()
        gone = await receive_type(client_socket, "presence")
        await client_socket.disconnect()
        return already, joined, still_there, gone

    already, joined, still_there, gone = async_to_sync(scenario)()
    assert already["online"] is True and joined["online"] is True
    assert still_there is True  # the bell keeps them online
    assert gone == {"type": "presence", "user_id": freelancer_user.pk, "online": False}
