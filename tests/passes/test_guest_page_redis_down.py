"""The guest page's per-address limit while Redis is down (issue 15): counted in the database instead.

The limit counts in the cache; a cache that cannot be reached answers misses, which would let token
guessing through for as long as the outage lasts. passes/views.py then counts the same window in
PostgreSQL (portal.core.limits).
"""

from __future__ import annotations

import time

from tests.passes.conftest import make_pass
from tests.plugins.nginx import free_port
from tests.plugins.redis_server import cache_settings


def test_the_guest_page_stays_limited_per_address_while_the_cache_is_unreachable(world, client, settings):
    settings.PASSES_GUEST_RATE_PER_MINUTE = 3
    settings.CACHES = cache_settings(free_port())  # nothing listens there: a killed Redis
    url = f"/p/{make_pass(world.alice.residencies.get()).keys.get().share_token}/"
    if time.time() % 60 > 55:  # a fixed one-minute window: start in a fresh one
        time.sleep(61 - time.time() % 60)

    statuses = [client.get(url).status_code for _ in range(4)]
    unknown = client.get("/p/another-unknown-token/").status_code

    assert statuses == [200, 200, 200, 429]
    assert unknown == 429
