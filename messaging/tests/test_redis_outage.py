"""Chat with its Redis stopped and started again, on a real uvicorn process that uses a private Redis as
channel layer, cache and presence store; and what that process writes to its log."""

import asyncio
import json
import time

import pytest
import requests
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from accounts.tokens import login_issue
from messaging.models import Message, Notification
from messaging.services import chat_open
from tests.helpers.faults import database_url, private_redis, uvicorn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def _until(socket, frame_type, timeout=10.0):
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame


async def _close_code(socket, timeout=10.0):
    """Reads until the server closes the socket; returns the close code."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await socket.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def test_chat_survives_redis_going_away_and_coming_back(client_user, freelancer_user):
    chat, _ = chat_open(user=client_user, participant=freelancer_user)
    client_token = login_issue(user=client_user)["access_token"]
    freelancer_token = login_issue(user=freelancer_user)["access_token"]
    with private_redis() as redis_server, uvicorn({"DATABASE_URL": database_url(), "REDIS_URL": redis_server.url}) \
            as server:
        post = lambda text: requests.post(  # noqa: E731
            f"{server.url}/api/chats/{chat.pk}/messages", json={"content": text},
            headers={"Authorization": f"Bearer {client_token}"}, timeout=10)
        chat_url = f"{server.ws}/ws/chat/{chat.pk}/?token={freelancer_token}"

        async def before_and_during():
            async with websockets.connect(chat_url) as socket:
                await _until(socket, "presence")
                first = post("before the outage")
                assert first.status_code == 201, first.text
                seen = await _until(socket, "message.new")
                redis_server.stop()
                # The open socket is closed with "try again later", not dropped without a code.
                code = await _close_code(socket)
            # A new socket while Redis is down is told the same, not answered 500.
            try:
                async with websockets.connect(chat_url) as socket:
                    refused = await _close_code(socket)
            except InvalidStatus as exc:
                refused = exc.response.status_code
            return seen, code, refused

        seen, code, refused = asyncio.run(before_and_during())
        assert code == 1013 and refused == 1013

        started = time.monotonic()
        during = post("while Redis is down")
        assert during.status_code == 201, during.text
        assert time.monotonic() - started < 5
        assert during.json()["content"] == "while Redis is down"
        ready = requests.get(f"{server.url}/api/health/ready", timeout=10)
        assert ready.status_code == 503 and "redis" in ready.json()["failed"]
        # Presence is unknown, so the recipient is told the way an offline one is.
        assert Notification.objects.filter(user=freelancer_user, data__message_id=during.json()["id"]).exists()

        redis_server.start()

        async def after():
            # The first socket after Redis is back works, and catches up on what it missed.
            async with websockets.connect(f"{chat_url}&after={seen['id']}") as socket:
                missed = await _until(socket, "message.new")
                sent = post("after the outage")
                assert sent.status_code == 201, sent.text
                live = await _until(socket, "message.new")
            return missed, live

        missed, live = asyncio.run(after())
        assert missed["content"] == "while Redis is down" and live["content"] == "after the outage"
        assert requests.get(f"{server.url}/api/health/ready", timeout=10).status_code == 200
    assert list(Message.objects.filter(chat=chat).order_by("id").values_list("content", flat=True)) == [
        "before the outage", "while Redis is down", "after the outage"]


def test_tokens_and_tickets_stay_out_of_the_server_log(client_user, freelancer_user):
    chat, _ = chat_open(user=client_user, participant=freelancer_user)
    token = login_issue(user=client_user)["access_token"]
    with private_redis() as redis_server, uvicorn(
            {"DATABASE_URL": database_url(), "REDIS_URL": redis_server.url, "LOG_LEVEL": "INFO"},
            log_level="info") as server:
        ticket = requests.post(f"{server.url}/api/ws/ticket", headers={"Authorization": f"Bearer {token}"},
                               timeout=10).json()["ticket"]

        async def connect_both():
            for query in (f"token={token}", f"ticket={ticket}"):
                async with websockets.connect(f"{server.ws}/ws/chat/{chat.pk}/?{query}") as socket:
                    await _until(socket, "presence")
            # An HTTP request with a token in its address is logged by the access log too.
            requests.get(f"{server.url}/api/health/live?token={token}", timeout=10)

        asyncio.run(connect_both())
        time.sleep(0.3)
        output = server.output()
    assert f"/ws/chat/{chat.pk}/?token=[redacted]" in output  # the line is there, without the secret
    assert f"/ws/chat/{chat.pk}/?ticket=[redacted]" in output
    assert "/api/health/live?token=[redacted]" in output
    assert token not in output and ticket not in output
    assert token.split(".")[2] not in output
