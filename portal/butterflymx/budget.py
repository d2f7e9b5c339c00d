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
  task can reschedule). The pause also empties the bucket, so traffic resumes without a burst. The
  pause is portal-wide, not per account: ButterflyMX documents no rate limit nor its scope (contract
  §2.4), and a gateway limit on the portal's client would refuse every account alike, so pausing only
  the account that met it would keep the others hitting a refusing gateway;
- **AIMD after a 429** (additive increase, multiplicative decrease, as TCP does after a loss): a 429
  means the portal's rate was too high for ButterflyMX *now*, whatever its budget says. So the rate
  after the pause is half the rate actually used in the minute before it (or of the reduced rate in
  force, if lower; never below :func:`floor_rps`, a tenth of the budget), and from the pause's end it
  climbs back linearly: to the rate used before the rate limit in :data:`RECOVER_S`, then on at the
  same pace up to the budget (at least ``budget / RAMP_S`` a second, so even from the floor the whole
  budget is back within five minutes). The floor and the ramp keep a few 429s in a row (a gateway's
  short burst limit, each with a one-second ``Retry-After``) from halving the rate down to nothing
  and holding it there for an hour: below a tenth of the budget the ``Retry-After`` pauses pace the
  traffic well enough on their own. Without
  it the work held back during the pause (one walk per building and stream) drained at the whole
  budget when the limit lifted: a rate limit made the portal hit ButterflyMX harder than before it.
  Another 429 while the pause runs (requests that were in flight) does not halve again; one after it
  (the limit still on) does. **Only a rate limit halves, not a short burst**: a 429 cuts the rate when its
  ``Retry-After`` is long (at least :data:`LONG_RETRY_AFTER_S`) or when 429s have kept coming for
  :data:`SUSTAINED_S` (each within :data:`QUIET_S` of the previous pause's end: one *episode*). A
  gateway's short burst window (429s with a one-second ``Retry-After`` for a second or two, then quiet)
  only pauses: the bucket is emptied, so nothing is sent faster than before it, and a backfill that
  meets a burst every ten seconds keeps its pace instead of being halved down to the floor;
- **headroom**: the bucket paces at :data:`HEADROOM` of ``BMX_REQUEST_BUDGET_RPS`` (see
  :func:`shared_budget`). Slots one interval apart can still land R + 1 in one clock second at the
  far end (a slot sent a few milliseconds late next to one sent on time, an interactive call taking
  a slot without waiting), and the budget is the rate ButterflyMX may count in any second.

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
HEADROOM = 0.9  # the share of BMX_REQUEST_BUDGET_RPS the bucket paces at (module docstring)
USED_WINDOW_S = 60.0  # "the rate used before a 429": requests counted over about this long
RECOVER_S = 120.0  # after a 429, the rate is back to what was used before it in this long
FLOOR_RPS = 1.0  # a 429 never cuts the rate below this (nor above the budget, when the budget is lower)
FLOOR_SHARE = 0.1  # ... nor below this share of the budget
RAMP_S = 300.0  # after a 429 the rate climbs at least budget / RAMP_S a second
LONG_RETRY_AFTER_S = 5.0  # a 429 asking this long a wait is a rate limit: it cuts the rate at once
SUSTAINED_S = 5.0  # 429s of one episode this long after its first: a rate limit, not a burst
QUIET_S = 5.0  # a 429 this long after the previous pause ended starts a new episode

# The state of a budget (a Redis hash, or the file store's JSON object), all times in seconds:
#   tat, paused_until: the bucket and the pause;
#   limit, limit_at, slope: after a 429, the reduced rate, from when it climbs, and how fast (req/s/s);
#   episode_at: when the current run of 429s (an episode) began;
#   w_start, w_count, w_prev: requests counted in the current and the previous USED_WINDOW_S.
# The Lua scripts and FileStore below implement the same rules; tests/tenants/test_budget.py runs both.

# Shared by both scripts: the rate in force now, and the rate used lately.
_LUA_RULES = f"""
local function rate_now(state, now, budget)
  local limit = tonumber(state.limit)
  if not limit or budget <= 0 then return budget end
  local since = now - tonumber(state.limit_at)
  if since > 0 then limit = limit + tonumber(state.slope) * since end
  if limit >= budget then return budget end
  return limit
end
local function used_rate(state, now)
  local start = tonumber(state.w_start) or now
  local elapsed = now - start
  local count, prev = tonumber(state.w_count) or 0, tonumber(state.w_prev) or 0
  if elapsed >= 2 * {USED_WINDOW_S} then return 0 end
  if elapsed >= {USED_WINDOW_S} then prev, count, elapsed = count, 0, elapsed - {USED_WINDOW_S} end
  return (prev * math.max(0, 1 - elapsed / {USED_WINDOW_S}) + count) / {USED_WINDOW_S}
end
local function load(key)
  local raw = redis.call('HGETALL', key)
  local state = {{}}
  for i = 1, #raw, 2 do state[raw[i]] = raw[i + 1] end
  return state
end
local function fmt(x) return string.format('%.6f', x) end
"""

# KEYS[1] the budget's hash; ARGV: budget (req/s, 0 = none), tau (s), mode ("wait", "count" or "peek"),
# max_delay (s), ttl. Returns {granted (1/0), delay (s)}: the wait before sending, or what remains of the pause.
RESERVE_LUA = (
    _LUA_RULES
    + f"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local budget, tau, mode, max_delay = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local state = load(KEYS[1])
local tat = math.max(tonumber(state.tat) or now, now)
local paused = tonumber(state.paused_until) or 0
if mode == 'peek' then return {{'1', fmt(math.max(0, paused - now))}} end
local slot = now
if mode == 'wait' then
  if paused - now > max_delay then return {{'0', fmt(paused - now)}} end
  slot = math.max(now, tat - tau, paused)
end
local rate = rate_now(state, slot, budget)
local interval = 0
if rate > 0 then interval = 1 / rate end
local updates = {{'tat', fmt(math.max(tat, slot) + interval)}}
if state.limit and rate >= budget then redis.call('HDEL', KEYS[1], 'limit', 'limit_at', 'slope') end
local start = tonumber(state.w_start) or now
local count = tonumber(state.w_count) or 0
if now - start >= {USED_WINDOW_S} then
  local prev = 0
  if now - start < 2 * {USED_WINDOW_S} then prev = count end
  table.insert(updates, 'w_prev'); table.insert(updates, fmt(prev))
  start, count = now, 0
end
table.insert(updates, 'w_start'); table.insert(updates, fmt(start))
table.insert(updates, 'w_count'); table.insert(updates, tostring(count + 1))
redis.call('HSET', KEYS[1], unpack(updates))
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {{'1', fmt(slot - now)}}
"""
)

# KEYS[1]; ARGV: seconds to pause, tau (s), ttl, budget (req/s), long Retry-After (s), sustained (s),
# quiet (s). Extends (never shortens) the pause, empties the bucket and, for a rate limit (not a short
# burst), halves the rate (module docstring: AIMD).
PAUSE_LUA = (
    _LUA_RULES
    + f"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local budget = tonumber(ARGV[4])
local state = load(KEYS[1])
local before = tonumber(state.paused_until) or 0
local paused = math.max(before, now + tonumber(ARGV[1]))
local tat = math.max(tonumber(state.tat) or now, paused + tonumber(ARGV[2]))
local updates = {{'tat', fmt(tat), 'paused_until', fmt(paused)}}
if budget > 0 then
  local limit = tonumber(state.limit)
  local cut = false
  if before <= now then
    local episode = tonumber(state.episode_at)
    if not episode or now - before > tonumber(ARGV[7]) then episode = now end
    table.insert(updates, 'episode_at'); table.insert(updates, fmt(episode))
    cut = tonumber(ARGV[1]) >= tonumber(ARGV[5]) or now - episode >= tonumber(ARGV[6])
  end
  if cut then
    local used = used_rate(state, now)
    local rate = rate_now(state, now, budget)
    if not limit or rate >= budget then
      table.insert(updates, 'slope')
      table.insert(updates, fmt(math.max(used / (2 * {RECOVER_S}), budget / {RAMP_S})))
    end
    limit = math.max(math.min(math.max({FLOOR_RPS}, {FLOOR_SHARE} * budget), budget), math.min(rate, used) / 2)
  end
  if limit and (cut or before > now) then
    table.insert(updates, 'limit'); table.insert(updates, fmt(limit))
    table.insert(updates, 'limit_at'); table.insert(updates, fmt(paused))
  end
end
redis.call('HSET', KEYS[1], unpack(updates))
redis.call('EXPIRE', KEYS[1], math.max(tonumber(ARGV[3]), math.ceil(paused - now) + 60))
return fmt(paused - now)
"""
)


def floor_rps(budget: float) -> float:
    """The lowest rate a 429 cuts the budget to (module docstring: AIMD); the Lua script says the same."""
    return min(max(FLOOR_RPS, FLOOR_SHARE * budget), budget)


def _rate_now(state: dict, now: float, budget: float) -> float:
    """The rate in force at ``now``: the budget, or the reduced rate after a 429 as it has climbed."""
    limit = state.get("limit")
    if limit is None or budget <= 0:
        return budget
    since = now - state["limit_at"]
    if since > 0:
        limit += state["slope"] * since
    return min(limit, budget)


def _used_rate(state: dict, now: float) -> float:
    """Requests a second over about the last USED_WINDOW_S (the current window and a share of the last)."""
    start = state.get("w_start", now)
    elapsed = now - start
    count, prev = state.get("w_count", 0), state.get("w_prev", 0)
    if elapsed >= 2 * USED_WINDOW_S:
        return 0.0
    if elapsed >= USED_WINDOW_S:
        prev, count, elapsed = count, 0, elapsed - USED_WINDOW_S
    return (prev * max(0.0, 1 - elapsed / USED_WINDOW_S) + count) / USED_WINDOW_S


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

    def reserve(self, key: str, rps: float, tau: float, mode: str, max_delay: float) -> Decision:
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
            rate = _rate_now(state, slot, rps)
            state = {**state, "tat": max(tat, slot) + (1 / rate if rate > 0 else 0.0)}
            if "limit" in state and rate >= rps:
                for name in ("limit", "limit_at", "slope"):
                    state.pop(name, None)
            start, count = state.get("w_start", now), state.get("w_count", 0)
            if now - start >= USED_WINDOW_S:
                state["w_prev"] = count if now - start < 2 * USED_WINDOW_S else 0
                start, count = now, 0
            state.update(w_start=start, w_count=count + 1)
            return Decision(True, slot - now), state

        return self._locked(key, change)

    def pause(self, key: str, seconds: float, tau: float, rps: float) -> float:
        def change(state, now):
            before = state.get("paused_until", 0.0)
            paused = max(before, now + seconds)
            state = {**state, "tat": max(state.get("tat", now), paused + tau), "paused_until": paused}
            if rps > 0:
                limit = state.get("limit")
                cut = False
                if before <= now:
                    episode = state.get("episode_at")
                    if episode is None or now - before > QUIET_S:
                        episode = state["episode_at"] = now
                    cut = seconds >= LONG_RETRY_AFTER_S or now - episode >= SUSTAINED_S
                if cut:
                    used, rate = _used_rate(state, now), _rate_now(state, now, rps)
                    if limit is None or rate >= rps:
                        state["slope"] = max(used / (2 * RECOVER_S), rps / RAMP_S)
                    limit = max(floor_rps(rps), min(rate, used) / 2)
                if limit is not None and (cut or before > now):  # a burst leaves the climb as it is
                    state.update(limit=limit, limit_at=paused)
            return paused - now, state

        return self._locked(key, change)

    def state(self, key: str) -> dict:
        return self._locked(key, lambda state, now: (dict(state), state))

    def reset(self, key: str) -> None:
        (self.directory / f"{key}.json").unlink(missing_ok=True)


class RedisStore:
    """The state in a Redis hash, each decision one atomic Lua script timed by the server's clock."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._reserve = self.client.register_script(RESERVE_LUA)
        self._pause = self.client.register_script(PAUSE_LUA)

    def reserve(self, key: str, rps: float, tau: float, mode: str, max_delay: float) -> Decision:
        granted, delay = self._reserve(keys=[key], args=[rps, tau, mode, max_delay, KEY_TTL_S])
        return Decision(granted in (b"1", "1"), float(delay))

    def pause(self, key: str, seconds: float, tau: float, rps: float) -> float:
        rules = [LONG_RETRY_AFTER_S, SUSTAINED_S, QUIET_S]
        return float(self._pause(keys=[key], args=[seconds, tau, KEY_TTL_S, rps, *rules]))

    def state(self, key: str) -> dict:
        # The client answers bytes (no decode_responses); str() of a str key is that key.
        return {k.decode() if isinstance(k, bytes) else str(k): float(v) for k, v in self.client.hgetall(key).items()}

    def reset(self, key: str) -> None:
        self.client.delete(key)


class Budget:
    """One shared budget: :meth:`acquire` before each request, :meth:`pause` after a 429."""

    def __init__(self, *, rps: float, burst: int, key: str, store, fallback: FileStore | None = None):
        self.rps = max(0.0, rps)  # 0: no budget, only the pause
        self.interval = 1.0 / rps if rps > 0 else 0.0
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
        return self._call("reserve", self.key, self.rps, self.tau, mode, max_wait)

    def pause(self, seconds: float) -> float:
        """Pause background traffic portal-wide for ``seconds`` (never shortening a longer pause), and
        after it resume at a reduced rate that climbs back to the budget (AIMD, module docstring)."""
        return self._call("pause", self.key, seconds, self.tau, self.rps)

    def paused_for(self) -> float:
        """Seconds the current pause still lasts (0 when none)."""
        return self._call("reserve", self.key, self.rps, self.tau, "peek", 0.0).delay

    def rate(self) -> float:
        """The rate in force now (req/s): the budget, or less after a 429 (for /healthz and tests)."""
        return _rate_now(self._call("state", self.key), time.time(), self.rps)

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
            # Paced at HEADROOM of the budget, so no second ButterflyMX counts sees more than the budget.
            paced = rps * HEADROOM
            _shared = Budget(rps=paced, burst=burst, key=key, store=store, fallback=files if redis_url else None)
            _shared_config = config
        return _shared


def _forget_after_fork() -> None:
    global _shared, _shared_config, _shared_lock
    _shared = _shared_config = None
    _shared_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
