"""A message sent to one server process reaches a socket on another: two real uvicorn processes share
Redis through channels-redis, as production's ASGI processes do."""

import asyncio
import json

import pytest
import websockets

from accounts.tokens import login_issue
from messaging.services import chat_open

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def _until(socket, frame_type, timeout=10.0):
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame


def test_a_message_crosses_processes(asgi_servers, client_user, freelancer_user):
    chat, _ = chat_open(user=client_user, participant=freelancer_user)
    client_token = login_issue(user=client_user)["access_token"]
    freelancer_token = login_issue(user=freelancer_user)["access_token"]
    first, second = asgi_servers(2)

    async def scenario():
        ws = lambda base, token: base.replace("http", "ws") + f"/ws/chat/{chat.pk}/?token={token}"  # noqa: E731
        origin = {"Origin": first}
        async with websockets.connect(ws(first, client_token), additional_headers=origin) as on_first, \
                websockets.connect(ws(second, freelancer_token), additional_headers={"Origin": second}) as on_second:
            await _until(on_first, "presence")
            await _until(on_second, "presence")
            await on_first.send(json.dumps({"type": "message.send", "content": "Across processes", "client_id": "x1"}))
            received = await _until(on_second, "message.new")
            await on_second.send(json.dumps({"type": "message.send", "content": "Right back", "client_id": "y1"}))
            reply = await _until(on_first, "message.new")
            while reply["content"] != "Right back":
                reply = await _until(on_first, "message.new")
            return received, reply

    received, reply = asyncio.run(scenario())
    assert received["content"] == "Across processes" and received["sender_id"] == client_user.pk
    assert reply["content"] == "Right back" and reply["sender_id"] == freelancer_user.pk
