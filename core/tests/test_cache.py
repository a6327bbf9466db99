"""core.cache: Django's Redis cache, sharing one client per connection pool."""

from django.core.cache import caches

from core.cache import RedisCache


def test_the_redis_caches_share_one_client_and_still_work():
    pages = caches["pages"]  # Redis in the tests, as in production (tests/services.py)
    assert isinstance(pages, RedisCache)
    client = pages._cache.get_client(write=True)
    assert pages._cache.get_client() is client
    pages.set("core-cache-test", {"n": 1}, 30)
    assert pages.get("core-cache-test") == {"n": 1}
    assert pages.get_many(["core-cache-test", "nothing"]) == {"core-cache-test": {"n": 1}}
    pages.delete("core-cache-test")
    assert pages.get("core-cache-test") is None
