"""The Redis cache: Django's, with its connection pools and clients shared by the whole process.

Django keeps a cache object per thread, and under ASGI per task (`asgiref.local.Local`): every open socket had
its own cache object, its own connection pool and its own Redis connections. And `get_client` builds a
`redis.Redis` on every call, whose constructor fills a table of about 170 response callbacks: 0.15 ms of CPU
per call, several calls per request (kept counts, request limits, presence). Here each server's pool and one
client over it are made once per process and shared: redis-py's pool and client are safe to use from many
threads at once (each command takes a connection from the pool), and a pool opens new connections after a fork.
"""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_lock = threading.Lock()
_shared: dict[tuple[str, str], tuple[Any, Any]] = {}  # (server, options) -> (pool, client)


class _Client(RedisCacheClient):
    def _shared(self, write: bool) -> tuple[Any, Any]:
        # The stubs leave out the client's private attributes.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        server = self._servers[index]  # type: ignore[attr-defined]
        key = (server, repr(sorted(self._pool_options.items(), key=lambda item: item[0])))  # type: ignore[attr-defined]
        found = _shared.get(key)
        if found is None:
            with _lock:
                found = _shared.get(key)
                if found is None:
                    pool = self._pool_class.from_url(server, **self._pool_options)  # type: ignore[attr-defined]
                    found = _shared[key] = (pool, self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return found

    def _get_connection_pool(self, write: bool) -> Any:
        return self._shared(write)[0]

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        return self._shared(write)[1]


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _Client
