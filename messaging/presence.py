"""Who is online: each open socket is a member of the user's set in Redis with an expiry time.

A crashed process cannot leave anyone "online" forever: its entries stop counting when they expire,
and live sockets refresh theirs on every frame and heartbeat. Without Redis (the embedded default,
one process) the same is kept in memory.

When Redis is unreachable presence is unknown, never an error: `is_online` answers None, a socket's
arrival or departure announces nothing, and chat goes on (messages are stored in PostgreSQL).
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from redis.exceptions import RedisError

TTL_SECONDS = 90
logger = logging.getLogger(__name__)
_T = TypeVar("_T")


def _unknown_without_redis(fallback: Any) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Answers `fallback` (and logs once per call, without the stack) when Redis cannot be reached."""

    def decorate(function: Callable[..., _T]) -> Callable[..., _T]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> _T:
            try:
                return function(*args, **kwargs)
            except (RedisError, OSError) as exc:
                logger.warning("Presence unknown: Redis unreachable (%s)", type(exc).__name__)
                return fallback
        return wrapper

    return decorate
_local: dict[int, dict[str, float]] = {}
_lock = threading.Lock()


def _redis():
    if not settings.REDIS_URL:
        return None
    from django.core.cache import cache

    return cache._cache.get_client(write=True)  # the cache's own connection pool


def _key(user_id: int) -> str:
    return f"presence:{user_id}"


@_unknown_without_redis(False)
def connect(user_id: int, connection_id: str) -> bool:
    """Records a socket; returns True when the user just came online."""
    now = time.time()
    client = _redis()
    if client is None:
        with _lock:
            sockets = _local.setdefault(user_id, {})
            was_online = any(expiry > now for expiry in sockets.values())
            sockets[connection_id] = now + TTL_SECONDS
            return not was_online
    key = _key(user_id)
    pipe = client.pipeline()
    pipe.zremrangebyscore(key, "-inf", now)
    pipe.zcard(key)
    pipe.zadd(key, {connection_id: now + TTL_SECONDS})
    pipe.expire(key, TTL_SECONDS * 2)
    _, before, _, _ = pipe.execute()
    return before == 0


@_unknown_without_redis(None)
def refresh(user_id: int, connection_id: str) -> None:
    now = time.time()
    client = _redis()
    if client is None:
        with _lock:
            _local.setdefault(user_id, {})[connection_id] = now + TTL_SECONDS
        return
    pipe = client.pipeline()
    pipe.zadd(_key(user_id), {connection_id: now + TTL_SECONDS})
    pipe.expire(_key(user_id), TTL_SECONDS * 2)
    pipe.execute()


@_unknown_without_redis(None)
def refresh_many(sockets: list[tuple[int, str]]) -> None:
    """Refreshes many sockets' entries at once (one Redis round trip). Only entries still there are refreshed:
    a refresh that arrives after its socket's `disconnect` cannot bring the user back online."""
    if not sockets:
        return
    now = time.time()
    client = _redis()
    if client is None:
        with _lock:
            for user_id, connection_id in sockets:
                entries = _local.get(user_id, {})
                if connection_id in entries:
                    entries[connection_id] = now + TTL_SECONDS
        return
    pipe = client.pipeline(transaction=False)
    for user_id, connection_id in sockets:
        pipe.zadd(_key(user_id), {connection_id: now + TTL_SECONDS}, xx=True)
        pipe.expire(_key(user_id), TTL_SECONDS * 2)
    pipe.execute()


@_unknown_without_redis(False)
def disconnect(user_id: int, connection_id: str) -> bool:
    """Forgets a socket; returns True when the user has no other live socket (went offline)."""
    now = time.time()
    client = _redis()
    if client is None:
        with _lock:
            sockets = _local.get(user_id, {})
            sockets.pop(connection_id, None)
            return not any(expiry > now for expiry in sockets.values())
    key = _key(user_id)
    pipe = client.pipeline()
    pipe.zrem(key, connection_id)
    pipe.zcount(key, now, "+inf")
    _, remaining = pipe.execute()
    return remaining == 0


@_unknown_without_redis(None)
def is_online(user_id: int) -> bool | None:
    """Whether the user has a live socket; None when that cannot be known (Redis unreachable)."""
    now = time.time()
    client = _redis()
    if client is None:
        with _lock:
            return any(expiry > now for expiry in _local.get(user_id, {}).values())
    return client.zcount(_key(user_id), now, "+inf") > 0


@_unknown_without_redis(set())
def online_among(user_ids: list[int]) -> set[int]:
    now = time.time()
    client = _redis()
    if client is None:
        return {user_id for user_id in user_ids if is_online(user_id)}
    pipe = client.pipeline()
    for user_id in user_ids:
        pipe.zcount(_key(user_id), now, "+inf")
    return {user_id for user_id, count in zip(user_ids, pipe.execute(), strict=True) if count}
