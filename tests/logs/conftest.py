"""A connected building from the sandbox's demo portfolio: Crimson Tower with its admin link.

The rows are made here from the sandbox's own answers (``/_sandbox/state``), with the bmx_ids of the
seed, as the roster sync makes them (``tests/dashboard/conftest.py`` ``build_crimson`` runs the sync
itself; the log tests keep to these rows so that they fail for their own reasons). The admin token
is a real one from the sandbox's password grant.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.butterflymx import oauth
from tenants.models import AccessPoint, BmxLink, Building, Device, Membership, Unit
from tests import factories as f

CRIMSON = 11743


@dataclass
class Connected:
    building: Building
    manager: object
    link: BmxLink
    token: str
    units: dict[int, Unit]
    doors: dict[int, AccessPoint]


def connect_building(sandbox, bmx_id: int = CRIMSON, *, email: str = "admin@sandbox.test") -> Connected:
    tokens = oauth.password_grant(email, "sandbox-pass")
    manager = f.UserFactory(email=f"manager-{bmx_id}@example.test")
    link = BmxLink.objects.create(
        user=manager,
        kind=BmxLink.Kind.BUILDING_ADMIN,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        scope=tokens.scope,
    )
    state = sandbox.state()
    remote = next(b for b in state["buildings"] if int(b["id"]) == bmx_id)
    building = Building.objects.create(
        bmx_id=bmx_id, name=remote.get("name", f"Building {bmx_id}"), time_zone=_zone(remote), admin_link=link
    )
    units = {
        int(u["id"]): Unit.objects.create(building=building, bmx_id=int(u["id"]), label=u["label"])
        for u in state["units"]
        if int(u.get("building_id") or 0) == bmx_id
    }
    doors = {
        int(a["id"]): AccessPoint.objects.create(building=building, bmx_id=int(a["id"]), name=a["name"])
        for a in state["access_points"]
        if int(a.get("building_id") or 0) == bmx_id
    }
    for d in state["devices"]:
        if int(d.get("building_id") or 0) == bmx_id:
            Device.objects.create(building=building, bmx_id=int(d["id"]), name=d["name"])
    Membership.objects.create(user=manager, building=building, role="manager")
    return Connected(building, manager, link, tokens.access_token, units, doors)


def _zone(remote: dict) -> str:
    return remote.get("time_zone") or "America/New_York"


@pytest.fixture
def crimson(sandbox) -> Connected:
    return connect_building(sandbox)


def remote_ids(sandbox, token: str, bmx_id: int, stream: str) -> list[int]:
    """Every id ButterflyMX (the sandbox) holds for the building's stream, walking its pages."""
    path = f"/v4/buildings/{bmx_id}/{'access_logs' if stream == 'access' else 'calls'}"
    ids: list[int] = []
    page = 1
    while page:
        body = sandbox.api("GET", path, token, params={"page": page, "per": 100}).json()
        ids.extend(int(item["id"]) for item in body["data"])
        page = body["page_info"]["next_page"]
    return ids
