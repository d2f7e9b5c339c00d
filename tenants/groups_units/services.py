"""Units and access-group members, changed at ButterflyMX by a building's manager.

ButterflyMX is the truth. Every change is one documented write with the building's admin link (contract
§4.2, §4.9), and the portal's copies follow at once from what ButterflyMX answered: a unit added or renamed
is mirrored like the roster sync mirrors it (:func:`tenants.roster.unit_mirror`), a removed one is marked
inactive (never deleted: passes and logs keep pointing at it), and the doors of every linked resident a
group change concerns are re-read with their own token (:func:`tenants.services.residency_doors_refresh`:
``GET /v4/access_points`` lists exactly the doors their tenancy opens), so what they see on My doors and
what their passes may open follow. A refused write changes nothing here.

What the document does not offer, the portal does not fake: v4 has no operation to create, rename or
delete an access group, and a group's item lists its members (``tenants_ids``, ``units_ids``) but not
its doors. The pages say so.

Every change is counted against the manager's limit (``SETUP_CHANGES_LIMIT`` per
``SETUP_CHANGES_WINDOW_S``) and written to this module's log by :func:`_audit` (who did what, where, to
which ButterflyMX record), like ``tenants.people`` does for people.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.butterflymx import BmxClient, BmxError
from portal.butterflymx.client import parse_timestamp
from portal.core.limits import rate_hit, retry_after

from ..limits import LimitReached, in_words
from ..models import BmxLink, Building, Residency, TenantRecord, Unit
from ..roster import unit_mirror
from ..services import client_for_link, residency_doors_refresh

logger = logging.getLogger(__name__)

NOT_CONNECTED = gettext_lazy(
    "This building has no working ButterflyMX building-admin link, so nothing can be changed at ButterflyMX. "
    "Connect (or re-link) the building-admin account on the Buildings page first."
)
TENANTS, UNITS = "tenants", "units"
INT64_MAX = 2**63 - 1


class SetupError(Exception):
    """A change refused by the portal's rules or by ButterflyMX; ``message`` is for people and ``field``
    names the form field it concerns (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class GroupNotFound(Exception):
    """No such access group in this building (or none ButterflyMX shows the building's admin): a 404."""


def _audit(action: str, *, actor, building: Building, subject: str, **detail) -> None:
    """One line per change: the action, who made it, at which building, to which ButterflyMX record."""
    extra = "".join(f" {key}={value}" for key, value in detail.items())
    logger.info(
        "setup %s by user=%s building=%s subject=%s%s", action, getattr(actor, "pk", None), building.pk, subject, extra
    )


def is_connected(building: Building) -> bool:
    link = building.admin_link
    return building.bmx_id is not None and link is not None and link.is_active


def _admin_client(building: Building) -> tuple[BmxClient, int]:
    """A client on the building's admin link, and the building's ButterflyMX id."""
    link = building.admin_link
    if building.bmx_id is None or link is None or not link.is_active:
        raise SetupError(str(NOT_CONNECTED))
    return client_for_link(link), building.bmx_id


def _unit_id(unit: Unit) -> int:
    if unit.bmx_id is None:  # the pages offer only units mirrored from ButterflyMX
        raise SetupError(_("This unit is not one of ButterflyMX's: the portal cannot change it there."))
    return unit.bmx_id


def change_claim(*, user, now: datetime | None = None) -> None:
    """Count one change by ``user``; raises :class:`LimitReached` past ``SETUP_CHANGES_LIMIT`` per
    ``SETUP_CHANGES_WINDOW_S`` (nothing is counted then)."""
    now = now or timezone.now()
    window = int(settings.SETUP_CHANGES_WINDOW_S)
    with transaction.atomic():
        allowed = rate_hit(key=f"setup:u:{user.pk}", limit=int(settings.SETUP_CHANGES_LIMIT), window_s=window, now=now)
    if not allowed:
        wait = retry_after(window_s=window, now=now)
        raise LimitReached(
            _("You made many changes in a short time; to protect ButterflyMX, try again %(when)s. Nothing was changed.")
            % {"when": in_words(wait)},
            wait,
        )


def _refusal(exc: BmxError, fields: dict[str, str]) -> SetupError:
    """ButterflyMX's refusal as a message a person can act on, on the form field it concerns."""
    if exc.status == 422 and exc.errors:
        first = exc.errors[0]
        name = fields.get(first.field)
        if first.code == "taken" and name == "label":
            return SetupError(_("Another unit of this building already has that label. Choose another one."), "label")
        if first.code == "blank" and name:
            return SetupError(_("This field is required."), name)
        return SetupError(_("ButterflyMX refused it: %(why)s") % {"why": exc.human_message}, name)
    if exc.status == 404:
        return SetupError(_("ButterflyMX no longer has that record: run a roster sync to see the building as it is."))
    return SetupError(_("Nothing was changed: %(why)s") % {"why": exc.human_message})


# --- Units -------------------------------------------------------------------------------------------

UNIT_FIELDS = {"label": "label", "floor_id": "floor", "floor": "floor"}


@dataclass
class UnitRow:
    unit: Unit
    tenants: int  # tenants the roster last saw in the unit


def units_of(building: Building) -> list[UnitRow]:
    """The building's units as mirrored from ButterflyMX (active, with an id there), by label, with the
    number of tenants the roster last saw in each."""
    units = (
        Unit.objects.filter(building=building, is_active=True, bmx_id__isnull=False)
        .annotate(tenants=Count("tenant_records", filter=Q(tenant_records__is_active=True)))
        .order_by("label", "pk")
    )
    return [UnitRow(unit=u, tenants=u.tenants) for u in units]


def unit_create(*, building: Building, label: str, floor: str, actor) -> Unit:
    """Add a unit at ButterflyMX (``POST /v4/buildings/{id}/units``) and mirror it."""
    client, building_id = _admin_client(building)
    change_claim(user=actor)
    try:
        raw = client.create_unit(building_id, label=label, floor=floor)
    except BmxError as exc:
        raise _refusal(exc, UNIT_FIELDS) from exc
    unit = unit_mirror(building=building, item=raw)
    _audit("unit_create", actor=actor, building=building, subject=f"unit:{unit.bmx_id}", label=unit.label)
    return unit


def unit_update(*, unit: Unit, label: str, floor: str, actor) -> Unit:
    """Rename a unit, or move it to another floor, at ButterflyMX (``PUT``, only what changed) and mirror it."""
    building = unit.building
    client, building_id = _admin_client(building)
    unit_id = _unit_id(unit)
    changed = {k: v for k, v in {"label": label, "floor": floor}.items() if v != getattr(unit, k)}
    if not changed:
        return unit
    change_claim(user=actor)
    try:
        raw = client.update_unit(building_id, unit_id, **changed)
    except BmxError as exc:
        raise _refusal(exc, UNIT_FIELDS) from exc
    before = unit.label
    unit = unit_mirror(building=building, item=raw)
    _audit("unit_update", actor=actor, building=building, subject=f"unit:{unit.bmx_id}", was=before, label=unit.label)
    return unit


def _still_living(tenant: dict, now: datetime) -> bool:
    """A tenant ButterflyMX lists who has not moved out (``inactive_after`` unset or still ahead)."""
    ends = parse_timestamp(tenant.get("inactive_after"))
    return ends is None or ends > now


def unit_remove(*, unit: Unit, actor) -> None:
    """Remove a unit at ButterflyMX (``DELETE /v4/buildings/{id}/units/{unit}``) and deactivate its mirror.

    Refused while ButterflyMX still lists anyone living there. The document declares no refusal for this
    delete (204 or 401) and does not say what becomes of a removed unit's tenants, their PINs, fobs and
    passes; so the portal asks ButterflyMX first (``GET /v4/tenants?q[unit_id_eq]=``, the truth, not the
    roster's copy) and removes only an empty unit: residents are moved out first, on purpose.
    """
    building = unit.building
    client, building_id = _admin_client(building)
    unit_id = _unit_id(unit)
    try:
        living = [t for t in client.unit_tenants(unit_id) if _still_living(t, timezone.now())]
    except BmxError as exc:
        raise _refusal(exc, UNIT_FIELDS) from exc
    if living:
        names = ", ".join(_tenant_name(t) for t in living[:3]) + (_(" and others") if len(living) > 3 else "")
        raise SetupError(
            ngettext(
                "Unit %(label)s was not removed: ButterflyMX still lists %(n)s resident living there (%(names)s). "
                "Move them out first, then remove the unit.",
                "Unit %(label)s was not removed: ButterflyMX still lists %(n)s residents living there (%(names)s). "
                "Move them out first, then remove the unit.",
                len(living),
            )
            % {"label": unit.label, "n": len(living), "names": names}
        )
    change_claim(user=actor)
    try:
        client.delete_unit(building_id, unit_id)
    except BmxError as exc:
        if exc.status != 404:  # a 404: already gone at ButterflyMX, so the mirror follows all the same
            raise _refusal(exc, UNIT_FIELDS) from exc
    Unit.objects.filter(pk=unit.pk).update(is_active=False)
    unit.is_active = False
    _audit("unit_remove", actor=actor, building=building, subject=f"unit:{unit.bmx_id}", label=unit.label)


def _tenant_name(raw: dict) -> str:
    name = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    return name or raw.get("email") or f"tenant {raw.get('id')}"


# --- Access groups -------------------------------------------------------------------------------------


@dataclass
class TenantMember:
    bmx_id: int
    record: TenantRecord | None  # None: a tenant the roster has not mirrored (yet)
    doors: list[str] | None  # their doors as their own ButterflyMX account lists them; None: not linked

    @property
    def name(self) -> str:
        return str(self.record) if self.record is not None else _("Tenant %(id)s") % {"id": self.bmx_id}


@dataclass
class UnitMember:
    bmx_id: int
    unit: Unit | None

    @property
    def name(self) -> str:
        return self.unit.label if self.unit is not None else _("Unit %(id)s") % {"id": self.bmx_id}


@dataclass
class Group:
    bmx_id: int
    name: str
    tenant_ids: list[int]
    unit_ids: list[int]
    tenants: list[TenantMember] = field(default_factory=list)
    units: list[UnitMember] = field(default_factory=list)


def _ids(value) -> list[int]:
    return [int(i) for i in value or [] if isinstance(i, int) and not isinstance(i, bool)]


def _group(raw: dict) -> Group:
    return Group(
        bmx_id=int(raw["id"]),
        name=str(raw.get("name") or _("Group %(id)s") % {"id": raw["id"]}),
        # the document's keys are plural-plural: tenants_ids, units_ids (contract §4.9)
        tenant_ids=_ids(raw.get("tenants_ids")),
        unit_ids=_ids(raw.get("units_ids")),
    )


def groups_of(building: Building) -> list[Group]:
    """The building's access groups as ButterflyMX lists them now (``GET /v4/access_groups``), by name."""
    client, building_id = _admin_client(building)
    raw = client.access_groups(building_id)
    groups = [_group(g) for g in raw if g.get("building_id") == building_id and g.get("id") is not None]
    return sorted(groups, key=lambda g: (g.name.lower(), g.bmx_id))


def group_of(building: Building, group_id: int) -> Group:
    """One access group of the building with its members named from the portal's roster copy.

    :class:`GroupNotFound` when ButterflyMX has no such group or it belongs to another building.
    """
    if not 0 < group_id <= INT64_MAX:
        raise GroupNotFound
    try:
        client, building_id = _admin_client(building)
        raw = client.access_group(group_id)
    except BmxError as exc:
        if exc.status in (403, 404):
            raise GroupNotFound from exc
        raise
    if not raw or raw.get("building_id") != building_id:
        raise GroupNotFound
    group = _group(raw)
    records = {r.bmx_id: r for r in TenantRecord.objects.filter(building=building, bmx_id__in=group.tenant_ids)}
    doors = _linked_doors(building, group.tenant_ids)
    group.tenants = sorted(
        (TenantMember(bmx_id=i, record=records.get(i), doors=doors.get(i)) for i in group.tenant_ids),
        key=lambda m: (m.record is None, m.name.lower()),
    )
    units = {u.bmx_id: u for u in Unit.objects.filter(building=building, bmx_id__in=group.unit_ids) if u.bmx_id}
    group.units = sorted((UnitMember(bmx_id=i, unit=units.get(i)) for i in group.unit_ids), key=lambda m: m.name)
    return group


def _linked_doors(building: Building, tenant_ids: list[int]) -> dict[int, list[str]]:
    """For tenants with a linked portal account: the doors their own ButterflyMX account lists (as last
    read), by tenant id. The only way v4 tells which doors someone's groups open."""
    residencies = (
        Residency.objects.filter(
            unit__building=building,
            bmx_tenant_id__in=tenant_ids,
            is_active=True,
            link__status=BmxLink.Status.ACTIVE,
            link__kind=BmxLink.Kind.TENANT,
        )
        .prefetch_related("doors")
        .order_by("pk")
    )
    return {r.bmx_tenant_id: sorted(d.name for d in r.doors.all()) for r in residencies if r.bmx_tenant_id}


def member_choices(building: Building, group: Group) -> dict[str, list[tuple[int, str]]]:
    """Who can be added: the building's tenants and units (as mirrored) not yet in the group."""
    tenants = [
        (r.bmx_id, f"{r} ({r.unit.label})" if r.unit else str(r))
        for r in TenantRecord.objects.filter(building=building, is_active=True)
        .exclude(bmx_id__in=group.tenant_ids)
        .select_related("unit")
    ]
    units = [
        (u.bmx_id, u.label)
        for u in Unit.objects.filter(building=building, is_active=True, bmx_id__isnull=False)
        .exclude(bmx_id__in=group.unit_ids)
        .order_by("label")
    ]
    return {TENANTS: tenants, UNITS: units}


@dataclass
class MembersChanged:
    name: str  # who or what was put in or taken out
    doors_refreshed: int = 0  # linked residents whose doors changed after the re-read
    doors_unread: int = 0  # linked residents whose doors could not be re-read now (the roster cycle will)


def group_members_change(
    *, building: Building, group_id: int, kind: str, bmx_id: int, add: bool, actor
) -> MembersChanged:
    """Put a tenant or a unit in (``add``) or out of an access group at ButterflyMX, then re-read the doors
    of the linked residents it concerns (a unit: everyone living there).

    Only the building's own tenants and units can be added (as the roster mirrors them); one already in
    the group, or not in it when removing, is refused with a message, nothing sent.
    """
    if kind not in (TENANTS, UNITS):
        raise SetupError(_("Choose a tenant or a unit."))
    group = group_of(building, group_id)
    present = group.tenant_ids if kind == TENANTS else group.unit_ids
    if kind == TENANTS:
        record = TenantRecord.objects.filter(building=building, bmx_id=bmx_id).select_related("unit").first()
        name = str(record) if record is not None else _("Tenant %(id)s") % {"id": bmx_id}
        known = record is not None and record.is_active
    else:
        unit = Unit.objects.filter(building=building, bmx_id=bmx_id).first()
        name = _("Unit %(id)s") % {"id": unit.label if unit is not None else bmx_id}
        known = unit is not None and unit.is_active
    if add and not known:
        raise SetupError(_("Choose one of this building's tenants or units."), "member")
    if add and bmx_id in present:
        raise SetupError(_("%(name)s is already in %(group)s.") % {"name": name, "group": group.name}, "member")
    if not add and bmx_id not in present:
        raise SetupError(_("%(name)s is not in %(group)s.") % {"name": name, "group": group.name}, "member")
    client, _building_id = _admin_client(building)
    change_claim(user=actor)
    try:
        client.access_group_members(group.bmx_id, kind=kind, ids=[bmx_id], add=add)
    except BmxError as exc:
        if exc.status == 422:
            why = {"name": name, "group": group.name, "why": exc.human_message}
            raise SetupError(_("ButterflyMX did not accept %(name)s for %(group)s: %(why)s") % why) from exc
        raise _refusal(exc, {}) from exc
    _audit(
        "group_add" if add else "group_remove",
        actor=actor,
        building=building,
        subject=f"{kind[:-1]}:{bmx_id}",
        group=group.bmx_id,
    )
    outcome = MembersChanged(name=name)
    _refresh_doors(building, kind, bmx_id, outcome)
    return outcome


def _refresh_doors(building: Building, kind: str, bmx_id: int, outcome: MembersChanged) -> None:
    """Re-read the doors of the linked residents a change concerns; a failing link is counted, not raised
    (the change is made at ButterflyMX; the roster cycle reads those doors again)."""
    concerned = Q(bmx_tenant_id=bmx_id) if kind == TENANTS else Q(unit__bmx_id=bmx_id)
    links = BmxLink.objects.filter(
        kind=BmxLink.Kind.TENANT,
        status=BmxLink.Status.ACTIVE,
        pk__in=Residency.objects.filter(concerned, unit__building=building, is_active=True).values("link_id"),
    )
    for link in links:
        try:
            outcome.doors_refreshed += residency_doors_refresh(link=link)
        except BmxError as exc:
            outcome.doors_unread += 1
            logger.info("doors of tenant link %s not re-read after a group change: %s", link.pk, exc.code or exc.status)
