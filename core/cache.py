"""The Redis cache: Django's, keeping one client per connection pool instead of building one per call.

Django's `RedisCacheClient.get_client` builds a `redis.Redis` for every cache call, and redis-py's constructor
fills a table of about 170 response callbacks each time: 0.15 ms of CPU per call, several calls per request
(kept counts, request limits, presence). A `redis.Redis` is safe to share between threads (each command takes a
connection from the pool), so one per pool is kept.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _Client(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The stubs leave out the client's private helpers.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _Client
