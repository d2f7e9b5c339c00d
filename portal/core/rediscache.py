"""The cache on Redis, for a portal that keeps answering while Redis is down or frozen (issue 15).

django-redis with ``IGNORE_EXCEPTIONS`` (settings, "Cache") turns every Redis error into a miss or a
skipped write, after at most ``REDIS_SOCKET_TIMEOUT_S``. Two additions here:

- A circuit breaker (:class:`BreakerConnection`, in the pool :class:`BreakerConnectionPool`). One page makes several
  cache calls (the session read and write-back, allauth's lock and counters, DRF's throttle): with a
  frozen Redis each would wait out the socket timeout. Once a call of this process fails, every call
  fails at once for ``REDIS_BREAKER_S``; then one call tries Redis again. So a frozen Redis costs a
  process one timeout per window, not one per call, and the cache is back within that window of Redis.
- :class:`PortalRedisCache`: ``add()`` reports success when Redis could not be asked. ``add`` is how
  allauth takes the lock around its rate-limit counters (``allauth.core.internal.ratelimit``): a lock
  that can never be taken refuses every sign-in with 429, for as long as Redis is down. With this,
  allauth's limits fail open instead (its reads are misses), like DRF's throttles. And a key whose
  write or deletion could not reach Redis (a sign-out) is deleted once Redis answers (see the class).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache
from redis import Connection, ConnectionPool
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)

# Per Redis server (host, port): the monotonic time until which this process does not ask it.
_open_until: dict[tuple[str, int], float] = {}


def breaker_is_open(server: tuple[str, int]) -> bool:
    return time.monotonic() < _open_until.get(server, 0.0)


def breaker_trip(server: tuple[str, int], error: Exception) -> None:
    if not breaker_is_open(server):
        logger.warning("Redis unreachable (%s): the cache is skipped for %s s", error, settings.REDIS_BREAKER_S)
    _open_until[server] = time.monotonic() + settings.REDIS_BREAKER_S


def cache_unreachable(alias: str = "default") -> bool:
    """True while this process skips the Redis of cache ``alias`` (its reads are misses meanwhile)."""
    config = settings.CACHES[alias]
    if config["BACKEND"] != f"{__name__}.PortalRedisCache":
        return False
    location = urlsplit(config["LOCATION"])
    return breaker_is_open((location.hostname, location.port or 6379))


def breaker_close(server: tuple[str, int]) -> None:
    """Ask ``server`` again at the next call (tests: the window has passed)."""
    _open_until.pop(server, None)


class BreakerConnection(Connection):
    """redis-py's TCP connection, refusing at once while the breaker is open, and tripping it on a
    connection error or a timeout (not on a command's own error, such as a wrong type)."""

    def _guarded(self, method, *args, **kwargs):
        if breaker_is_open((self.host, self.port)):
            raise ConnectionError("Redis was unreachable a moment ago; not asked again yet")
        try:
            return method(*args, **kwargs)
        except (ConnectionError, TimeoutError) as exc:
            breaker_trip((self.host, self.port), exc)
            raise

    def connect_check_health(self, *args, **kwargs):
        return self._guarded(super().connect_check_health, *args, **kwargs)

    def send_packed_command(self, *args, **kwargs):
        return self._guarded(super().send_packed_command, *args, **kwargs)

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except (ConnectionError, TimeoutError) as exc:
            breaker_trip((self.host, self.port), exc)
            raise


class BreakerConnectionPool(ConnectionPool):
    """redis-py's pool of :class:`BreakerConnection` (settings: the cache's ``CONNECTION_POOL_CLASS``)."""

    def __init__(self, connection_class=BreakerConnection, **kwargs):
        super().__init__(connection_class=connection_class, **kwargs)


class PortalRedisCache(RedisCache):
    """django-redis's cache, with ``add`` failing open, and writes that could not reach Redis undone.

    A write or a deletion that fails while Redis is frozen or cut off (a sign-out deleting its session,
    a session saved with new data) would leave the *old* value in that Redis when it comes back: a
    signed-out session would be read from the cache again. This process remembers such keys and deletes
    them (one command) at its first cache read once Redis answers; a miss then reads the database.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._stale: dict[int | None, set[str]] = {}  # version -> keys whose write or delete failed

    def _remember_stale(self, key, version) -> None:
        self._stale.setdefault(version, set()).add(key)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None, nx=False, xx=False):
        stored = super().set(key, value, timeout=timeout, version=version, client=client, nx=nx, xx=xx)
        if stored is None:  # django-redis's answer when Redis could not be asked
            self._remember_stale(key, version)
        return stored

    def delete(self, key, version=None):
        deleted = super().delete(key, version=version)
        if deleted is None:
            self._remember_stale(key, version)
            return False
        return deleted

    def get(self, key, default=None, version=None, client=None):
        for stale_version, keys in list(self._stale.items()):
            if super().delete_many(list(keys), version=stale_version) is None:
                break  # still unreachable: try again at the next read
            del self._stale[stale_version]
        return super().get(key, default=default, version=version, client=client)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """True when added, False when the key exists; True too when Redis could not be asked (django-redis
        answers None then): a lock or a "first time?" claim fails open, never shut for the whole outage."""
        added = super().add(key, value, timeout=timeout, version=version)
        return True if added is None else added
