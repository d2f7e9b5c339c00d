"""Storing door hours read from ButterflyMX, so that no page view asks ButterflyMX about them.

Two schedules, as the document tells them apart (contract §4.4):

- a door's **open hours** (``open_hours`` on each access point of ``GET /v4/access_points``): when the
  door stands unlocked for everyone. They come free with the door list the roster sync reads anyway
  (:mod:`tenants.roster`), and with a resident's own door list for a building no admin has connected;
- a resident's **usable hours** at each of their doors (``GET /v4/access_points/{id}/schedules``, "times
  during which this access point can be used by current user"): only the resident's own token can ask
  this, so it is read with their doors (:func:`tenants.services.residency_doors_refresh`: at linking, on
  the roster cycle and on the resident's rate-limited "Refresh"), one request per door of theirs, and
  kept on the :class:`~tenants.models.Residency`.

What they mean at a moment is :mod:`tenants.door_hours`' business. Both are written only when they
changed, so a second run writes nothing. A failed read keeps what was stored (hours that were true an
hour ago beat none) and never fails the door refresh it rides on.
"""

from __future__ import annotations

import logging

from portal.butterflymx import BmxClient, BmxError

from . import door_hours
from .models import AccessPoint, Residency

logger = logging.getLogger(__name__)


def open_hours_from_tenant_list(residencies: list[Residency], raw_doors: list[dict]) -> int:
    """Open hours of doors whose building has no working admin link, from a resident's own door list
    (with an admin link, the roster sync's list is the one truth, so two readers never flap). Returns
    how many doors changed."""
    changed = 0
    for residency in residencies:
        building = residency.unit.building
        if building.admin_link is not None and building.admin_link.is_active:
            continue
        for raw in raw_doors:
            if raw.get("building_id") != building.bmx_id or raw.get("id") is None:
                continue
            wanted = door_hours.normalized(raw.get("open_hours"))
            changed += (
                AccessPoint.objects.filter(building=building, bmx_id=raw["id"])
                .exclude(open_hours=wanted)
                .update(open_hours=wanted)
            )
    return changed


def schedules_read(client: BmxClient, raw_doors: list[dict]) -> dict[str, list[dict]]:
    """The token's own usable hours at each of ``raw_doors`` (its own door list), by door id as a string.
    Reads only (a link reads everything before its first write); a door whose read failed is left out,
    so what was stored for it stays."""
    read: dict[str, list[dict]] = {}
    for raw in raw_doors:
        if not isinstance(raw, dict) or raw.get("id") is None:
            continue
        try:
            read[str(raw["id"])] = door_hours.normalized(client.access_point_schedules(raw["id"]))
        except BmxError as exc:  # keep what was stored for this door
            logger.info("schedules of door %s not read: HTTP %s %s", raw["id"], exc.status, exc.code)
    return read


def schedules_store(residencies: list[Residency], raw_doors: list[dict], read: dict[str, list[dict]]) -> set[int]:
    """Store ``read`` (:func:`schedules_read`) on each of ``residencies`` (the tenancies of that account),
    for the doors of its building, where it changed. Returns the ids of the residencies that changed."""
    by_building: dict[int | None, set[str]] = {}
    for raw in raw_doors:
        if isinstance(raw, dict) and raw.get("id") is not None:
            by_building.setdefault(raw.get("building_id"), set()).add(str(raw["id"]))
    changed: set[int] = set()
    for residency in residencies:
        mine = by_building.get(residency.unit.building.bmx_id, set())
        wanted = {door: read.get(door, residency.door_schedules.get(door, [])) for door in sorted(mine)}
        if wanted != residency.door_schedules:
            residency.door_schedules = wanted
            residency.save(update_fields=["door_schedules"])
            changed.add(residency.pk)
    return changed


def residency_schedules_refresh(client: BmxClient, residencies: list[Residency], raw_doors: list[dict]) -> set[int]:
    """Read the resident's usable hours at each of ``raw_doors`` with their own ``client`` and store them
    on ``residencies``; the ids of the residencies that changed."""
    return schedules_store(residencies, raw_doors, schedules_read(client, raw_doors))
