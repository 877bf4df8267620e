"""WebSocket consumers: they authenticate, join groups and relay; everything else is a service call.

Pages authenticate with the session cookie, apps with `?token=<access_token>`. A bad token closes with
4401, someone who is not a party with 4403.
"""

import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.exceptions import ApplicationError
from core.logging import set_request_id
from core.metrics import OPEN_SOCKETS

from . import presence, services
from .models import Chat
from .realtime import chat_group, user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class _AuthenticatedConsumer(AsyncJsonWebsocketConsumer):
    user: Any = None

    async def _authenticate(self) -> bool:
        user = self.scope.get("user")
        if self.scope.get("token_invalid") or user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        self.user = user
        self.connection_id = uuid.uuid4().hex
        return True

    async def send_error(self, detail: str) -> None:
        await self.send_json({"type": "error", "detail": detail})


class ChatConsumer(_AuthenticatedConsumer):
    """`/ws/chat/<chat_id>/`: messages, typing, read receipts and presence of one chat.

    `?after=<message id>` on connect sends what was missed since then, in order, before anything new.
    """

    chat: Chat | None = None

    async def connect(self) -> None:
        _bind_request_id(self.scope)
        if not await self._authenticate():
            return
        chat_id = int(self.scope["url_route"]["kwargs"]["chat_id"])
        self.chat = await database_sync_to_async(_chat_of)(self.user, chat_id)
        if self.chat is None:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = chat_group(chat_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        OPEN_SOCKETS.labels("chat").inc()
        came_online = await database_sync_to_async(presence.connect)(self.user.pk, self.connection_id)
        other_id = self.chat.other_id(self.user.pk)
        other_online = await database_sync_to_async(presence.is_online)(other_id)
        await self.send_json({"type": "presence", "user_id": other_id, "online": other_online})
        # Whoever is in this chat learns we are here (we may have been online elsewhere already).
        await self.channel_layer.group_send(self.group, {
            "type": "presence.update", "payload": {"user_id": self.user.pk, "online": True}})
        if came_online:
            await _announce_presence(self.channel_layer, self.user.pk, online=True, skip_chat=self.chat.pk)
        after = _query_int(self.scope, "after")
        if after is not None:
            for payload in await database_sync_to_async(_missed)(self.chat, after):
                await self.send_json({"type": "message.new", **payload})

    async def disconnect(self, code: int) -> None:
        if self.chat is None or self.user is None:
            return
        OPEN_SOCKETS.labels("chat").dec()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        went_offline = await database_sync_to_async(presence.disconnect)(self.user.pk, self.connection_id)
        if went_offline:
            await _announce_presence(self.channel_layer, self.user.pk, online=False)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_error("Send JSON objects with a type.")
            return
        await database_sync_to_async(presence.refresh)(self.user.pk, self.connection_id)
        kind = content.get("type")
        try:
            if kind == "message.send":
                text = content.get("content")
                client_id = str(content.get("client_id") or "")
                try:
                    await database_sync_to_async(services.message_send)(
                        chat=self.chat, sender=self.user, content=text if isinstance(text, str) else "",
                        client_id=client_id)
                except ApplicationError as exc:  # say which message failed
                    await self.send_json({"type": "error", "detail": str(exc.detail), "client_id": client_id or None})
            elif kind in ("typing.start", "typing.stop"):
                await self.channel_layer.group_send(self.group, {
                    "type": "typing.update", "payload": {"user_id": self.user.pk, "is_typing": kind == "typing.start"}})
            elif kind == "message.read":
                message_id = content.get("message_id")
                if not isinstance(message_id, int):
                    await self.send_error("message.read needs a message_id.")
                    return
                await database_sync_to_async(services.messages_mark_read)(
                    chat=self.chat, user=self.user, message_id=message_id)
            elif kind == "ping":
                await self.send_json({"type": "pong"})
            else:
                await self.send_error(f"Unknown frame type {kind!r}.")
        except ApplicationError as exc:
            await self.send_error(str(exc.detail))

    async def message_new(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        await self.send_json({"type": "message.new", **payload})
        if payload["sender_id"] != self.user.pk:
            await database_sync_to_async(services.messages_mark_delivered)(
                chat_id=payload["chat_id"], user_id=self.user.pk, message_id=payload["id"])

    async def message_read(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message.read", **event["payload"]})

    async def typing_update(self, event: dict[str, Any]) -> None:
        if event["payload"]["user_id"] != self.user.pk:
            await self.send_json({"type": "typing", **event["payload"]})

    async def presence_update(self, event: dict[str, Any]) -> None:
        if event["payload"]["user_id"] != self.user.pk:
            await self.send_json({"type": "presence", **event["payload"]})


class NotificationConsumer(_AuthenticatedConsumer):
    """`/ws/notifications/`: every notification of the signed-in user, live."""

    joined = False

    async def connect(self) -> None:
        _bind_request_id(self.scope)
        if not await self._authenticate():
            return
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        self.joined = True
        await self.accept()
        OPEN_SOCKETS.labels("notifications").inc()
        if await database_sync_to_async(presence.connect)(self.user.pk, self.connection_id):
            await _announce_presence(self.channel_layer, self.user.pk, online=True)

    async def disconnect(self, code: int) -> None:
        if self.joined:
            OPEN_SOCKETS.labels("notifications").dec()
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
            if await database_sync_to_async(presence.disconnect)(self.user.pk, self.connection_id):
                await _announce_presence(self.channel_layer, self.user.pk, online=False)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await database_sync_to_async(presence.refresh)(self.user.pk, self.connection_id)
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notification_push(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        # The frame's own type is "notification"; what kind of notification it is goes in "kind".
        await self.send_json({**payload, "type": "notification", "kind": payload["type"]})


async def _announce_presence(layer: Any, user_id: int, *, online: bool, skip_chat: int | None = None) -> None:
    """Tells every chat of the user that they came online or went offline."""
    chat_ids = await database_sync_to_async(_chat_ids_of)(user_id)
    for chat_id in chat_ids:
        if chat_id != skip_chat:
            await layer.group_send(chat_group(chat_id), {
                "type": "presence.update", "payload": {"user_id": user_id, "online": online}})


def _chat_ids_of(user_id: int) -> list[int]:
    from django.db.models import Q

    return list(Chat.objects.filter(Q(client_id=user_id) | Q(freelancer_id=user_id)).values_list("pk", flat=True)[:500])


def _bind_request_id(scope: dict) -> None:
    """Log lines of this connection carry its request id: the client's X-Request-ID header or a new one."""
    incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
    set_request_id(incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex)


def _chat_of(user: Any, chat_id: int) -> Chat | None:
    chat = Chat.objects.filter(pk=chat_id).first()
    return chat if chat is not None and chat.has_participant(user) else None


def _missed(chat: Chat, after: int) -> list[dict[str, Any]]:
    return [services.message_payload(m) for m in services.messages_for(chat=chat, after=after)[:500]]


def _query_int(scope: dict, name: str) -> int | None:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode()).get(name)
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None
