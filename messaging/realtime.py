"""Sending frames to sockets through the channel layer, always after the data they describe is committed.

Data-changing code never touches sockets itself: it calls `broadcast_on_commit`, which does nothing if
the transaction rolls back. A channel layer that is down loses only the live push; the data is stored
and clients catch up when they reconnect.

Code running in a socket's worker thread wraps its unit of work in `collected()`: what it broadcasts is then
kept (still only once committed) and the socket sends it from the event loop with `send_collected`, instead of
the worker thread waiting for each Redis round trip.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)
_outbox = threading.local()

Broadcast = tuple[str, dict[str, Any]]


def chat_group(chat_id: int) -> str:
    return f"chat_{chat_id}"


def user_group(user_id: int) -> str:
    return f"user_{user_id}"


def send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # the layer (Redis) is down: stored data is still there for the next fetch
        logger.warning("Could not broadcast %s to %s", event.get("type"), group, exc_info=True)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    outbox: list[Broadcast] | None = getattr(_outbox, "events", None)
    if outbox is not None:
        transaction.on_commit(lambda: outbox.append((group, event)))
    else:
        transaction.on_commit(lambda: send_now(group, event))


@contextmanager
def collected() -> Iterator[list[Broadcast]]:
    """Broadcasts asked for inside the block are appended to the list it gives, each once its transaction has
    committed (never one that rolled back), for the caller to send with `send_collected`.

    Only around a whole unit of work (outside any transaction): a broadcast committed after the block would be
    appended to a list nobody reads any more."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("collected() must not be used inside a transaction")
    events: list[Broadcast] = []
    previous = getattr(_outbox, "events", None)
    _outbox.events = events
    try:
        yield events
    finally:
        _outbox.events = previous


async def send_collected(layer: Any, events: list[Broadcast]) -> None:
    """Sends what `collected()` kept, in order, from the event loop; a layer that is down loses only the push."""
    if layer is None:
        return
    for group, event in events:
        try:
            await layer.group_send(group, event)
        except Exception:  # as send_now: the data is stored, clients catch up on reconnect
            logger.warning("Could not broadcast %s to %s", event.get("type"), group, exc_info=True)
