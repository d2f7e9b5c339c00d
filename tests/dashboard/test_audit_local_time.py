"""The release audit shows each release in its building's zone, with the zone's abbreviation
(issue 16: times everywhere in the building's zone)."""

from __future__ import annotations

import datetime as dt

from portal.dashboard.models import DoorRelease
from portal.dashboard.services import door_release

from .conftest import FRONT_DOOR


def test_audit_rows_show_the_release_in_the_buildings_zone(crimson, sandbox, client):
    assert crimson.building.time_zone == "America/New_York"
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="plumber")
    DoorRelease.objects.update(requested_at=dt.datetime(2026, 7, 1, 2, 30, 5, tzinfo=dt.UTC))
    client.force_login(crimson.manager)

    page = client.get("/dashboard/audit/").content.decode()

    # 02:30 UTC on 1 July is 22:30 the evening before in New York (EDT)
    assert 'data-testid="release-time">Tue 30 Jun 2026, 22:30 EDT</time>' in page
    assert "1 Jul 2026" not in page
