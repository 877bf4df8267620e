"""Who is online: each open socket is a member of the user's set in Redis with an expiry time.

A crashed process cannot leave anyone "online" forever: its entries stop counting when they expire,
and live sockets refresh theirs on every frame and on their process's heartbeat. Without Redis (the
embedded default, one process) the same is kept in memory.

Every process holding sockets also keeps, in Redis, the list of its sockets and a heartbeat
(`presence:processes`, `presence:sockets:<process>`), refreshed every third of
`PRESENCE_OFFLINE_SECONDS` by a thread of its own. A process that dies stops beating: within
`PRESENCE_OFFLINE_SECONDS` (60 by default) its sockets stop counting and its users are offline, and
the staff's `/api/ws/status` no longer lists it. A socket that closes counts no more at once; when it
was its user's last, the moment is kept as their `last_seen`.

When Redis is unreachable presence is unknown, never an error: `is_online` answers None, a socket's
arrival or departure announces nothing, and chat goes on (messages are stored in PostgreSQL).
"""

import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from redis.exceptions import RedisError

LAST_SEEN_KEEP_SECONDS = 90 * 24 * 3600
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
_local_seen: dict[int, float] = {}
# The sockets open in this process (connection id -> user id), refreshed by its heartbeat.
_open: dict[str, int] = {}
_heartbeat: dict[str, Any] = {"pid": None, "thread": None}


def ttl_seconds() -> float:
    """How long a socket counts as live without its process's heartbeat (`PRESENCE_OFFLINE_SECONDS`)."""
    return float(settings.PRESENCE_OFFLINE_SECONDS)


def process_id() -> str:
    """This server process: host name and process id (taken afresh, so a forked worker is itself)."""
    return f"{socket.gethostname()}-{os.getpid()}"


PROCESSES_KEY = "presence:processes"


def _sockets_key(process: str) -> str:
    return f"presence:sockets:{process}"


def _seen_key(user_id: int) -> str:
    return f"presence:seen:{user_id}"


def _redis() -> Any:
    if not settings.REDIS_URL:
        return None
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    # With REDIS_URL set, the cache is Django's RedisCache (settings.CACHES): its own connection pool.
    return cast(RedisCache, cache)._cache.get_client(write=True)


def _key(user_id: int) -> str:
    return f"presence:{user_id}"


def _expire_seconds(ttl: float) -> int:
    return max(int(ttl * 2), 2)


def _heartbeat_start() -> None:
    """Starts this process's heartbeat thread once (again in a forked child, whose threads did not follow)."""
    with _lock:
        pid = os.getpid()
        thread = _heartbeat["thread"]
        if _heartbeat["pid"] == pid and thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_heartbeat_loop, name="presence-heartbeat", daemon=True)
        _heartbeat.update(pid=pid, thread=thread)
        thread.start()


def _heartbeat_loop() -> None:
    while True:
        try:
            heartbeat()
        except (RedisError, OSError) as exc:
            logger.warning("Presence heartbeat missed: Redis unreachable (%s)", type(exc).__name__)
        except Exception:  # the heartbeat must outlive any single failure
            logger.exception("Presence heartbeat failed")
        time.sleep(max(ttl_seconds() / 3, 0.5))


def heartbeat() -> None:
    """Refreshes this process's entry and its sockets' expiry times; a process without sockets withdraws."""
    client = _redis()
    if client is None:
        return
    # Held while writing, so a socket closing meanwhile is not written back after its own removal.
    with _lock:
        sockets = dict(_open)
        now, ttl, process = time.time(), ttl_seconds(), process_id()
        pipe = client.pipeline()
        if not sockets:
            pipe.zrem(PROCESSES_KEY, process)
            pipe.delete(_sockets_key(process))
            pipe.execute()
            return
        pipe.zadd(PROCESSES_KEY, {process: now + ttl})
        pipe.delete(_sockets_key(process))
        pipe.hset(_sockets_key(process), mapping={connection: str(user) for connection, user in sockets.items()})
        pipe.expire(_sockets_key(process), _expire_seconds(ttl))
        for connection, user in sockets.items():
            pipe.zadd(_key(user), {connection: now + ttl})
            pipe.expire(_key(user), _expire_seconds(ttl))
        pipe.execute()


@_unknown_without_redis(False)
def connect(user_id: int, connection_id: str) -> bool:
    """Records a socket; returns True when the user just came online."""
    now, ttl = time.time(), ttl_seconds()
    with _lock:
        _open[connection_id] = user_id
    client = _redis()
    if client is None:
        with _lock:
            sockets = _local.setdefault(user_id, {})
            was_online = any(expiry > now for expiry in sockets.values())
            sockets[connection_id] = now + ttl
            return not was_online
    _heartbeat_start()
    key, process = _key(user_id), process_id()
    pipe = client.pipeline()
    pipe.zremrangebyscore(key, "-inf", now)
    pipe.zcard(key)
    pipe.zadd(key, {connection_id: now + ttl})
    pipe.expire(key, _expire_seconds(ttl))
    pipe.zadd(PROCESSES_KEY, {process: now + ttl})
    pipe.hset(_sockets_key(process), connection_id, str(user_id))
    pipe.expire(_sockets_key(process), _expire_seconds(ttl))
    _, before, *_ = pipe.execute()
    return before == 0


@_unknown_without_redis(None)
def refresh(user_id: int, connection_id: str) -> None:
    now, ttl = time.time(), ttl_seconds()
    client = _redis()
    if client is None:
        with _lock:
            _local.setdefault(user_id, {})[connection_id] = now + ttl
        return
    pipe = client.pipeline()
    pipe.zadd(_key(user_id), {connection_id: now + ttl})
    pipe.expire(_key(user_id), _expire_seconds(ttl))
    pipe.execute()


@_unknown_without_redis(None)
def refresh_many(sockets: list[tuple[int, str]]) -> None:
    """Refreshes many sockets' entries at once (one Redis round trip). Only entries still there are refreshed:
    a refresh that arrives after its socket's `disconnect` cannot bring the user back online."""
    if not sockets:
        return
    now, ttl = time.time(), ttl_seconds()
    client = _redis()
    if client is None:
        with _lock:
            for user_id, connection_id in sockets:
                entries = _local.get(user_id, {})
                if connection_id in entries:
                    entries[connection_id] = now + ttl
        return
    pipe = client.pipeline(transaction=False)
    for user_id, connection_id in sockets:
        pipe.zadd(_key(user_id), {connection_id: now + ttl}, xx=True)
        pipe.expire(_key(user_id), _expire_seconds(ttl))
    pipe.execute()


@_unknown_without_redis(False)
def disconnect(user_id: int, connection_id: str) -> bool:
    """Forgets a socket; returns True when the user has no other live socket (went offline)."""
    now = time.time()
    with _lock:
        _open.pop(connection_id, None)
    client = _redis()
    if client is None:
        with _lock:
            sockets = _local.get(user_id, {})
            sockets.pop(connection_id, None)
            gone = not any(expiry > now for expiry in sockets.values())
            if gone:
                _local_seen[user_id] = now
            return gone
    key = _key(user_id)
    pipe = client.pipeline()
    pipe.zrem(key, connection_id)
    pipe.zcount(key, now, "+inf")
    pipe.hdel(_sockets_key(process_id()), connection_id)
    _, remaining, _ = pipe.execute()
    if remaining == 0:
        client.set(_seen_key(user_id), repr(now), ex=LAST_SEEN_KEEP_SECONDS)
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


def redis_client() -> Any:
    """The Redis client presence uses (the cache's), or None when presence is kept in memory."""
    return _redis()


def queue_is_online(pipe: Any, user_id: int) -> None:
    """Adds `is_online(user_id)` to a pipeline of `redis_client()`: its answer is a count, online when above 0."""
    pipe.zcount(_key(user_id), time.time(), "+inf")


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


@_unknown_without_redis(None)
def last_seen(user_id: int) -> float | None:
    """When the user's last socket closed, or stopped counting because its process died (a Unix time);
    None when they were never seen (or Redis cannot be reached)."""
    client = _redis()
    if client is None:
        with _lock:
            expiries = list(_local.get(user_id, {}).values())
            seen = _local_seen.get(user_id)
    else:
        pipe = client.pipeline()
        pipe.get(_seen_key(user_id))
        pipe.zrange(_key(user_id), -1, -1, withscores=True)
        raw, newest = pipe.execute()
        seen = float(raw) if raw is not None else None
        expiries = [score for _, score in newest]
    # A socket that stopped counting without closing was last seen at its last heartbeat.
    now, ttl = time.time(), ttl_seconds()
    lapsed = [expiry - ttl for expiry in expiries if expiry <= now]
    candidates = [moment for moment in [seen, *lapsed] if moment is not None]
    return max(candidates) if candidates else None


def _live_processes(client: Any) -> dict[str, dict[str, int]]:
    """The processes whose heartbeat is current, each with its sockets (connection id -> user id)."""
    now = time.time()
    client.zremrangebyscore(PROCESSES_KEY, "-inf", now)
    processes = [name.decode() if isinstance(name, bytes) else name
                 for name in client.zrangebyscore(PROCESSES_KEY, now, "+inf")]
    pipe = client.pipeline()
    for process in processes:
        pipe.hgetall(_sockets_key(process))
    return {process: {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in sockets.items()}
            for process, sockets in zip(processes, pipe.execute(), strict=True)}


def _local_processes() -> dict[str, dict[str, int]]:
    now = time.time()
    with _lock:
        sockets = {connection: user for user, entries in _local.items()
                   for connection, expiry in entries.items() if expiry > now}
    return {process_id(): sockets} if sockets else {}


def processes() -> dict[str, dict[str, int]] | None:
    """Every live process holding sockets, with its sockets; None when Redis cannot be reached."""
    client = _redis()
    if client is None:
        return _local_processes()
    try:
        return _live_processes(client)
    except (RedisError, OSError) as exc:
        logger.warning("Presence unknown: Redis unreachable (%s)", type(exc).__name__)
        return None


def online_user_ids() -> set[int] | None:
    """Everyone with a live socket on a live process; None when Redis cannot be reached."""
    live = processes()
    if live is None:
        return None
    candidates = sorted({user for sockets in live.values() for user in sockets.values()})
    return online_among(candidates)
