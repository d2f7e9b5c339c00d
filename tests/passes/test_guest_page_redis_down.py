"""The guest pages' limits while Redis is down (issue 15): counted in the database instead.

The limits count in the cache (passes/guest_limits.py); a cache that cannot be reached answers misses,
which would let guessing through for as long as the outage lasts (or, before, answer 500). While the
cache's Redis is unreachable the same windows are counted in PostgreSQL (portal.core.limits).
"""

from __future__ import annotations

from tests.passes.conftest import make_pass
from tests.passes.test_guest_page import fresh_minute, guest_url
from tests.plugins.nginx import free_port
from tests.plugins.redis_server import cache_settings


def test_one_link_reloaded_too_often_is_refused_while_the_cache_is_unreachable(world, client, settings):
    fresh_minute()
    settings.PASSES_GUEST_RATE_PER_MINUTE = 3
    settings.CACHES = cache_settings(free_port())  # nothing listens there: a killed Redis
    residency = world.alice.residencies.get()
    url, other = guest_url(make_pass(residency)), guest_url(make_pass(residency, name="Other"))

    statuses = [client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert client.get(other).status_code == 200  # another guest behind the same address


def test_guessing_links_is_still_locked_out_while_the_cache_is_unreachable(world, client, settings):
    fresh_minute()
    settings.PASSES_GUEST_MISSES_PER_MINUTE = 3
    settings.CACHES = cache_settings(free_port())
    url = guest_url(make_pass(world.alice.residencies.get()))

    guesses = [client.get(f"/p/unknown-token-{i}/").status_code for i in range(4)]

    assert guesses == [404, 404, 404, 429]
    assert client.get(url).status_code == 429
