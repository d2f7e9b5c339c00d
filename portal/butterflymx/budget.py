"""The portal's ButterflyMX request budget, shared by every process: a token bucket plus a 429 pause.

One budget covers the whole portal (its OAuth client at one API base), because the portal is one API
client to ButterflyMX however many workers it runs. It is a GCRA token bucket (the "generic cell rate
algorithm": a token bucket kept as one timestamp, the *theoretical arrival time* ``tat``):

- ``BMX_REQUEST_BUDGET_RPS`` requests a second on average, ``BMX_REQUEST_BUDGET_BURST`` at once after a
  quiet spell. Any one second then sees at most ``RPS + BURST - 1`` requests (``RPS`` with burst 1);
- a **background** request (log, roster and pass syncs) *reserves* the next free slot and sleeps until
  it: reservations are handed out one interval apart, so many waiting processes never stampede;
- an **interactive** request (a person is waiting: a door release, a pass, a PIN) is never delayed but
  is counted: it moves ``tat`` on, so background traffic yields to it;
- a **pause**: after a 429 with ``Retry-After`` every background request of every process waits until
  the pause ends (or, when that is further than its ``max_wait``, is refused without being sent, so the
  task can reschedule). The pause also empties the bucket, so traffic resumes at the budget's rate,
  never with a burst. The pause is portal-wide, not per account: ButterflyMX documents no rate limit
  nor its scope (contract §2.4), and a gateway limit on the portal's client would refuse every account
  alike, so pausing only the account that met it would keep the others hitting a refusing gateway.

Where the state lives: in Redis when ``REDIS_URL`` is set (one Lua script per decision, atomic, timed
by the Redis server's clock), else in a small file under ``BMX_BUDGET_DIR`` locked with ``flock``, which
every process of one machine shares (the embedded set-up is one machine: SQLite, the filesystem broker).
If Redis fails, the file is used until Redis answers again: degraded to per machine, never stopped.

No library fit: ``limits`` has no token bucket, no reservation and no file storage; pyrate-limiter has
no "counted but never delayed" acquisition nor a shared pause. Both would need this module's logic on top.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

KEY_TTL_S = 3600  # a budget nobody used for an hour holds nothing worth keeping
REDIS_RETRY_S = 30.0  # after a Redis failure, the file store serves this long before Redis is tried again

# KEYS[1] the budget's hash; ARGV: interval (s), tau (s), mode ("wait", "count" or "peek"), max_delay (s).
# Returns {granted (1/0), delay (s)}: the wait before sending, or how long the pause still lasts.
RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, tau, mode, max_delay = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused_until')
local tat = math.max(tonumber(state[1]) or now, now)
local paused = tonumber(state[2]) or 0
if mode == 'peek' then return {'1', string.format('%.6f', math.max(0, paused - now))} end
local slot = now
if mode == 'wait' then
  if paused - now > max_delay then return {'0', string.format('%.6f', paused - now)} end
  slot = math.max(now, tat - tau, paused)
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.6f', math.max(tat, slot) + interval))
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {'1', string.format('%.6f', slot - now)}
"""

# KEYS[1]; ARGV: seconds to pause, tau (s), ttl. Extends (never shortens) the pause and empties the bucket.
PAUSE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused_until')
local paused = math.max(tonumber(state[2]) or 0, now + tonumber(ARGV[1]))
local tat = math.max(tonumber(state[1]) or now, paused + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'tat', string.format('%.6f', tat), 'paused_until', string.format('%.6f', paused))
redis.call('EXPIRE', KEYS[1], math.max(tonumber(ARGV[3]), math.ceil(paused - now) + 60))
return string.format('%.6f', paused - now)
"""


@dataclass(frozen=True)
class Decision:
    granted: bool  # False: refused because of a pause longer than the caller may wait
    delay: float  # granted: seconds to sleep before sending; refused: seconds the pause still lasts


class FileStore:
    """The state in one small JSON file per budget, under an exclusive ``flock`` for each decision."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _locked(self, key: str, change):
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key}.json"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+", encoding="ascii") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            try:
                state = json.loads(handle.read() or "{}")
            except ValueError:
                state = {}  # a torn write (a killed process): start afresh rather than fail every call
            result, state = change(state, time.time())
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(state))
            return result

    def reserve(self, key: str, interval: float, tau: float, mode: str, max_delay: float) -> Decision:
        def change(state, now):
            tat = max(state.get("tat", now), now)
            paused = state.get("paused_until", 0.0)
            if mode == "peek":
                return Decision(True, max(0.0, paused - now)), state
            slot = now
            if mode == "wait":
                if paused - now > max_delay:
                    return Decision(False, paused - now), state
                slot = max(now, tat - tau, paused)
            return Decision(True, slot - now), {**state, "tat": max(tat, slot) + interval}

        return self._locked(key, change)

    def pause(self, key: str, seconds: float, tau: float) -> float:
        def change(state, now):
            paused = max(state.get("paused_until", 0.0), now + seconds)
            tat = max(state.get("tat", now), paused + tau)
            return paused - now, {"tat": tat, "paused_until": paused}

        return self._locked(key, change)

    def reset(self, key: str) -> None:
        (self.directory / f"{key}.json").unlink(missing_ok=True)


class RedisStore:
    """The state in a Redis hash, each decision one atomic Lua script timed by the server's clock."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._reserve = self.client.register_script(RESERVE_LUA)
        self._pause = self.client.register_script(PAUSE_LUA)

    def reserve(self, key: str, interval: float, tau: float, mode: str, max_delay: float) -> Decision:
        granted, delay = self._reserve(keys=[key], args=[interval, tau, mode, max_delay, KEY_TTL_S])
        return Decision(granted in (b"1", "1"), float(delay))

    def pause(self, key: str, seconds: float, tau: float) -> float:
        return float(self._pause(keys=[key], args=[seconds, tau, KEY_TTL_S]))

    def reset(self, key: str) -> None:
        self.client.delete(key)


class Budget:
    """One shared budget: :meth:`acquire` before each request, :meth:`pause` after a 429."""

    def __init__(self, *, rps: float, burst: int, key: str, store, fallback: FileStore | None = None):
        self.interval = 1.0 / rps if rps > 0 else 0.0  # 0: no budget, only the pause
        self.tau = self.interval * (max(1, burst) - 1)
        self.key = key
        self.store = store
        self.fallback = fallback
        self._redis_failed_at: float | None = None
        self._lock = threading.Lock()

    def acquire(self, *, background: bool, max_wait: float = 1e9) -> Decision:
        """Take a slot: for background traffic the delay to sleep first, for interactive traffic 0.

        A background request meets a refusal (``granted`` False, ``delay`` = what remains of the pause)
        only when a pause lasts longer than ``max_wait``; nothing is taken then.
        """
        mode = "wait" if background else "count"
        return self._call("reserve", self.key, self.interval, self.tau, mode, max_wait)

    def pause(self, seconds: float) -> float:
        """Pause background traffic portal-wide for ``seconds`` (never shortening a longer pause)."""
        return self._call("pause", self.key, seconds, self.tau)

    def paused_for(self) -> float:
        """Seconds the current pause still lasts (0 when none)."""
        return self._call("reserve", self.key, self.interval, self.tau, "peek", 0.0).delay

    def reset(self) -> None:
        """Forget every slot and pause (tests: a sandbox reset is a new ButterflyMX)."""
        self._call("reset", self.key)
        if self.fallback is not None:
            self.fallback.reset(self.key)

    def _call(self, method: str, *args):
        failed_at = self._redis_failed_at
        recently_failed = failed_at is not None and time.monotonic() - failed_at < REDIS_RETRY_S
        store = self.fallback if self.fallback is not None and recently_failed else self.store
        try:
            result = getattr(store, method)(*args)
        except Exception as exc:  # Redis down or frozen: degrade to the machine's file, never fail the call
            if store is self.fallback or self.fallback is None or not _is_redis_error(exc):
                raise
            with self._lock:
                if self._redis_failed_at is None:
                    logger.warning("ButterflyMX budget: Redis failed (%s); using the local file", type(exc).__name__)
                self._redis_failed_at = time.monotonic()
            return getattr(self.fallback, method)(*args)
        if store is self.store and self._redis_failed_at is not None:
            self._redis_failed_at = None
        return result


def _is_redis_error(exc: Exception) -> bool:
    import redis

    return isinstance(exc, redis.RedisError)


_shared: Budget | None = None
_shared_config: tuple | None = None
_shared_lock = threading.Lock()


def _config() -> tuple:
    return (
        settings.REDIS_URL,
        settings.BMX_API_BASE,
        settings.BMX_CLIENT_ID,
        settings.BMX_REQUEST_BUDGET_RPS,
        settings.BMX_REQUEST_BUDGET_BURST,
        str(settings.BMX_BUDGET_DIR),
    )


def shared_budget() -> Budget:
    """This process's handle on the portal's budget (built lazily; rebuilt when the settings change)."""
    global _shared, _shared_config
    config = _config()
    with _shared_lock:
        if _shared is None or _shared_config != config:
            redis_url, api_base, client_id, rps, burst, directory = config
            # One budget per API client at one ButterflyMX: the key names both, hashed (no secret in it).
            digest = hashlib.sha256(f"{api_base}|{client_id}".encode()).hexdigest()[:16]
            key = f"portal:bmx-budget:{digest}"
            files = FileStore(Path(directory))
            store = RedisStore(redis_url) if redis_url else files
            _shared = Budget(rps=rps, burst=burst, key=key, store=store, fallback=files if redis_url else None)
            _shared_config = config
        return _shared


def _forget_after_fork() -> None:
    global _shared, _shared_config, _shared_lock
    _shared = _shared_config = None
    _shared_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
