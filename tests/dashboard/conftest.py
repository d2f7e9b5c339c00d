"""Crimson Tower as the portal knows it once connected to the sandbox: real tokens, real door ids."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.butterflymx import oauth
from portal.dashboard.models import FrontDesk
from tenants.models import AccessPoint, BmxLink, Building, Device, Residency, Unit
from tests import factories as f

CRIMSON = 11743
FRONT_DOOR, GARAGE, PACKAGE_ROOM, ROOFTOP = 3901, 3902, 3903, 3904
ROSA_TENANT, ROSA_UNIT = 129201, 101308
DESK_TENANT = 129207


def link_for(user, kind: str, email: str) -> BmxLink:
    tokens = oauth.password_grant(email, "sandbox-pass")
    return BmxLink.objects.create(
        user=user,
        kind=kind,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        scope=tokens.scope,
    )


@dataclass
class Crimson:
    building: Building
    doors: dict[int, AccessPoint]
    manager: object
    staff: object
    rosa: object
    rosa_residency: Residency
    other_staff: object


def build_crimson(sandbox) -> Crimson:
    """The rows a connected Crimson Tower has: real tokens from the sandbox and its real door ids."""
    manager = f.UserFactory(email="manager@crimson.test")
    staff = f.UserFactory(email="desk@crimson.test", first_name="Dana")
    rosa = f.UserFactory(email="rosa@crimson.test", first_name="Rosa")
    admin_link = link_for(manager, BmxLink.Kind.BUILDING_ADMIN, "admin@sandbox.test")
    building = Building.objects.create(
        bmx_id=CRIMSON, name="Crimson Tower", time_zone="America/New_York", admin_link=admin_link
    )
    state = sandbox.state()
    devices = {
        d["id"]: Device.objects.create(building=building, bmx_id=d["id"], name=d["name"], kind=d["type"])
        for d in state["devices"]
        if d["building_id"] == CRIMSON
    }
    doors = {}
    for door in state["access_points"]:
        if door["building_id"] != CRIMSON:
            continue
        doors[door["id"]] = AccessPoint.objects.create(building=building, bmx_id=door["id"], name=door["name"])
        for device_id in door["device_ids"]:
            devices[device_id].access_points.add(doors[door["id"]])
    unit = Unit.objects.create(building=building, bmx_id=ROSA_UNIT, label="4B")
    residency = Residency.objects.create(
        user=rosa,
        unit=unit,
        bmx_tenant_id=ROSA_TENANT,
        is_primary=True,
        link=link_for(rosa, BmxLink.Kind.TENANT, "resident@sandbox.test"),
    )
    residency.doors.set([doors[FRONT_DOOR], doors[GARAGE], doors[PACKAGE_ROOM]])
    f.MembershipFactory(user=manager, building=building, role="manager")
    f.MembershipFactory(user=staff, building=building, role="staff")
    other_staff = f.UserFactory(email="desk@elsewhere.test")
    f.MembershipFactory(user=other_staff, building=f.BuildingFactory(name="Elsewhere"), role="staff")
    FrontDesk.objects.create(building=building, bmx_tenant_id=DESK_TENANT, label="Front desk")
    return Crimson(building, doors, manager, staff, rosa, residency, other_staff)


@pytest.fixture
def crimson(sandbox, db) -> Crimson:
    return build_crimson(sandbox)


def releases_at_sandbox(sandbox) -> int:
    return sandbox.state()["counts"]["door_release_requests"]
