"""Sockets under bad input and from other places: garbage frames, NUL characters, floods, tickets, origins."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from accounts.tokens import login_issue
from megilance.asgi import application
from messaging.consumers import FrameLimit
from messaging.models import Message
from messaging.services import chat_open

from .test_sockets import connect, receive_type, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat(client_user, freelancer_user):
    return chat_open(user=client_user, participant=freelancer_user)[0]


def test_garbage_frames_get_error_frames_and_the_socket_stays_open(chat, client_user):
    async def scenario():
        socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        assert (await socket.connect())[0]
        errors = []
        for frame in ("{not json", "[1, 2]", "null"):
            await socket.send_to(text_data=frame)
            errors.append(await receive_type(socket, "error"))
        await socket.send_to(bytes_data=b"\x00\xff binary")
        errors.append(await receive_type(socket, "error"))
        await socket.send_json_to({"type": "message.send", "content": "bad\x00byte", "client_id": "n-1"})
        errors.append(await receive_type(socket, "error"))
        await socket.send_json_to({"type": "message.send", "content": "fine", "client_id": "n\x002"})
        errors.append(await receive_type(socket, "error"))
        # Still open and working after all of that.
        await socket.send_json_to({"type": "message.send", "content": "still here", "client_id": "ok-1"})
        delivered = await receive_type(socket, "message.new")
        await socket.disconnect()
        return errors, delivered

    errors, delivered = async_to_sync(scenario)()
    assert all(error["detail"] for error in errors)
    assert "json" in errors[0]["detail"].lower() and "binary" in errors[3]["detail"].lower()
    assert "nul" in errors[4]["detail"].lower() and errors[4]["client_id"] == "n-1"
    assert delivered["content"] == "still here"
    assert list(Message.objects.filter(chat=chat).values_list("content", flat=True)) == ["still here"]


def test_a_nul_character_is_refused_over_rest_too(chat, client_for, client_user):
    response = client_for(client_user).post(f"/api/chats/{chat.pk}/messages", {"content": "a\x00b"}, format="json")
    assert response.status_code == 400 and response.json()["error_type"] == "validation_error"
    assert not Message.objects.filter(chat=chat).exists()


def test_a_flood_of_frames_is_answered_with_errors_beyond_the_limit(chat, client_user):
    async def scenario():
        socket = connect(f"/ws/chat/{chat.pk}/", client_user)
        assert (await socket.connect())[0]
        sent = FrameLimit.FRAMES + 5
        for _ in range(sent):
            await socket.send_json_to({"type": "ping"})
        frames = []
        while len([f for f in frames if f["type"] in ("pong", "error")]) < sent:
            frames.append(await socket.receive_json_from(timeout=10))
        assert await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()
        return frames

    frames = async_to_sync(scenario)()
    assert [f["type"] for f in frames].count("pong") == FrameLimit.FRAMES
    refused = [f for f in frames if f["type"] == "error"]
    assert len(refused) == 5 and all("too many" in f["detail"].lower() for f in refused)


def test_a_ticket_opens_one_socket_once(chat, client_for, client_user):
    response = client_for(client_user).post("/api/ws/ticket")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ticket", "expires_at"} and len(body["ticket"]) >= 32

    async def scenario():
        first = WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/?ticket={body['ticket']}")
        opened = (await first.connect())[0]
        presence = await receive_type(first, "presence")
        again = WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/?ticket={body['ticket']}")
        await again.connect()
        reused = await again.receive_output(timeout=10)
        await first.disconnect()
        return opened, presence, reused

    opened, presence, reused = async_to_sync(scenario)()
    assert opened and presence["type"] == "presence"
    assert reused == {"type": "websocket.close", "code": 4401}


def test_tickets_need_a_signed_in_caller_and_die_with_the_session(chat, api_client, client_user):
    assert api_client.post("/api/ws/ticket").status_code == 401
    from accounts.services import user_set_active

    tokens = login_issue(user=client_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    ticket = api_client.post("/api/ws/ticket").json()["ticket"]
    user_set_active(user=client_user, active=False)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/?ticket={ticket}")
        await socket.connect()
        return await socket.receive_output(timeout=10)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_apps_without_an_origin_get_in_with_a_token_or_ticket(chat, client_for, client_user):
    ticket = client_for(client_user).post("/api/ws/ticket").json()["ticket"]
    token = token_for(client_user)

    async def scenario():
        opened = []
        for query in (f"token={token}", f"ticket={ticket}"):
            socket = WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/?{query}")  # no Origin header
            opened.append((await socket.connect())[0])
            await receive_type(socket, "presence")
            await socket.disconnect()
        return opened

    assert async_to_sync(scenario)() == [True, True]


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_cookie_sockets_from_foreign_or_no_origin_are_refused(chat, client, client_user):
    client.force_login(client_user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def attempt(origin):
        headers = [(b"cookie", cookie)] + ([(b"origin", origin)] if origin else [])
        socket = WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/", headers=headers)
        connected, _ = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected

    async def scenario():
        return [await attempt(b"https://evil.example"), await attempt(None), await attempt(b"http://testserver")]

    foreign, missing, own = async_to_sync(scenario)()
    assert (foreign, missing) == (False, False)
    assert own is True  # the same cookie from our own page is welcome
