"""Door releases while Redis is down or frozen (issue 15): the front desk still opens the door.

The release path keeps its limits in PostgreSQL (portal/core/limits.py) and the session falls back to
the database, so a cache that refuses (nothing listening: a killed Redis) or never answers (a listener
that accepts and stays silent: a frozen one) changes nothing for the person at the desk.
"""

from __future__ import annotations

import pytest

from portal.dashboard.models import DoorRelease
from tests.plugins.nginx import free_port
from tests.plugins.redis_server import FrozenRedis, cache_settings

from .conftest import FRONT_DOOR, releases_at_sandbox


@pytest.mark.parametrize("redis_state", ["killed", "frozen"])
def test_staff_release_reaches_the_sandbox_while_the_cache_is_unreachable(
    crimson, sandbox, client, settings, redis_state
):
    frozen = FrozenRedis() if redis_state == "frozen" else None
    settings.CACHES = cache_settings(frozen.port if frozen else free_port())
    try:
        client.force_login(crimson.staff)  # the session is written to the database; the cache write is skipped
        board = client.get(f"/dashboard/{crimson.building.pk}/doors/")
        response = client.post(f"/doors/{crimson.doors[FRONT_DOOR].pk}/release/", {"reason": "courier"})
        again = client.get("/")
    finally:
        if frozen:
            frozen.close()

    assert board.status_code == 200
    assert response.status_code == 302
    assert DoorRelease.objects.get().status == DoorRelease.Status.SUCCEEDED
    assert releases_at_sandbox(sandbox) == 1
    assert again.status_code == 200  # still signed in: the session was read from the database
