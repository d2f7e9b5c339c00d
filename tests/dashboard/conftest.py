"""Crimson Tower as the portal knows it once connected to the sandbox: real tokens, real door ids."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.butterflymx import oauth
from portal.dashboard.services import front_desk_set
from tenants.models import Building, Membership, Residency, RosterSync, TenantRecord
from tenants.roster import roster_sync_run
from tenants.services import link_admin_connect, link_tenant_connect
from tests import factories as f

CRIMSON = 11743
FRONT_DOOR, GARAGE, PACKAGE_ROOM, ROOFTOP = 3901, 3902, 3903, 3904
ROSA_TENANT, ROSA_UNIT = 129201, 101308
DESK_TENANT = 129214  # Crimson's front-desk tenant (unit Office)


@dataclass
class Crimson:
    building: Building
    doors: dict[int, object]
    manager: object
    staff: object
    rosa: object
    rosa_residency: Residency
    other_staff: object


def build_crimson(sandbox) -> Crimson:
    """Crimson Tower connected the way a manager connects it: a building-admin link (real tokens from
    the sandbox), the roster sync, and Rosa's own tenant link."""
    manager = f.UserFactory(email="manager@crimson.test")
    staff = f.UserFactory(email="desk@crimson.test", first_name="Dana")
    rosa = f.UserFactory(email="rosa@crimson.test", first_name="Rosa")
    admin_link = link_admin_connect(
        user=manager, tokens=oauth.password_grant("admin@sandbox.test", "sandbox-pass"), sync=False
    )
    sync = RosterSync.objects.create(link=admin_link, requested_by=manager)
    assert roster_sync_run(sync_id=sync.pk).status == RosterSync.Status.DONE
    link_tenant_connect(user=rosa, tokens=oauth.password_grant("resident@sandbox.test", "sandbox-pass"))
    building = Building.objects.get(bmx_id=CRIMSON)
    doors = {door.bmx_id: door for door in building.access_points.all()}
    residency = Residency.objects.get(user=rosa, unit__building=building)
    # Rosa may use more doors at ButterflyMX; the portal assigns her these three.
    residency.doors.set([doors[FRONT_DOOR], doors[GARAGE], doors[PACKAGE_ROOM]])
    Membership.objects.update_or_create(user=manager, building=building, defaults={"role": "manager"})
    f.MembershipFactory(user=staff, building=building, role="staff")
    other_staff = f.UserFactory(email="desk@elsewhere.test")
    f.MembershipFactory(user=other_staff, building=f.BuildingFactory(name="Elsewhere"), role="staff")
    front_desk_set(building=building, tenant=TenantRecord.objects.get(building=building, bmx_id=DESK_TENANT))
    return Crimson(building, doors, manager, staff, rosa, residency, other_staff)


@pytest.fixture
def crimson(sandbox, db) -> Crimson:
    return build_crimson(sandbox)


def releases_at_sandbox(sandbox) -> int:
    return sandbox.state()["counts"]["door_release_requests"]
