"""Rate limits of the guest pages (/p/<token>/ and its calendar file), sized for a party on one Wi-Fi.

A party's guests often reach the lobby on the building's Wi-Fi: forty phones behind ONE address, each
opening its link (or one link shared by everyone) and reloading it at the door. A per-address limit
small enough to stop guessing would lock them out; one large enough for them would let a guesser try
hundreds of links a minute. So the limits key on what each threat has in common:

- guessing is *unknown* links: an address gets ``PASSES_GUEST_MISSES_PER_MINUTE`` of them (share tokens
  are 256-bit random, so this is about a scanner's load and noise, not about finding one); past that,
  every guest page from that address is refused until the minute ends, before any lookup: refusing
  only the misses would still look each one up, and answer a scanner 200 or 429 as it did 200 or 404.
  Twenty mistyped links in a minute is not something a party's guests do by accident;
- reloading one link is counted per link *and* address (``PASSES_GUEST_RATE_PER_MINUTE``), so one
  guest's reloads, or one shared link's crowd, never use up another link's allowance;
- ``PASSES_GUEST_ADDRESS_RATE_PER_MINUTE`` caps an address over all its links: a ceiling far above a
  party (hundreds a minute), below a flood.

Counters are fixed one-minute windows in the cache (atomic ``add`` + ``incr``). A refusal carries the
seconds left in the window, for ``Retry-After``. While the cache's Redis is unreachable (its reads are
misses, portal/core/rediscache.py) the same windows are counted in the database (portal.core.limits),
so guessing stays limited during an outage.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portal.core.limits import rate_count, rate_hit
from portal.core.rediscache import cache_unreachable

WINDOW_S = 60


class GuestLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"guest page limit reached; retry after {retry_after} s")
        self.retry_after = retry_after


def _window() -> tuple[int, int]:
    """The current window's number and the whole seconds left in it (at least 1)."""
    now = timezone.now().timestamp()
    return int(now // WINDOW_S), max(1, WINDOW_S - int(now % WINDOW_S))


def _db_key(key: str) -> str:
    """The database counter of cache key ``passes:guest:<kind>:...:<window>`` (its window is the row's;
    ``g:`` keeps an IPv6 address within RateCounter's 64 characters)."""
    return "g:" + key.removeprefix("passes:guest:").rsplit(":", 1)[0]


def _count(key: str) -> int:
    """Add one to ``key`` and return its new count (the key lives a little longer than its window)."""
    if not cache_unreachable():
        cache.add(key, 0, WINDOW_S + 10)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_S + 10)
            return 1
        if count is not None:  # None: Redis could not be asked just now
            return count
    rate_hit(key=_db_key(key), limit=2**31 - 1, window_s=WINDOW_S)
    return rate_count(key=_db_key(key), window_s=WINDOW_S)


def _peek(key: str) -> int:
    if cache_unreachable():
        return rate_count(key=_db_key(key), window_s=WINDOW_S)
    return cache.get(key) or 0


def address_claim(address: str) -> None:
    """Before the link is looked up: refuse an address that guessed too much or asked too often."""
    window, left = _window()
    if _peek(f"passes:guest:miss:{address}:{window}") >= settings.PASSES_GUEST_MISSES_PER_MINUTE:
        raise GuestLimited(left)
    if _count(f"passes:guest:addr:{address}:{window}") > settings.PASSES_GUEST_ADDRESS_RATE_PER_MINUTE:
        raise GuestLimited(left)


def miss_record(address: str) -> None:
    """An unknown link was asked for from ``address``."""
    window, _left = _window()
    _count(f"passes:guest:miss:{address}:{window}")


def link_claim(address: str, key_id: int) -> None:
    """One view of the link ``key_id`` (a visitor key) from ``address``."""
    window, left = _window()
    if _count(f"passes:guest:key:{key_id}:{address}:{window}") > settings.PASSES_GUEST_RATE_PER_MINUTE:
        raise GuestLimited(left)
