"""Who is online: each open socket is a member of the user's set in Redis with an expiry time.

A crashed process cannot leave anyone "online" forever: its entries stop counting when they expire,
and live sockets refresh theirs on every frame and heartbeat. Without Redis (the embedded default,
one process) the same is kept in memory.
"""

import threading
import time

from django.conf import settings

TTL_SECONDS = 90
_local: dict[int, dict[str, float]] = {}
_lock = threading.Lock()


def _redis():
    if not settings.REDIS_URL:
        return None
    from django.core.cache import cache

    return cache._cache.get_client(write=True)  # the cache's own connection pool


def _key(user_id: int) -> str:
    return f"presence:{user_id}"


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


def is_online(user_id: int) -> bool:
    now = time.time()
    client = _redis()
    if client is None:
        with _lock:
            return any(expiry > now for expiry in _local.get(user_id, {}).values())
    return client.zcount(_key(user_id), now, "+inf") > 0


def online_among(user_ids: list[int]) -> set[int]:
    now = time.time()
    client = _redis()
    if client is None:
        return {user_id for user_id in user_ids if is_online(user_id)}
    pipe = client.pipeline()
    for user_id in user_ids:
        pipe.zcount(_key(user_id), now, "+inf")
    return {user_id for user_id, count in zip(user_ids, pipe.execute(), strict=True) if count}
