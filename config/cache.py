"""The caches' backends: a Redis cache that behaves like an empty one while Redis is down,
and a database cache that counts atomically (the `limits` cache without Redis).

What we cache (appeal totals, rendered appeal pages, rate-limit counters) can always be
recomputed or done without, so a cache outage must not turn a donor's gift into a 500:
reads miss, writes and deletes are dropped, and each failure is logged. Rate limits then
fail open (RATELIMIT_FAIL_OPEN): donors keep giving, the defence is blind until Redis is back.
"""

import base64
import functools
import logging
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone
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


class CounterDatabaseCache(DatabaseCache):
    """Django's DatabaseCache with an atomic incr(), for the `limits` cache without Redis.

    The base incr() reads then writes, so two processes counting at once lose a count. Here
    the row is read FOR UPDATE (PostgreSQL) inside a transaction (SQLite's are IMMEDIATE
    here: one writer at a time), so every count lands.
    """

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, cache_key = quote_name(self._table), quote_name("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        try:
            with transaction.atomic(using=db), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {quote_name('value')} FROM {table} WHERE {cache_key} = %s "
                    f"AND {quote_name('expires')} > %s{lock}", [key, now])
                row = cursor.fetchone()
                if row is None:
                    raise ValueError(f"Key '{key}' not found")
                value = pickle.loads(
                    base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
                cursor.execute(
                    f"UPDATE {table} SET {quote_name('value')} = %s WHERE {cache_key} = %s",
                    [base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1"),
                     key])
        except DatabaseError as exc:  # as a Redis outage: the count is not known (fail open)
            logger.warning("limits cache unavailable (%s): incr treated as a miss",
                           exc.__class__.__name__)
            return None
        return value
