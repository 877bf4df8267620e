"""The Redis cache keeps one client per connection pool and behaves as Django's."""

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


def test_threads_share_nothing_they_should_not():
    """Each thread has its own cache object (Django's); commands from many threads at once all land."""
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
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
    assert cache.get_many([f"core-test:t3:{i}" for i in range(50)]) == {f"core-test:t3:{i}": i for i in range(50)}
