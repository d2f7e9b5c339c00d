"""The sandbox's door schedules (§4.4) and device releases (§4.6), as the document describes them:
``/schedules`` answers when the *current user* may use a door, a door's ``open_hours`` are seeded like
a real building's, and a ``device_id`` release opens every access point of the device, recorded once."""

from __future__ import annotations

import pytest

WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_DAY = {"weekdays": WEEK, "from": "00:00", "to": "00:00"}
FRONT_DOOR, PACKAGE_ROOM, ROOFTOP, UNIT_4B, PACIFIC_LOBBY = 3901, 3903, 3904, 3906, 3911
ROOFTOP_GROUP, UNIT_4B_LOCK, ROSA = 7702, 58808, 129201


@pytest.fixture
def admin(sandbox):
    return sandbox.password_token("admin@sandbox.test")


@pytest.fixture
def rosa(sandbox):
    return sandbox.password_token("resident@sandbox.test")


def schedules(sandbox, token, door):
    response = sandbox.api("GET", f"/v4/access_points/{door}/schedules", token)
    assert response.status_code == 200
    body = response.json()
    assert body["page_info"]["next_page"] is None
    return [{k: v for k, v in item.items() if k != "id"} for item in body["data"]], [i["id"] for i in body["data"]]


def test_a_building_admin_may_use_every_door_all_day(sandbox, admin):
    items, ids = schedules(sandbox, admin, ROOFTOP)

    assert items == [ALL_DAY] and len(ids) == 1 and isinstance(ids[0], int)


def test_a_tenant_gets_the_times_of_the_access_groups_that_grant_the_door(sandbox, rosa):
    """Rosa reaches the rooftop through "Rooftop access", seeded 06:00 to 22:00; the front door through
    "Default", which has no times: all day, as the document's example."""
    assert schedules(sandbox, rosa, ROOFTOP)[0] == [{"weekdays": WEEK, "from": "06:00", "to": "22:00"}]
    assert schedules(sandbox, rosa, FRONT_DOOR)[0] == [ALL_DAY]


def test_changing_a_groups_times_changes_what_its_members_are_told(sandbox, rosa):
    evenings = [{"weekdays": ["mon", "wed"], "from": "18:00", "to": "21:30"}]

    sandbox.access_group_schedules(ROOFTOP_GROUP, evenings)

    assert schedules(sandbox, rosa, ROOFTOP)[0] == evenings
    sandbox.access_group_schedules(ROOFTOP_GROUP, [])
    assert schedules(sandbox, rosa, ROOFTOP)[0] == [ALL_DAY]


def test_a_door_the_tenant_cannot_see_has_no_schedule_for_them(sandbox):
    nina = sandbox.password_token("neighbor@sandbox.test")  # not in "Rooftop access"

    response = sandbox.api("GET", f"/v4/access_points/{ROOFTOP}/schedules", nina)

    assert response.status_code in (401, 404)


def test_open_hours_are_seeded_in_each_buildings_wall_time(sandbox, admin):
    doors = {d["id"]: d for d in sandbox.api("GET", "/v4/access_points", admin).json()["data"]}

    assert doors[FRONT_DOOR]["open_hours"] == [
        {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "18:00"}
    ]
    assert doors[PACIFIC_LOBBY]["open_hours"] == [
        {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}
    ]
    assert doors[PACKAGE_ROOM]["open_hours"][1] == {"weekdays": ["sat"], "from": "10:00", "to": "14:00"}
    assert doors[ROOFTOP]["open_hours"] == []


def test_a_device_release_is_one_request_that_opens_every_access_point_of_the_device(sandbox, rosa):
    before = sandbox.state()

    response = sandbox.api(
        "POST",
        "/v4/door_release_requests",
        rosa,
        json={"door_release_request": {"tenant_id": ROSA, "device_id": UNIT_4B_LOCK}},
    )

    assert response.status_code == 201
    release = response.json()["data"]
    assert release["device_id"] == UNIT_4B_LOCK and release["access_point_id"] is None
    after = sandbox.state()
    assert after["counts"]["door_release_requests"] == before["counts"]["door_release_requests"] + 1
    assert after["latest_door_release_requests"][0] == release
    entry = after["latest_access_logs"][0]
    assert entry["access_point"] == UNIT_4B and entry["tenant_id"] == ROSA and entry["release_method"] == "api"
