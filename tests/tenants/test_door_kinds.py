"""One rule for what makes a door an entrance or a unit door (tenants/door_kinds.py), in SQL and in
Python, used alike by passes (default doors) and the door board (its groups)."""

from __future__ import annotations

from itertools import combinations

import pytest

from passes.doors import ENTRANCE, default_doors, group_of, with_groups
from portal.dashboard.selectors import board_groups
from tenants.door_kinds import entrance_q, is_entrance, is_unit_door, unit_door_q
from tenants.models import AccessPoint, Device
from tests import factories as f

pytestmark = pytest.mark.django_db

# Every device ``type`` of GET /v4/devices (shared/butterflymx-api.md §4.5).
BMX_DEVICE_TYPES = [
    "cloud_based_access_controller",
    "keypad",
    "smart_lock",
    "panel",
    "virtual_intercom",
    "elevator_control",
    "key_locker",
    "elevator",
    "front_desk_station",
    "remote_lock",
]


def door_with(building, name: str, kinds) -> AccessPoint:
    door = AccessPoint.objects.create(building=building, name=name)
    for n, kind in enumerate(kinds):
        Device.objects.create(building=building, name=f"{name} device {n}", kind=kind).access_points.add(door)
    return door


def test_the_sql_and_python_forms_agree_on_every_door_of_up_to_two_device_types(world):
    building = world.building_b
    combos = [()] + [(k,) for k in BMX_DEVICE_TYPES] + list(combinations(BMX_DEVICE_TYPES, 2)) + [("remote_lock",) * 2]
    doors = {door_with(building, "+".join(c) or "none", c).pk: set(c) for c in combos}
    mine = AccessPoint.objects.filter(pk__in=doors)

    entrances = set(mine.filter(entrance_q()).values_list("pk", flat=True))
    unit_doors = set(mine.filter(unit_door_q()).values_list("pk", flat=True))

    assert entrances == {pk for pk, kinds in doors.items() if is_entrance(kinds)}
    assert unit_doors == {pk for pk, kinds in doors.items() if is_unit_door(kinds)}
    assert not entrances & unit_doors
    named = {pk: "+".join(sorted(k)) for pk, k in doors.items()}
    assert {named[pk] for pk in unit_doors} == {"remote_lock"}  # one lone lock, and the door with two
    assert len(unit_doors) == 2


def test_a_door_with_only_a_front_desk_station_is_an_entrance_for_passes_and_the_board(world):
    building = f.BuildingFactory(name="Desk House", unit_doors_on_board=True)
    f.MembershipFactory(user=world.manager, building=building, role="manager")
    lobby = door_with(building, "Lobby", ["front_desk_station"])
    gym = door_with(building, "Gym", ["cloud_based_access_controller"])
    flat = door_with(building, "Unit 5A", ["remote_lock"])
    doors = AccessPoint.objects.filter(pk__in=[lobby.pk, gym.pk, flat.pk])

    assert default_doors(doors) == [lobby]
    assert group_of(with_groups(doors).get(pk=lobby.pk)) == ENTRANCE
    board = {name: [s.door.name for s in states] for name, states in board_groups(building, viewer=world.manager)}
    assert board == {"Entrances": ["Lobby"], "Common areas": ["Gym"], "Unit doors": ["Unit 5A"]}
