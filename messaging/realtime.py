"""Sending frames to sockets through the channel layer, always after the data they describe is committed.

Data-changing code never touches sockets itself: it calls `broadcast_on_commit`, which does nothing if
the transaction rolls back. A channel layer that is down loses only the live push; the data is stored
and clients catch up when they reconnect.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


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
    transaction.on_commit(lambda: send_now(group, event))
