"""Door hours on the staff board and a resident's doors, against the real sandbox: open hours mirrored by
the roster sync, a resident's usable hours read with their own token (``/schedules``), both shown in the
BUILDING's zone, and no ButterflyMX request from a page view."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tenants.models import AccessPoint, Building, Residency, RosterSync
from tenants.roster import roster_sync_run
from tenants.services import residency_doors_refresh

from .conftest import FRONT_DOOR

WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ROOFTOP, ROOFTOP_GROUP, PACIFIC, PACIFIC_LOBBY = 3904, 7702, 11744, 3911
NY, LA = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")


def resync(crimson) -> RosterSync:
    sync = RosterSync.objects.create(link=crimson.building.admin_link, requested_by=crimson.manager)
    sync = roster_sync_run(sync_id=sync.pk)
    assert sync.status == RosterSync.Status.DONE
    return sync


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def label(moment: datetime, now: datetime) -> str:
    """A change time as a building says it: "17:00" today, "17:00 Mon" another day (both local)."""
    return hhmm(moment) if moment.date() == now.date() else f"{hhmm(moment)} {WEEK[moment.weekday()].capitalize()}"


def every_day(start: datetime, end: datetime) -> list[dict]:
    return [{"weekdays": WEEK, "from": hhmm(start), "to": hhmm(end)}]


def test_the_roster_mirrors_each_doors_open_hours_and_a_second_run_writes_nothing(crimson, sandbox):
    at_bmx = {d["id"]: d["open_hours"] for d in sandbox.state()["access_points"]}

    front = AccessPoint.objects.get(building=crimson.building, bmx_id=FRONT_DOOR)

    assert front.open_hours == at_bmx[FRONT_DOOR] == [{"weekdays": WEEK[:5], "from": "08:00", "to": "18:00"}]
    assert AccessPoint.objects.get(building=crimson.building, bmx_id=ROOFTOP).open_hours == at_bmx[ROOFTOP] == []
    counters = resync(crimson).counters
    assert not any(key.startswith("doors_") for key in counters), counters


def test_the_board_says_unlocked_until_in_the_buildings_zone_without_asking_buttterflymx(
    crimson, sandbox, client, bmx_requests
):
    now = datetime.now(NY)
    sandbox.set_open_hours(FRONT_DOOR, every_day(now - timedelta(hours=1), now + timedelta(hours=2)))
    resync(crimson)
    client.force_login(crimson.staff)
    bmx_requests.sent.clear()

    page = client.get(f"/dashboard/{crimson.building.pk}/doors/").content.decode()

    expected = f"Unlocked until {label((now + timedelta(hours=2)).replace(second=0), now)}"
    assert expected in page
    assert bmx_requests.sent == []  # the hours come from the mirror: a page view asks ButterflyMX nothing


def test_a_building_in_los_angeles_shows_los_angeles_hours(crimson, sandbox, client, bmx_requests):
    """Pacific Lofts is in America/Los_Angeles: its lobby opens at a Los Angeles wall time, which the
    board says as such, never in New York's or the server's zone."""
    pacific = Building.objects.get(bmx_id=PACIFIC)
    assert pacific.time_zone == "America/Los_Angeles"
    now = datetime.now(LA)
    opens = now + timedelta(hours=1, minutes=30)
    sandbox.set_open_hours(PACIFIC_LOBBY, every_day(opens, opens + timedelta(hours=2)))
    resync(crimson)
    client.force_login(crimson.manager)  # the admin link's owner manages Pacific Lofts too
    bmx_requests.sent.clear()

    page = client.get(f"/dashboard/{pacific.pk}/doors/").content.decode()

    la_text = f"Locked · unlocks {label(opens, now)}"
    ny_text = f"Locked · unlocks {label(opens.astimezone(NY), now.astimezone(NY))}"
    assert la_text in page and ny_text not in page
    assert bmx_requests.sent == []


def test_a_resident_sees_the_hours_they_may_use_a_door_read_with_their_own_token(crimson, sandbox, client):
    """Rosa reaches the rooftop through an access group with times; after her doors' refresh (rate
    limited, her own link) My doors says when she may use it, in Crimson's zone."""
    now = datetime.now(NY)
    start = now + timedelta(hours=2)
    sandbox.access_group_schedules(ROOFTOP_GROUP, every_day(start, start + timedelta(hours=3)))
    client.force_login(crimson.rosa)

    refreshed = client.post("/profile/doors/refresh/", {"next": "doors"})

    assert refreshed.status_code == 302
    residency = Residency.objects.get(pk=crimson.rosa_residency.pk)
    rosa_token = sandbox.password_token("resident@sandbox.test")
    answer = sandbox.api("GET", f"/v4/access_points/{ROOFTOP}/schedules", rosa_token).json()["data"]
    assert residency.door_schedules[str(ROOFTOP)] == [{k: v for k, v in i.items() if k != "id"} for i in answer]
    residency.doors.add(AccessPoint.objects.get(building=crimson.building, bmx_id=ROOFTOP))
    page = client.get("/doors/").content.decode()
    assert f"You can use it from {label(start.replace(second=0), now)}" in page
    assert "Unlocked until" in page or "Locked · unlocks" in page  # the front door's open hours


def test_page_views_of_my_doors_send_nothing_to_butterflymx(crimson, client, bmx_requests):
    client.force_login(crimson.rosa)
    bmx_requests.sent.clear()

    for _ in range(3):
        assert client.get("/doors/").status_code == 200
        assert client.get("/doors/state/").status_code == 200

    assert bmx_requests.sent == []


def test_a_failed_schedule_read_keeps_the_stored_hours_and_the_doors(crimson, sandbox):
    before = Residency.objects.get(pk=crimson.rosa_residency.pk).door_schedules
    assert before.get(str(ROOFTOP))
    sandbox.fault("/v4/access_points/*/schedules", "GET", status=404)

    residency_doors_refresh(link=crimson.rosa_residency.link)

    assert Residency.objects.get(pk=crimson.rosa_residency.pk).door_schedules == before


@pytest.mark.parametrize("shown", ["Unlocked until", "Locked · unlocks"])
def test_the_open_hours_line_follows_the_clock(crimson, sandbox, client, shown):
    now = datetime.now(NY)
    if shown == "Unlocked until":
        items = every_day(now - timedelta(hours=1), now + timedelta(hours=1))
    else:
        items = every_day(now + timedelta(hours=1), now + timedelta(hours=2))
    sandbox.set_open_hours(FRONT_DOOR, items)
    resync(crimson)
    client.force_login(crimson.staff)

    assert shown in client.get(f"/dashboard/{crimson.building.pk}/").content.decode()
