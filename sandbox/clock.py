"""The sandbox's notion of "now": real time plus a persisted offset that the control surface moves.

Every rule (token expiry, pass windows, grace periods, seed history) reads ``now()`` so a test can move
time instead of sleeping.
"""

import datetime as dt
import threading

from sandbox.models import Setting

_lock = threading.Lock()
_offset: float | None = None  # seconds; cached because the sandbox runs as one process


def _load() -> float:
    global _offset
    with _lock:
        if _offset is None:
            row = Setting.objects.filter(key="clock_offset").first()
            _offset = float(row.value) if row else 0.0
        return _offset


def real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now() -> dt.datetime:
    """The sandbox time, in UTC, truncated to the second like every v4 timestamp."""
    return (real_now() + dt.timedelta(seconds=_load())).replace(microsecond=0)


def set_offset(seconds: float) -> None:
    global _offset
    with _lock:
        _offset = float(seconds)
        Setting.objects.update_or_create(key="clock_offset", defaults={"value": _offset})


def set_now(target: dt.datetime) -> None:
    set_offset((target - real_now()).total_seconds())


def advance(seconds: float) -> None:
    set_offset(_load() + seconds)


def offset() -> float:
    return _load()


def forget() -> None:
    """Drop the cache (after a reset rewrote the settings table)."""
    global _offset
    with _lock:
        _offset = None
