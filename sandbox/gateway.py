"""The API gateway in front of ``/v4``: a per-client rate limit (off by default) and traffic statistics.

ButterflyMX documents no rate limit (../shared/butterflymx-api.md §2.4); the PROPOSED shape is followed when
a test switches one on through ``POST /_sandbox/config {"rate_limit": {"rps": 50, "burst": 50}}``: each
client gets a token bucket of ``burst`` requests refilled at ``rps`` per second, and a request finding it
empty gets 429, an integer ``Retry-After`` (seconds until a token is back, at least 1) and the error body
of ``sandbox/faults.py``. A client is the account behind the bearer token (``"per": "account"``, the
default: a refreshed token keeps its account's budget) or the token itself (``"per": "token"``); a request
without a token is keyed by its address.

The traffic statistics count every ``/v4`` request the sandbox answers, per second of real time (not the
sandbox clock: a benchmark compares them with its own wall clock), over the last ``WINDOW_S`` seconds,
plus totals since the last reset: ``GET /_sandbox/traffic``, ``DELETE`` to start over.

Both live in the memory of the one sandbox process, like the fault rules; ``reset`` clears them.
"""

import math
import threading
import time
from collections import OrderedDict
from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox import faults

API_PREFIX = "/v4/"
WINDOW_S = 900  # seconds of per-second history kept (15 minutes)
CLIENT_CACHE = 10_000  # bearer token -> account key, so the limiter does not query per request

# --- rate limit -------------------------------------------------------------------------------------------

_lock = threading.Lock()
_limit: dict[str, Any] | None = None
_loaded = False
_buckets: dict[str, list[float]] = {}  # client key -> [tokens, last refill (monotonic)]
_client_keys: OrderedDict[str, str] = OrderedDict()


def validate_limit(value: Any) -> dict[str, Any] | None:
    """``None``/``{}``/``false`` switch the limit off; otherwise ``{"rps": >0, "burst": >=1, "per": ...}``."""
    if value in (None, False, {}):
        return None
    if not isinstance(value, dict):
        raise ValueError('rate_limit is null or {"rps": <requests per second>, "burst": <requests>}')
    unknown = sorted(set(value) - {"rps", "burst", "per"})
    if unknown:
        raise ValueError(f"unknown rate_limit keys: {', '.join(unknown)}")
    try:
        rps = float(value["rps"])
        burst = float(value.get("burst", max(rps, 1)))
    except (KeyError, TypeError, ValueError):
        raise ValueError("rate_limit.rps (and burst, when given) must be numbers") from None
    if not (rps > 0 and burst >= 1) or math.isinf(rps) or math.isinf(burst):
        raise ValueError("rate_limit needs rps > 0 and burst >= 1")
    per = value.get("per", "account")
    if per not in ("account", "token"):
        raise ValueError('rate_limit.per is "account" or "token"')
    return {"rps": rps, "burst": burst, "per": per}


def set_limit(value: Any) -> None:
    """Apply a (validated) limit at once; buckets start full."""
    global _limit, _loaded
    with _lock:
        _limit = validate_limit(value)
        _loaded = True
        _buckets.clear()


def _current_limit() -> dict[str, Any] | None:
    if not _loaded:  # first request after a start: the persisted config decides
        from sandbox import config  # config imports this module

        set_limit(config.get("rate_limit"))
    return _limit


def _client_key(request: HttpRequest, per: str) -> str:
    from sandbox.api.auth import bearer_token  # the API package imports Django models
    from sandbox.models import OAuthToken

    raw = bearer_token(request)
    if raw is None:
        return f"addr:{request.META.get('REMOTE_ADDR', '')}"
    if per == "token":
        return f"token:{raw}"
    with _lock:
        key = _client_keys.get(raw)
    if key is None:
        row = OAuthToken.objects.filter(access_token=raw).values("user_id", "client_id").first()
        if row is None:
            key = f"token:{raw}"  # an unknown token still spends a budget of its own
        elif row["user_id"] is not None:
            key = f"user:{row['user_id']}"
        else:
            key = f"client:{row['client_id']}"
        with _lock:
            _client_keys[raw] = key
            while len(_client_keys) > CLIENT_CACHE:
                _client_keys.popitem(last=False)
    return key


def _take(key: str, limit: dict[str, Any]) -> int | None:
    """Spend one token of ``key``'s bucket; None when allowed, else whole seconds until one is back."""
    now = time.monotonic()
    with _lock:
        tokens, last = _buckets.get(key, (limit["burst"], now))
        tokens = min(limit["burst"], tokens + (now - last) * limit["rps"])
        if tokens >= 1:
            _buckets[key] = [tokens - 1, now]
            return None
        _buckets[key] = [tokens, now]
    return max(1, math.ceil((1 - tokens) / limit["rps"]))


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = _current_limit()
        if limit is None:
            return self.get_response(request)
        wait = _take(_client_key(request, limit["per"]), limit)
        if wait is None:
            return self.get_response(request)
        return faults.error_response(429, wait)


# --- traffic statistics -----------------------------------------------------------------------------------

_traffic_lock = threading.Lock()
_seconds: dict[int, list[int]] = {}  # epoch second -> [requests, 429s]
_totals: dict[str, Any] = {}


def _fresh_totals() -> dict[str, Any]:
    return {"since": time.time(), "requests": 0, "status_429": 0, "by_status": {}}


_totals.update(_fresh_totals())


def record(status: int, at: float | None = None) -> None:
    second = int(at if at is not None else time.time())
    with _traffic_lock:
        counts = _seconds.get(second)
        if counts is None:
            counts = _seconds[second] = [0, 0]
            for old in [s for s in _seconds if s <= second - WINDOW_S]:
                del _seconds[old]
        counts[0] += 1
        _totals["requests"] += 1
        if status == 429:
            counts[1] += 1
            _totals["status_429"] += 1
        key = str(status)
        _totals["by_status"][key] = _totals["by_status"].get(key, 0) + 1


def traffic(since: float | None = None, until: float | None = None) -> dict[str, Any]:
    """The per-second histogram (only seconds with requests) between ``since`` and ``until`` (epoch
    seconds, inclusive; default: the whole window), its busiest second, and the totals since the reset."""
    now = time.time()
    lo = int(since) if since is not None else int(now) - WINDOW_S + 1
    hi = int(until) if until is not None else int(now)
    with _traffic_lock:
        rows = sorted((s, c[0], c[1]) for s, c in _seconds.items() if lo <= s <= hi)
        totals = {**_totals, "by_status": dict(_totals["by_status"])}
    busiest = max(rows, key=lambda r: r[1], default=None)
    span = max(hi - max(lo, int(totals["since"])) + 1, 1)
    in_range = sum(r[1] for r in rows)
    return {
        "now": now,
        "window_s": WINDOW_S,
        "since": lo,
        "until": hi,
        "rps_max": busiest[1] if busiest else 0,
        "rps_max_at": busiest[0] if busiest else None,
        "requests": in_range,
        "status_429": sum(r[2] for r in rows),
        "rps_mean": round(in_range / span, 3),
        "seconds": [{"t": s, "requests": n, "status_429": n429} for s, n, n429 in rows],
        "totals": totals,
        "rate_limit": _current_limit(),
    }


def clear_traffic() -> None:
    with _traffic_lock:
        _seconds.clear()
        _totals.clear()
        _totals.update(_fresh_totals())


class TrafficMiddleware:
    """Outermost: counts what the client finally got, whether the contract, a fault or the limit answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        record(response.status_code)
        return response


def reset() -> None:
    """Back to the seed: no limit (the config row is gone too), empty buckets and statistics."""
    global _limit, _loaded
    with _lock:
        _limit, _loaded = None, False
        _buckets.clear()
        _client_keys.clear()
    clear_traffic()
