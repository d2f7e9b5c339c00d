"""The roster sync: a building-admin link's buildings, units, doors, devices and tenants, mirrored.

Idempotent: a row is written only when a value differs, so a second run in a row writes nothing and
reports all-zero counters. What disappears at ButterflyMX is marked inactive, never deleted (passes,
logs and audits keep pointing at it). Progress is stored on a :class:`RosterSync` row that the building
page polls.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from functools import partial

from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from portal.butterflymx import BmxError

from . import door_hours
from .models import AccessPoint, BmxLink, Building, Device, Membership, Role, RosterSync, TenantRecord, Unit
from .services import (
    building_upsert,
    buildings_administered,
    client_for_link,
    residency_doors_refresh,
    roster_sync_start,
)

logger = logging.getLogger(__name__)


def roster_sync_all() -> int:
    """Beat: queue a sync for every working building-admin link. Returns how many were queued."""
    links = BmxLink.objects.filter(kind=BmxLink.Kind.BUILDING_ADMIN, status=BmxLink.Status.ACTIVE)
    return sum(1 for link in links if roster_sync_start(link=link).status == RosterSync.Status.QUEUED)


# The sync's progress and failure are stored in English (``RosterSync.step``/``error``) and translated
# where shown (:func:`sync_texts`): the texts below are marked for the catalogs, not translated here.
STEP_START = gettext_noop("Reading buildings")
STEP_DONE = gettext_noop("Done")
PHASE_BUILDING = gettext_noop("building and capabilities")
PHASE_UNITS = gettext_noop("units")
PHASE_DOORS = gettext_noop("doors")
PHASE_DEVICES = gettext_noop("devices")
PHASE_TENANTS = gettext_noop("tenants")
CRASHED = gettext_noop("The sync stopped on an unexpected error.")
STEP_SEPARATOR = ": "

# What the counters count (``RosterSync.counters``' keys), as shown on the building page.
COUNTER_LABELS = {
    "buildings_created": gettext_lazy("buildings created"),
    "buildings_updated": gettext_lazy("buildings updated"),
    "buildings_deactivated": gettext_lazy("buildings deactivated"),
    "buildings_not_administered": gettext_lazy("buildings not administered"),
    "units_created": gettext_lazy("units created"),
    "units_updated": gettext_lazy("units updated"),
    "units_deactivated": gettext_lazy("units deactivated"),
    "doors_created": gettext_lazy("doors created"),
    "doors_updated": gettext_lazy("doors updated"),
    "doors_deactivated": gettext_lazy("doors deactivated"),
    "devices_created": gettext_lazy("devices created"),
    "devices_updated": gettext_lazy("devices updated"),
    "devices_deactivated": gettext_lazy("devices deactivated"),
    "tenants_created": gettext_lazy("tenants created"),
    "tenants_updated": gettext_lazy("tenants updated"),
    "tenants_deactivated": gettext_lazy("tenants deactivated"),
    "device_doors_updated": gettext_lazy("device doors updated"),
    "resident_doors_updated": gettext_lazy("residents' doors updated"),
    "resident_doors_unread": gettext_lazy("residents' doors not read"),
    "admin_links_set": gettext_lazy("admin links set"),
    "managers_granted": gettext_lazy("managers granted"),
}


def _step(building_name: str, phase: str) -> str:
    return f"{building_name}{STEP_SEPARATOR}{phase}"


def sync_texts(sync: RosterSync | None) -> dict:
    """The sync's step, error and counters in the reader's language (stored in English, see above)."""
    if sync is None:
        return {}
    name, sep, phase = sync.step.rpartition(STEP_SEPARATOR)
    step = _("%(building)s: %(step)s") % {"building": name, "step": _(phase)} if sep else _(sync.step)
    counters = [
        (COUNTER_LABELS.get(key, key.replace("_", " ")), value) for key, value in sorted(sync.counters.items()) if value
    ]
    # A ButterflyMX failure is stored as the client's own text: gettext leaves it as it is.
    return {"step": step, "error": _(sync.error) if sync.error else "", "counters": counters}


# Told about each building a sync connects (gives a working admin link), once that write is made.
OnConnected = Callable[[Building], None]


def roster_sync_run(*, sync_id: int, on_building_connected: OnConnected | None = None) -> RosterSync:
    """Run one queued sync. Claimed with a conditional UPDATE, so a duplicate delivery does nothing.

    ``on_building_connected`` is called for each building this sync newly connects: what follows a
    connection is another app's business (the logs' webhooks and backfill), so the caller that knows
    both passes it (:func:`portal.building_connections.roster_sync_and_connect`, what the task runs).
    """
    claimed = RosterSync.objects.filter(pk=sync_id, status=RosterSync.Status.QUEUED).update(
        status=RosterSync.Status.RUNNING, started_at=timezone.now(), step=STEP_START
    )
    sync = RosterSync.objects.select_related("link", "link__user").get(pk=sync_id)
    if not claimed:
        return sync
    counters: Counter = Counter()
    try:
        _run(sync, counters, on_building_connected)
    except BmxError as exc:
        logger.warning("roster sync %s failed: HTTP %s %s", sync_id, exc.status, exc.code)
        _finish(sync, counters, RosterSync.Status.FAILED, exc.human_message)
    except Exception:
        logger.exception("roster sync %s crashed", sync_id)
        _finish(sync, counters, RosterSync.Status.FAILED, CRASHED)
        raise
    else:
        _finish(sync, counters, RosterSync.Status.DONE, "")
    return sync


def _finish(sync: RosterSync, counters: Counter, status: str, error: str) -> None:
    sync.status, sync.error, sync.counters = status, error, _nonzero(counters)
    sync.finished_at = timezone.now()
    if status == RosterSync.Status.DONE:
        sync.progress, sync.step = 100, STEP_DONE
    sync.save(update_fields=["status", "error", "counters", "finished_at", "progress", "step"])


def _nonzero(counters: Counter) -> dict[str, int]:
    return {key: value for key, value in counters.items() if value}


def _progress(sync: RosterSync, done: int, total: int, step: str, counters: Counter) -> None:
    sync.progress = min(99, int(100 * done / max(total, 1)))
    sync.step, sync.counters = step, _nonzero(counters)
    sync.save(update_fields=["progress", "step", "counters"])


def _run(sync: RosterSync, counters: Counter, on_building_connected: OnConnected | None) -> None:
    link = sync.link
    client = client_for_link(link, background=True)
    decision = buildings_administered(client=client)
    managed = decision.managed
    # Buildings the account sees but may not administer (401, 403 or 404 to the admin-only read): not
    # mirrored, and counted so the sync status says so.
    counters["buildings_not_administered"] = len(decision.refused)
    steps_per_building = 5
    total = max(1, len(managed) * steps_per_building)
    done = 0
    seen_buildings: list[int] = []
    for raw in managed:
        name = raw.get("name") or f"Building {raw['id']}"
        _progress(sync, done, total, _step(name, PHASE_BUILDING), counters)
        capabilities = client.building_capabilities(raw["id"]) or {}
        existed = Building.objects.filter(bmx_id=raw["id"]).first()
        before = _snapshot(existed, ["name", "time_zone", "address", "capabilities", "is_active"])
        building = building_upsert(
            bmx_id=raw["id"],
            name=name,
            time_zone=raw.get("time_zone"),
            address=_address(raw.get("address")),
            capabilities=capabilities,
        )
        _count(counters, "buildings", existed is None, before != _snapshot(building, list(before or {})))
        if _attach(building, link, counters) and on_building_connected is not None:
            on_building_connected(building)
        seen_buildings.append(building.pk)
        done += 1

        _progress(sync, done, total, _step(name, PHASE_UNITS), counters)
        units = _mirror(Unit, building, client.units(raw["id"]), counters, "units", _unit_fields)
        done += 1
        _progress(sync, done, total, _step(name, PHASE_DOORS), counters)
        raw_doors = {d["id"]: d for d in client.access_points(raw["id"])}
        doors = _mirror(AccessPoint, building, list(raw_doors.values()), counters, "doors", _door_fields)
        done += 1
        _progress(sync, done, total, _step(name, PHASE_DEVICES), counters)
        devices = _mirror(Device, building, client.devices(raw["id"]), counters, "devices", _device_fields)
        _device_doors(devices, doors, raw_doors, counters)
        done += 1
        _progress(sync, done, total, _step(name, PHASE_TENANTS), counters)
        _mirror(
            TenantRecord,
            building,
            client.tenants(raw["id"]),
            counters,
            "tenants",
            partial(_tenant_fields, units=units),
        )
        done += 1
    _residents_doors(seen_buildings, counters)
    # Buildings this link used to manage that ButterflyMX no longer lists for it.
    vanished = Building.objects.filter(admin_link=link, is_active=True).exclude(pk__in=seen_buildings)
    counters["buildings_deactivated"] += vanished.update(is_active=False)


def _residents_doors(building_ids: list[int], counters: Counter) -> None:
    """The roster cycle also refreshes residents' doors: each linked resident's own token says which
    doors their tenancy opens. One resident's failing link never fails the building's roster."""
    links = BmxLink.objects.filter(
        kind=BmxLink.Kind.TENANT,
        status=BmxLink.Status.ACTIVE,
        residencies__is_active=True,
        residencies__unit__building__in=building_ids,
    ).distinct()
    for link in links:
        try:
            counters["resident_doors_updated"] += residency_doors_refresh(link=link, background=True)
        except BmxError as exc:
            counters["resident_doors_unread"] += 1
            logger.info("doors of tenant link %s not refreshed: HTTP %s %s", link.pk, exc.status, exc.code)


def _address(value) -> str:
    if isinstance(value, dict):
        parts = [value.get("address"), value.get("city"), value.get("state"), value.get("zip_code")]
        return ", ".join(str(p) for p in parts if p)
    return str(value or "")


def _snapshot(obj, fields: list[str]) -> dict | None:
    return None if obj is None else {f: getattr(obj, f) for f in fields}


def _count(counters: Counter, noun: str, created: bool, changed: bool) -> None:
    if created:
        counters[f"{noun}_created"] += 1
    elif changed:
        counters[f"{noun}_updated"] += 1


def _attach(building: Building, link: BmxLink, counters: Counter) -> bool:
    """Make ``link`` the building's admin link when it has none that works, and give the person who
    connected it the manager role when the building has no portal manager yet (the first building
    admin to connect claims it; later managers are granted by an operator or that manager).

    True when the building was newly connected (it had no working admin link before)."""
    connected = False
    if building.admin_link_id != link.pk and (building.admin_link is None or not building.admin_link.is_active):
        building.admin_link = link
        building.save(update_fields=["admin_link", "updated_at"])
        counters["admin_links_set"] += 1
        connected = True
    if not Membership.objects.filter(building=building, role=Role.MANAGER).exists():
        _, created = Membership.objects.get_or_create(
            user=link.user, building=building, defaults={"role": Role.MANAGER}
        )
        if created:
            counters["managers_granted"] += 1
    return connected


def _mirror(model: type[Model], building: Building, items: list[dict], counters: Counter, noun: str, fields) -> dict:
    """Upsert ``items`` as rows of ``model`` keyed by (building, bmx_id); deactivate the rest.

    Returns ``{bmx_id: row}`` of what ButterflyMX listed.
    """
    existing = {row.bmx_id: row for row in model.objects.filter(building=building, bmx_id__isnull=False)}
    rows = {}
    for item in items:
        wanted = {**fields(item), "is_active": True}
        row = existing.get(item["id"])
        if row is None:
            row = model.objects.create(building=building, bmx_id=item["id"], **wanted)
            counters[f"{noun}_created"] += 1
        else:
            changed = [k for k, v in wanted.items() if getattr(row, k) != v]
            if changed:
                for key in changed:
                    setattr(row, key, wanted[key])
                row.save(update_fields=changed)
                counters[f"{noun}_updated"] += 1
        rows[item["id"]] = row
    gone = model.objects.filter(building=building, bmx_id__isnull=False, is_active=True).exclude(
        Q(bmx_id__in=list(rows))
    )
    counters[f"{noun}_deactivated"] += gone.update(is_active=False)
    return rows


def _unit_fields(item: dict) -> dict:
    return {"label": item.get("label") or "?", "floor": item.get("floor") or ""}


def unit_mirror(*, building: Building, item: dict) -> Unit:
    """Mirror one unit as ButterflyMX just answered it (a manager added or renamed it in the portal), the
    same fields as the sync writes, so the next sync finds nothing to change."""
    unit, _ = Unit.objects.update_or_create(
        building=building, bmx_id=item["id"], defaults={**_unit_fields(item), "is_active": True}
    )
    return unit


def _door_fields(item: dict) -> dict:
    # Open hours come with the door (no request of their own); normalized, so an unchanged schedule
    # compares equal and a second run writes nothing.
    return {
        "name": item.get("name") or f"Door {item['id']}",
        "open_hours": door_hours.normalized(item.get("open_hours")),
    }


def _device_fields(item: dict) -> dict:
    return {"name": item.get("name") or f"Device {item['id']}", "kind": item.get("type") or ""}


def _tenant_fields(item: dict, units: dict) -> dict:
    unit = units.get((item.get("unit") or {}).get("id"))
    return {
        "unit": unit,
        "first_name": item.get("first_name") or "",
        "last_name": item.get("last_name") or "",
        "email": item.get("email") or "",
        "registration_status": item.get("registration_status") or "",
        # notification_preference may be null (contract notes, 4.3): no preference is no "do not disturb".
        "do_not_disturb": bool((item.get("notification_preference") or {}).get("do_not_disturb")),
    }


def _device_doors(devices: dict, doors: dict, raw_doors: dict, counters: Counter) -> None:
    """A device's doors come from each access point's ``device_ids``; set only when they differ."""
    wanted: dict[int, set[int]] = {bmx_id: set() for bmx_id in devices}
    for door_id, raw in raw_doors.items():
        for device_id in raw.get("device_ids") or []:
            if device_id in wanted and door_id in doors:
                wanted[device_id].add(doors[door_id].pk)
    for bmx_id, device in devices.items():
        current = set(device.access_points.values_list("pk", flat=True))
        if current != wanted[bmx_id]:
            device.access_points.set(wanted[bmx_id])
            counters["device_doors_updated"] += 1
