"""The Redis cache shares one connection pool and client per server across the process, and behaves as
Django's."""

import threading

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from core.cache import RedisCache


def test_the_cache_is_djangos_redis_cache_with_one_client_per_pool():
    backend = caches["default"]
    assert isinstance(backend, RedisCache) and isinstance(backend, DjangoRedisCache)
    assert backend._cache.get_client() is backend._cache.get_client(write=True)
    cache.set("core-test:key", {"n": 1}, 30)
    assert cache.get("core-test:key") == {"n": 1}
    assert cache.add("core-test:count", 1, 30) and not cache.add("core-test:count", 5, 30)
    assert cache.incr("core-test:count") == 2 and cache.get("core-test:count") == 2
    cache.delete_many(["core-test:key", "core-test:count"])
    assert cache.get("core-test:key") is None


def test_threads_share_the_pool_and_their_commands_all_land():
    """Each thread (and under ASGI each task) has its own cache object, Django's way; they share one pool and
    one client instead of opening their own connections."""
    errors: list[BaseException] = []
    clients: list[object] = []

    def work(n: int) -> None:
        try:
            clients.append(caches["default"]._cache.get_client())
            for i in range(50):
                cache.set(f"core-test:t{n}:{i}", i, 30)
                assert cache.get(f"core-test:t{n}:{i}") == i
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(clients) == 8 and all(client is caches["default"]._cache.get_client() for client in clients)
    assert cache.get_many([f"core-test:t3:{i}" for i in range(50)]) == {f"core-test:t3:{i}": i for i in range(50)}
