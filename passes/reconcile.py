"""One truth: a building's passes reconciled with ButterflyMX's keychains.

ButterflyMX owns the keychains; a resident may also delete a pass, or create one, in the ButterflyMX app.
One run per building (Celery beat, ``PASSES_RECONCILE_INTERVAL_S``):

1. note the passes that could still open a door (active, with a keychain, not ended) *before* reading,
   so a pass whose keychain is created during the read is never mistaken for one removed remotely;
2. read the building's live keychains: ``GET /v4/keychains`` with the documented filters
   ``q[building_id_eq]`` and ``q[ends_at_gteq]``, every page, with the building's admin link; a building
   without one is read with its residents' own tenant links (``q[tenant_id_in][]``), and then only
   those residents' passes are judged;
3. a noted pass whose keychain is no longer listed becomes revoked, reason "removed in the ButterflyMX
   app": never deleted, its history stays, and its guest page stops showing the PIN and QR;
4. a listed keychain the portal does not know, whose tenant is a resident of this building (tenant id
   and unit both match the tenancy), becomes a pass of that tenancy, marked "created in the ButterflyMX
   app", with its virtual keys (one ``GET /v4/virtual_keys?q[keychain_id_in][]=`` for all of them).

Idempotent: every write is conditional or guarded by the one-pass-per-keychain constraint, so a
second run changes nothing. A read that fails judges nothing (an outage never revokes a pass).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.butterflymx import BmxError
from portal.butterflymx.client import parse_timestamp
from tenants.models import AccessPoint, BmxLink, Building, Residency
from tenants.services import client_for_link

from .models import Pass, VisitorKey
from .services import pass_usage_totals, passes_changed_announce, visitor_key_fill_from_bmx

logger = logging.getLogger(__name__)

# ButterflyMX keychain type -> the kind the portal shows.
KIND_OF_TYPE = {
    "custom_keychain": Pass.Kind.CUSTOM,
    "one_time_keychain": Pass.Kind.ONE_TIME,
    "recurring_keychain": Pass.Kind.RECURRING,
    "delivery_pass": Pass.Kind.DELIVERY,
}
# Keychains that ended longer ago than this are not read: an ended pass opens nothing, and the list
# stays short. The margin covers small differences between the local and the remote end time.
ENDED_MARGIN = dt.timedelta(hours=1)


def _live_passes(building: Building, now: dt.datetime):
    return Pass.objects.filter(
        building=building, status=Pass.Status.ACTIVE, bmx_keychain_id__isnull=False, ends_at__gt=now
    )


def _read_keychains(building: Building, since: dt.datetime) -> tuple[list[dict], set[int] | None]:
    """The building's keychains ending after ``since``, and the tenant ids the read covers (None: all).

    Raises :class:`BmxError` when nothing could be read.
    """
    admin = building.admin_link
    if admin is not None and admin.is_active:
        client = client_for_link(admin, background=True)
        return client.keychains(building_id_eq=building.bmx_id, ends_at_gteq=since), None
    by_link: dict[int, set[int]] = defaultdict(set)
    for link_id, tenant_id in Residency.objects.filter(
        unit__building=building, is_active=True, bmx_tenant_id__isnull=False, link__status=BmxLink.Status.ACTIVE
    ).values_list("link_id", "bmx_tenant_id"):
        by_link[link_id].add(tenant_id)
    items: list[dict] = []
    covered: set[int] = set()
    failure: BmxError | None = None
    for link_id, tenant_ids in by_link.items():
        try:
            items += client_for_link(link_id, background=True).keychains(
                building_id_eq=building.bmx_id, tenant_id_in=sorted(tenant_ids), ends_at_gteq=since
            )
        except BmxError as exc:  # this resident's passes are not judged this time
            failure = exc
            continue
        covered |= tenant_ids
    if failure is not None and not covered:
        raise failure
    return items, covered


def passes_reconcile(*, building_id: int) -> dict[str, int]:
    """Reconcile one building (see the module docstring). Returns non-zero counters of what changed."""
    counters: Counter = Counter()
    building = Building.objects.select_related("admin_link").get(pk=building_id)
    if building.bmx_id is None or not building.is_active:
        return {}
    now = timezone.now()
    # Step 1: noted before the read (see the module docstring).
    noted = dict(_live_passes(building, now).values_list("bmx_keychain_id", "residency__bmx_tenant_id"))
    try:
        keychains, covered = _read_keychains(building, now - ENDED_MARGIN)
    except BmxError as exc:
        logger.info("reconcile of building %s could not read keychains: %s", building_id, exc.code or exc.status)
        return {"read_failed": 1}
    listed = {k["id"]: k for k in keychains if isinstance(k, dict) and k.get("building_id") in (None, building.bmx_id)}
    # Step 3: removed remotely.
    gone = [kid for kid, tenant in noted.items() if kid not in listed and (covered is None or tenant in covered)]
    if gone:
        counters["revoked_remotely"] += Pass.objects.filter(
            building=building, bmx_keychain_id__in=gone, status=Pass.Status.ACTIVE
        ).update(
            status=Pass.Status.REVOKED,
            revoked_at=now,
            revoked_reason=Pass.RevokedReason.REMOVED_IN_APP,
            updated_at=now,
        )
    # Step 4: created remotely.
    counters["imported"] += _import_unknown(building, listed)
    if counters["revoked_remotely"] or counters["imported"]:
        # Both kinds of change stamp updated_at at or after ``now``: those passes' units refresh their lists.
        changed = Pass.objects.filter(building=building, updated_at__gte=now).values_list("building_id", "unit_id")
        passes_changed_announce(changed)
    return {key: value for key, value in counters.items() if value}


def _import_unknown(building: Building, listed: dict[int, dict]) -> int:
    known = set(Pass.objects.filter(bmx_keychain_id__in=list(listed)).values_list("bmx_keychain_id", flat=True))
    unknown = [k for kid, k in listed.items() if kid not in known and k.get("type") in KIND_OF_TYPE]
    if not unknown:
        return 0
    residencies = {
        r.bmx_tenant_id: r
        for r in Residency.objects.filter(
            unit__building=building, is_active=True, bmx_tenant_id__in={k.get("tenant_id") for k in unknown}
        ).select_related("unit", "link")
    }
    wanted = []
    for item in unknown:
        residency = residencies.get(item.get("tenant_id"))
        # Scope: the keychain's tenant is this tenancy, and its unit (when given) the tenancy's unit.
        if residency is None or item.get("unit_id") not in (None, residency.unit.bmx_id):
            continue
        # A pass being created in the portal right now has no keychain id yet: its keychain is not "unknown".
        in_flight = Pass.objects.filter(
            residency=residency, status=Pass.Status.PENDING, bmx_keychain_id__isnull=True, name=item.get("name") or ""
        ).exists()
        if not in_flight:
            wanted.append((item, residency))
    if not wanted:
        return 0
    admin = building.admin_link if building.admin_link is not None and building.admin_link.is_active else None
    by_reader: dict[int, list[int]] = defaultdict(list)
    for item, residency in wanted:
        reader = admin or (residency.link if residency.link is not None and residency.link.is_active else None)
        if reader is not None:
            by_reader[reader.pk].append(item["id"])
    keys_by_chain: dict[int, list[dict]] = defaultdict(list)
    unread: set[int] = set()
    for link_id, keychain_ids in by_reader.items():
        try:
            for key in client_for_link(link_id, background=True).virtual_keys(keychain_id_in=sorted(keychain_ids)):
                keys_by_chain[key.get("keychain_id")].append(key)
        except BmxError as exc:  # left for the next run, which imports them with their keys
            unread |= set(keychain_ids)
            logger.info("reconcile of building %s could not read keys: %s", building.pk, exc.code or exc.status)
    doors = {d.bmx_id: d for d in AccessPoint.objects.filter(building=building, bmx_id__isnull=False)}
    imported = 0
    for item, residency in wanted:
        if item["id"] in unread:
            continue
        imported += _import_one(building, residency, item, keys_by_chain.get(item["id"], []), doors)
    return imported


def _import_one(building: Building, residency: Residency, item: dict, keys: list[dict], doors: dict) -> bool:
    kind = KIND_OF_TYPE[item["type"]]
    starts_at = parse_timestamp(item.get("starts_at")) or timezone.now()
    fields = {
        "kind": kind,
        "name": (item.get("name") or "Pass")[:120],
        "building": building,
        "unit": residency.unit,
        "residency": residency,
        "link": residency.link if residency.link is not None and residency.link.is_active else None,
        "starts_at": starts_at,
        "ends_at": parse_timestamp(item.get("ends_at")) or starts_at,
        "bmx_keychain_id": item["id"],
        "status": Pass.Status.ACTIVE,
        "origin": Pass.Origin.BMX_APP,
        "usage_refreshed_at": timezone.now(),
    }
    if kind == Pass.Kind.RECURRING:
        fields.update(_recurring_fields(item))
    try:
        with transaction.atomic():
            pass_obj = Pass.objects.create(**fields)
            pass_obj.doors.set([doors[d] for d in item.get("access_point_ids") or [] if d in doors])
            for raw in keys:
                key = VisitorKey(pass_obj=pass_obj)
                key.set_share_token()
                visitor_key_fill_from_bmx(key, raw)
                key.save()
            Pass.objects.filter(pk=pass_obj.pk).update(**pass_usage_totals(list(pass_obj.keys.all())))
    except IntegrityError:  # another run (or the portal) took this keychain meanwhile
        return False
    return True


def _recurring_fields(item: dict) -> dict:
    out: dict = {"weekdays": [d for d in item.get("weekdays") or [] if isinstance(d, str)]}
    try:
        out["start_date"] = dt.date.fromisoformat(item["start_date"]) if item.get("start_date") else None
        out["end_date"] = dt.date.fromisoformat(item["end_date"]) if item.get("end_date") else None
        out["time_from"] = dt.time.fromisoformat(item["time_from"]) if item.get("time_from") else None
        out["time_to"] = dt.time.fromisoformat(item["time_to"]) if item.get("time_to") else None
    except (TypeError, ValueError):  # shown without its daily window rather than not at all
        return {"weekdays": out["weekdays"]}
    return out


def buildings_to_reconcile() -> list[int]:
    """Buildings the reconcile can read: connected, or with a resident whose link works."""
    return list(
        Building.objects.filter(is_active=True, bmx_id__isnull=False)
        .filter(
            Q(admin_link__status=BmxLink.Status.ACTIVE)
            | Q(units__residencies__is_active=True, units__residencies__link__status=BmxLink.Status.ACTIVE)
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
