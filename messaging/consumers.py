"""WebSocket consumers: they authenticate, join groups and relay; everything else is a service call.

Pages authenticate with the session cookie, apps with `?ticket=<ticket>` (or `?token=<access_token>`). A bad
ticket or token closes with 4401, someone who is not a party with 4403.

A frame the server cannot use (not JSON, binary, an unknown type, bad content) is answered with an
`error {detail}` frame and the socket stays open. So is a frame over the send limit (`FrameLimit`).

At scale (1,000 sockets, 200 messages a second per pair of processes, `make bench-sockets`):
- a chat socket loads what it needs to know once, on connect (`services.ChatSocketState`: the chat, the user's
  membership, block and contract), and again only when the pair's state token says something changed (a block,
  an archive, a contract: `services.pair_changed`), so a message to someone online costs one Redis round trip
  (the token and the other party's presence, `services.chat_socket_state_for_send`) and one statement (the
  message, the chat's last activity and the sender's read mark); its committed `message.new` is sent from the
  event loop (`realtime.collected`), not from the worker thread;
- delivery marks and presence refreshes are written for all the process's sockets together once a second
  (`chores.SocketChores`);
- database work runs in a pool of threads (`thread_sensitive=False`): each call is a whole unit of work with
  its own connection and transaction, so calls need not queue behind one thread.
"""

import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from core.exceptions import ApplicationError
from core.logging import set_request_id
from core.metrics import OPEN_SOCKETS

from . import presence, services
from .chores import chores
from .models import Chat
from .realtime import Broadcast, chat_group, collected, send_collected, user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# The channel layer (Redis) cannot be reached: come back later, with `?after=` to catch up.
CLOSE_TRY_AGAIN_LATER = 1013

logger = logging.getLogger(__name__)


# Threads for the sockets' database calls: as many as the connection pool of an ASGI process holds less a few
# (production.py: at most 20), so calls waiting on PostgreSQL overlap instead of queueing behind the event loop's
# default pool (CPU count + 4 threads).
DB_THREADS = 16
_db_threads = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="socket-db")


def _db(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """`function` (a whole unit of work: its own queries and transaction) in the sockets' thread pool, so the
    process's sockets do not wait for each other's database calls on one thread."""
    return database_sync_to_async(function, thread_sensitive=False, executor=_db_threads)


class FrameLimit:
    """At most `FRAMES` frames from one user in any `SECONDS` seconds, across their sockets on this process.

    20 frames in 5 seconds is far above what a person types (chat's own limit is 30 messages a minute, see
    `services.SEND_LIMIT_PER_MINUTE`) and keeps a runaway client from flooding a chat with typing frames.
    Frames over the limit are answered with an `error` frame and dropped; the socket stays open.
    """

    FRAMES = 20
    SECONDS = 5.0

    def __init__(self) -> None:
        self._seen: dict[int, deque[float]] = {}

    def allow(self, user_id: int) -> bool:
        from django.conf import settings

        if not settings.THROTTLE_ENABLED:
            return True
        now = time.monotonic()
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.SECONDS:
            seen.popleft()
        if len(seen) >= self.FRAMES:
            return False
        seen.append(now)
        return True

    def forget(self, user_id: int) -> None:
        seen = self._seen.get(user_id)
        if seen is not None and (not seen or seen[-1] <= time.monotonic() - self.SECONDS):
            self._seen.pop(user_id, None)


frame_limit = FrameLimit()


class _AuthenticatedConsumer(AsyncJsonWebsocketConsumer):
    user: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Runs the consumer; if the channel layer (Redis) fails, the socket is closed with 1013 rather than
        dropped with no close code, and the client reconnects later with `?after=`."""
        self._handshake_sent = False

        async def tracking_send(message: dict) -> None:
            if message.get("type") in ("websocket.accept", "websocket.close"):
                self._handshake_sent = True
            await send(message)

        try:
            await super().__call__(scope, receive, tracking_send)
        except (RedisError, OSError) as exc:
            logger.warning("Socket closed: channel layer unreachable (%s)", type(exc).__name__)
            try:
                if not self._handshake_sent:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
            except Exception:  # the client is gone already
                logger.debug("Could not close the socket", exc_info=True)
            if self.user is not None:
                await self._left()

    async def _left(self) -> None:
        """What a socket leaves behind when it goes (presence): overridden by each consumer."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own `dispatch` first closes stale database connections on the one thread of
        thread-sensitive calls, for every frame and every event of every socket: that queued all of a process's
        sockets behind one thread. These consumers use the database only through `_db`, whose calls close their
        connections themselves, so events go straight to their handlers."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self.user is None:
            return
        if not frame_limit.allow(self.user.pk):
            await self.send_error("Too many frames: slow down.")
            return
        if text_data is None:
            await self.send_error("Binary frames are not read: send JSON text frames.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("Frames must be JSON objects with a type.")
            return
        if not isinstance(content, dict):
            await self.send_error("Send JSON objects with a type.")
            return
        try:
            await self.receive_json(content)
        except (RedisError, OSError):
            raise  # the layer is down: closed with 1013 by __call__
        except Exception:  # a frame must not take the socket down with it
            logger.exception("Frame %r failed", str(content.get("type"))[:40])
            await self.send_error("Something went wrong with that frame. Try again.")

    async def _authenticate(self) -> bool:
        user = self.scope.get("user")
        if self.scope.get("token_invalid") or user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        self.user = user
        self.connection_id = uuid.uuid4().hex
        self._present_at = time.monotonic()
        return True

    def _keep_present(self) -> None:
        """A frame shows the user is here: their presence entry is refreshed with the next chores, at most every
        `SocketChores.PRESENCE_EVERY` seconds per socket."""
        now = time.monotonic()
        if now - self._present_at >= chores.PRESENCE_EVERY:
            self._present_at = now
            chores.presence_refresh(self.user.pk, self.connection_id)

    async def _leave_presence(self) -> bool:
        """Forgets this socket's presence; True when the user has no other socket left (went offline)."""
        chores.forget(self.user.pk, self.connection_id)
        await chores.flush()
        return await _db(presence.disconnect)(self.user.pk, self.connection_id)

    async def send_error(self, detail: str) -> None:
        await self.send_json({"type": "error", "detail": detail})


class ChatConsumer(_AuthenticatedConsumer):
    """`/ws/chat/<chat_id>/`: messages, typing, read receipts and presence of one chat.

    `?after=<message id>` on connect sends what was missed since then, in order, before anything new.
    """

    chat: Chat | None = None
    state: services.ChatSocketState

    async def connect(self) -> None:
        _bind_request_id(self.scope)
        if not await self._authenticate():
            return
        chat_id = int(self.scope["url_route"]["kwargs"]["chat_id"])
        state = await _db(services.chat_socket_state)(user=self.user, chat_id=chat_id)
        if state is None:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.state, self.chat = state, state.chat
        self.group = chat_group(chat_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        OPEN_SOCKETS.labels("chat").inc()
        # online is None (unknown) while Redis is unreachable
        came_online, other_online = await _db(_arrive)(self.user.pk, self.connection_id, state.other_id)
        await self.send_json({"type": "presence", "user_id": state.other_id, "online": other_online})
        # Whoever is in this chat learns we are here (we may have been online elsewhere already).
        await self.channel_layer.group_send(self.group, {
            "type": "presence.update", "payload": {"user_id": self.user.pk, "online": True}})
        if came_online:
            await _announce_presence(self.channel_layer, self.user.pk, online=True, skip_chat=self.chat.pk)
        after = _query_int(self.scope, "after")
        if after is not None:
            for payload in await _db(_missed)(self.chat, after):
                await self.send_json({"type": "message.new", **payload})

    async def disconnect(self, code: int) -> None:
        if self.chat is None or self.user is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self._left()

    async def _left(self) -> None:
        if self.chat is None or getattr(self, "_gone", False):
            return
        self._gone = True
        OPEN_SOCKETS.labels("chat").dec()
        frame_limit.forget(self.user.pk)
        if await self._leave_presence():
            await _announce_presence(self.channel_layer, self.user.pk, online=False)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        self._keep_present()
        kind = content.get("type")
        try:
            if kind == "message.send":
                text = content.get("content")
                client_id = str(content.get("client_id") or "")
                state, refusal, broadcasts = await _db(_send)(self.state, self.user,
                                                              text if isinstance(text, str) else "", client_id)
                # Committed by now: sent from the event loop rather than holding the worker thread for Redis.
                await send_collected(self.channel_layer, broadcasts)
                if state is not None:
                    self.state = state
                if refusal is not None:  # say which message failed
                    await self.send_json({"type": "error", "detail": refusal, "client_id": client_id or None})
            elif kind in ("typing.start", "typing.stop"):
                await self.channel_layer.group_send(self.group, {
                    "type": "typing.update", "payload": {"user_id": self.user.pk, "is_typing": kind == "typing.start"}})
            elif kind == "message.read":
                message_id = content.get("message_id")
                if not isinstance(message_id, int):
                    await self.send_error("message.read needs a message_id.")
                    return
                await _db(services.messages_mark_read)(chat=self.chat, user=self.user, message_id=message_id)
            elif kind == "ping":
                await self.send_json({"type": "pong"})
            else:
                await self.send_error(f"Unknown frame type {kind!r}.")
        except ApplicationError as exc:
            await self.send_error(str(exc.detail))

    async def message_new(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        await self.send_json({"type": "message.new", **payload})
        if payload["sender_id"] != self.user.pk and payload["id"] > self.state.last_delivered:
            self.state.last_delivered = payload["id"]
            chores.delivered(chat_id=payload["chat_id"], user_id=self.user.pk, message_id=payload["id"])

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
        if await _db(presence.connect)(self.user.pk, self.connection_id):
            await _announce_presence(self.channel_layer, self.user.pk, online=True)

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
            await self._left()

    async def _left(self) -> None:
        if not self.joined or getattr(self, "_gone", False):
            return
        self._gone = True
        OPEN_SOCKETS.labels("notifications").dec()
        frame_limit.forget(self.user.pk)
        if await self._leave_presence():
            await _announce_presence(self.channel_layer, self.user.pk, online=False)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        self._keep_present()
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notification_push(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        # The frame's own type is "notification"; what kind of notification it is goes in "kind".
        await self.send_json({**payload, "type": "notification", "kind": payload["type"]})


async def _announce_presence(layer: Any, user_id: int, *, online: bool, skip_chat: int | None = None) -> None:
    """Tells every chat of the user that they came online or went offline."""
    chat_ids = await _db(_chat_ids_of)(user_id)
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


def _arrive(user_id: int, connection_id: str, other_id: int) -> tuple[bool, bool | None]:
    """Records the socket's presence; returns (the user just came online, the other party is online)."""
    return presence.connect(user_id, connection_id), presence.is_online(other_id)


def _send(state: services.ChatSocketState, user: Any, content: str,
          client_id: str) -> tuple[services.ChatSocketState | None, str | None, list[Broadcast]]:
    """Sends a message from a socket with its state made current first; returns (the state, why the message was
    refused or None, the committed broadcasts for the socket to send)."""
    with collected() as broadcasts:
        current, online = services.chat_socket_state_for_send(state, user)
        if current is None:
            return None, "Not found.", broadcasts
        try:
            services.message_send(chat=current.chat, sender=user, content=content, client_id=client_id,
                                  checked=current, recipient_online=bool(online))
        except ApplicationError as exc:
            return current, str(exc.detail), broadcasts
    return current, None, broadcasts


def _missed(chat: Chat, after: int) -> list[dict[str, Any]]:
    return [services.message_payload(m) for m in services.messages_for(chat=chat, after=after)[:500]]


def _query_int(scope: dict, name: str) -> int | None:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode()).get(name)
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None
