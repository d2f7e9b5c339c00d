"""Portal rows that mirror the sandbox's demo portfolio, with real tokens from the sandbox.

It creates the local Building/Unit/AccessPoint/Residency rows whose ``bmx_id``s match ``sandbox/seed.py``
directly, and ``BmxLink``s holding tokens obtained with the password grant. The roster sync does the
same for real (``tests/dashboard/conftest.py`` ``build_crimson`` goes through it); the passes tests keep
these hand-made rows so that they fail for their own reasons, not the roster sync's.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.butterflymx import oauth
from tenants.models import AccessPoint, BmxLink, Building, Membership, Residency, Unit
from tests import factories as f

CRIMSON = 11743
LAKESHORE = 11745
# (bmx id, name) of Crimson Tower's doors
CRIMSON_DOORS = [
    (3901, "Front door"),
    (3902, "Garage"),
    (3903, "Package room"),
    (3904, "Rooftop"),
    (3905, "Elevator"),
    (3906, "Unit 4B"),
]
ROSA_DOORS = [3901, 3902, 3903, 3904, 3905, 3906]  # default group + rooftop + her unit's lock
NINA_DOORS = [3901, 3902, 3903, 3905]


@dataclass
class BmxWorld:
    crimson: Building
    lakeshore: Building
    unit_4b: Unit
    unit_4c: Unit
    doors: dict[int, AccessPoint]
    rosa: object
    nina: object
    manager: object
    other_manager: object
    rosa_residency: Residency
    nina_residency: Residency


def link_for(user, email: str, kind: str = BmxLink.Kind.TENANT) -> BmxLink:
    tokens = oauth.password_grant(email, "sandbox-pass")
    return BmxLink.objects.create(
        user=user,
        kind=kind,
        bmx_email=email,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        scope=tokens.scope,
    )


def make_bmx_world() -> BmxWorld:
    """Call with the ``sandbox`` fixture active (it points the settings at the sandbox)."""
    crimson = Building.objects.create(bmx_id=CRIMSON, name="Crimson Tower", time_zone="America/New_York")
    lakeshore = Building.objects.create(bmx_id=LAKESHORE, name="Lakeshore Commons", time_zone="America/Chicago")
    unit_4b = Unit.objects.create(building=crimson, bmx_id=101308, label="4B", floor="4")
    unit_4c = Unit.objects.create(building=crimson, bmx_id=101309, label="4C", floor="4")
    doors = {bmx: AccessPoint.objects.create(building=crimson, bmx_id=bmx, name=name) for bmx, name in CRIMSON_DOORS}
    rosa = f.UserFactory(email="rosa@example.test", first_name="Rosa", last_name="Resident")
    nina = f.UserFactory(email="nina@example.test", first_name="Nina", last_name="Neighbor")
    manager = f.UserFactory(email="ada@example.test", first_name="Ada", last_name="Admin")
    other_manager = f.UserFactory(email="leo@example.test", first_name="Leo", last_name="Lakeshore")
    rosa_residency = Residency.objects.create(
        user=rosa, unit=unit_4b, bmx_tenant_id=129201, link=link_for(rosa, "resident@sandbox.test"), is_primary=True
    )
    rosa_residency.doors.set([doors[d] for d in ROSA_DOORS])
    nina_residency = Residency.objects.create(
        user=nina, unit=unit_4c, bmx_tenant_id=129205, link=link_for(nina, "neighbor@sandbox.test"), is_primary=True
    )
    nina_residency.doors.set([doors[d] for d in NINA_DOORS])
    crimson.admin_link = link_for(manager, "admin@sandbox.test", BmxLink.Kind.BUILDING_ADMIN)
    crimson.save(update_fields=["admin_link"])
    Membership.objects.create(user=manager, building=crimson, role="manager")
    Membership.objects.create(user=other_manager, building=lakeshore, role="manager")
    return BmxWorld(
        crimson, lakeshore, unit_4b, unit_4c, doors, rosa, nina, manager, other_manager, rosa_residency, nina_residency
    )
