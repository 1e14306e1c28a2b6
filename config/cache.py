"""A Redis cache that behaves like an empty one while Redis is down.

What we cache (appeal totals, rendered appeal pages, rate-limit counters) can always be
recomputed or done without, so a cache outage must not turn a donor's gift into a 500:
reads miss, writes and deletes are dropped, and each failure is logged. Rate limits then
fail open (RATELIMIT_FAIL_OPEN): donors keep giving, the defence is blind until Redis is back.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _tolerant(default):
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                logger.warning("cache unavailable (%s): %s treated as a miss",
                               exc.__class__.__name__, method.__name__)
                return default() if callable(default) else default
        return call
    return wrap


class TolerantRedisCache(RedisCache):
    get = _tolerant(None)(RedisCache.get)
    get_many = _tolerant(dict)(RedisCache.get_many)
    has_key = _tolerant(False)(RedisCache.has_key)
    set = _tolerant(None)(RedisCache.set)
    set_many = _tolerant(list)(RedisCache.set_many)
    add = _tolerant(False)(RedisCache.add)
    touch = _tolerant(False)(RedisCache.touch)
    delete = _tolerant(False)(RedisCache.delete)
    delete_many = _tolerant(None)(RedisCache.delete_many)
    incr = _tolerant(None)(RedisCache.incr)
    clear = _tolerant(None)(RedisCache.clear)
