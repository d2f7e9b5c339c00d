"""A resident's door cards and the doors API show their own unit's activity only, even at a shared door;
the board keeps showing staff everything of their building. ``tests/privacy_matrix.py`` holds the
same rule for every URL; these tests hold it against the sandbox's Crimson Tower."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logs.models import ReleaseMethod
from portal.butterflymx import oauth
from portal.dashboard.models import DoorRelease
from portal.dashboard.services import door_release
from tenants.models import AccessPoint, Residency, TenantRecord
from tenants.services import link_tenant_connect
from tests import factories as f

from .conftest import FRONT_DOOR, ROSA_TENANT
from .test_board import log_entry

NINA_TENANT = 129205  # Nina Neighbor, unit 4C, a neighbour of Rosa (4B) on the same floor


@pytest.fixture
def nina(crimson):
    """Rosa's neighbour, linked through the sandbox, assigned the same front door."""
    nina = f.UserFactory(email="nina@crimson.test", first_name="Nina", last_name="Neighbour")
    link_tenant_connect(user=nina, tokens=oauth.password_grant("neighbor@sandbox.test", "sandbox-pass"))
    residency = Residency.objects.get(user=nina, unit__building=crimson.building)
    residency.doors.set([crimson.doors[FRONT_DOOR]])
    return nina


def entries_at_the_front_door(crimson, nina):
    """Nina came in an hour ago; Rosa came in after her."""
    now, door = timezone.now(), crimson.doors[FRONT_DOOR]
    nina_unit = nina.residencies.get().unit
    log_entry(crimson.building, door, at=now - timedelta(hours=1), remote_id=1, person="Nina Neighbour")
    log_entry(crimson.building, door, at=now - timedelta(minutes=2), remote_id=2, person="Rosa Resident")
    crimson.building.access_log_entries.filter(remote_id=1).update(unit=nina_unit, unit_label=nina_unit.label)
    crimson.building.access_log_entries.filter(remote_id=2).update(
        unit=crimson.rosa_residency.unit, unit_label=crimson.rosa_residency.unit.label
    )


def test_a_neighbours_entry_at_a_shared_door_is_not_on_my_doors(crimson, nina, client):
    entries_at_the_front_door(crimson, nina)
    client.force_login(nina)

    page = client.get("/doors/").content.decode()
    fragment = client.get("/doors/state/").content.decode()
    api = client.get(f"/api/doors/{crimson.doors[FRONT_DOOR].pk}/").json()

    for text in (page, fragment):
        assert "Nina Neighbour" in text  # her own last use
        assert "Rosa" not in text and "(4B)" not in text
    assert api["last_event_person"] == "Nina Neighbour"


def test_the_staff_board_still_shows_the_last_person_through_each_door(crimson, nina, client):
    entries_at_the_front_door(crimson, nina)
    client.force_login(crimson.staff)

    fragment = client.get(f"/dashboard/{crimson.building.pk}/doors/").content.decode()

    assert "Rosa Resident (4B)" in fragment


def test_a_resident_whose_unit_has_no_activity_at_a_door_sees_nothing_of_it(crimson, nina, client):
    log_entry(crimson.building, crimson.doors[FRONT_DOOR], at=timezone.now(), person="Rosa Resident")
    door_release(user=crimson.rosa, door_id=crimson.doors[FRONT_DOOR].pk)
    client.force_login(nina)

    card = client.get("/doors/state/").content.decode()
    api = client.get("/api/doors/").json()

    assert "No events synced yet" in card and "Last release by" not in card and "Rosa" not in card
    assert [(d["last_event_person"], d["last_release"], d["state"]) for d in api] == [(None, None, "idle")]


def test_a_resident_sees_their_own_release_as_theirs(crimson, nina, sandbox, client):
    door_release(user=crimson.rosa, door_id=crimson.doors[FRONT_DOOR].pk)
    client.force_login(crimson.rosa)

    card = client.get("/doors/state/").content.decode()

    assert "Last release by you" in card


def test_a_staff_release_for_a_residents_unit_shows_them_no_staff_details(crimson, sandbox, client):
    rosa_tenant = TenantRecord.objects.get(building=crimson.building, bmx_id=ROSA_TENANT)
    door_release(
        user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="plumber-for-4B", for_tenant_id=rosa_tenant.pk
    )
    client.force_login(crimson.rosa)

    card = client.get("/doors/state/").content.decode()
    door = next(d for d in client.get("/api/doors/").json() if d["name"] == "Front door")

    assert "Last release by the front desk" in card
    assert crimson.staff.email not in card and crimson.staff.display_name not in card and "plumber" not in card
    release = door["last_release"]
    assert release["status"] == "succeeded" and release["requested_by_role"] == "staff"
    assert (release["requested_by"], release["reason"], release["for_label"]) == (None, None, None)

    client.force_login(crimson.staff)
    full = next(d for d in client.get("/api/doors/").json() if d["name"] == "Front door")["last_release"]
    assert (full["requested_by"], full["reason"]) == (crimson.staff.email, "plumber-for-4B")
    assert full["for_label"] == "Rosa Resident (4B)"


def test_a_release_is_filed_under_the_unit_of_the_tenant_it_is_logged_under(crimson, nina, sandbox, settings):
    settings.DOOR_RELEASE_COOLDOWN_S = 0
    door = crimson.doors[FRONT_DOOR].pk
    rosa_tenant = TenantRecord.objects.get(building=crimson.building, bmx_id=ROSA_TENANT)

    by_nina = door_release(user=nina, door_id=door)
    for_rosa = door_release(user=crimson.staff, door_id=door, for_tenant_id=rosa_tenant.pk)
    for_nobody = door_release(user=crimson.staff, door_id=door)

    assert by_nina.unit == nina.residencies.get().unit
    assert for_rosa.unit == crimson.rosa_residency.unit
    assert for_nobody.unit.label == "Office"  # the front-desk tenant's unit, as ButterflyMX logs it


def test_my_doors_costs_the_same_queries_for_three_doors_or_fifty(crimson, client):
    log_entry(crimson.building, crimson.doors[FRONT_DOOR], at=timezone.now(), remote_id=4999)
    crimson.building.access_log_entries.update(unit=crimson.rosa_residency.unit)
    client.force_login(crimson.rosa)
    client.get("/doors/state/")  # warm the session and any per-process caches

    with CaptureQueriesContext(connection) as three:
        client.get("/doors/state/")
    extra = AccessPoint.objects.bulk_create(
        [AccessPoint(building=crimson.building, name=f"Storage {i:02}", bmx_id=910000 + i) for i in range(47)]
    )
    crimson.rosa_residency.doors.add(*extra)
    for i, door in enumerate(extra):
        log_entry(crimson.building, door, at=timezone.now(), method=ReleaseMethod.ACCESS_TOOL, remote_id=5000 + i)
    crimson.building.access_log_entries.filter(remote_id__gte=5000).update(unit=crimson.rosa_residency.unit)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get("/doors/state/")

    assert response.content.decode().count("data-door-id=") == 50
    assert response.content.decode().count("Resident PIN or fob") == 47  # her unit's entries, each shown
    assert len(fifty) == len(three)


def test_old_releases_are_filed_under_their_tenants_unit_by_the_migration(crimson, sandbox):
    rosa_tenant = TenantRecord.objects.get(building=crimson.building, bmx_id=ROSA_TENANT)
    release = door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, for_tenant_id=rosa_tenant.pk)
    DoorRelease.objects.filter(pk=release.pk).update(unit=None)
    migration = importlib.import_module("portal.dashboard.migrations.0003_door_release_unit")

    migration.units_from_the_roster(apps, None)

    release.refresh_from_db()
    assert release.unit == crimson.rosa_residency.unit


def test_staff_of_one_building_living_in_another_see_only_their_unit_there(world, client):
    from tests.logs.factories import entry_for

    home = f.UnitFactory(building=world.building_b, label="7C")
    f.ResidencyFactory(user=world.staff, unit=home).doors.set([world.door_b])
    now = timezone.now()
    entry_for(world.building_b, remote_id=1, unit=home, door=world.door_b, person_name="Sam at home")
    entry_for(
        world.building_b, remote_id=2, unit=world.unit_b1, door=world.door_b, logged_at=now, person_name="Charlie"
    )
    entry_for(world.building_a, remote_id=3, unit=world.unit_a2, door=world.door_a, logged_at=now, person_name="Bob")
    client.force_login(world.staff)

    doors = {d["name"]: d["last_event_person"] for d in client.get("/api/doors/").json()}

    assert doors["B Lobby"] == "Sam at home"  # where they live: their own unit's entry, not Charlie's
    assert doors["A Front Door"] == "Bob"  # where they work: the building's last entry
