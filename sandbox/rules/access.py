"""Use of credentials at doors (§4.8 usage semantics, §5): who may open which door, and when.

Every granted opening writes one access-log entry (and so fires webhooks); a refusal writes nothing and
answers why, because a refused PIN at a real keypad releases no door and leaves no v4 log entry.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q

from sandbox import clock
from sandbox.models import AccessPoint, AccessTool, Device, Keychain, Setting, Tenant, VirtualKey
from sandbox.rules import events

ONE_TIME_GRACE = dt.timedelta(minutes=15)
DELIVERY_GRACE = dt.timedelta(minutes=5)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# When an access group's members may use its doors. The v4 document has no field for it (access groups
# list no doors and no times), only its effect: ``GET /v4/access_points/{id}/schedules`` answers "times
# during which this access point can be used by current user". Kept as a Setting so no migration is
# needed: ``{"<group id>": [{"weekdays": [...], "from": "HH:MM", "to": "HH:MM"}]}``; a group without an
# entry may be used all day (the document's own example: every weekday, "00:00" to "00:00").
GROUP_SCHEDULES_KEY = "access_group_schedules"
ALL_DAY = {"weekdays": WEEKDAYS, "from": "00:00", "to": "00:00"}


def group_schedules() -> dict[int, list[dict]]:
    row = Setting.objects.filter(key=GROUP_SCHEDULES_KEY).first()
    return {int(gid): items for gid, items in (row.value if row else {}).items()}


def group_schedules_set(group_id: int, items: list[dict] | None) -> None:
    """Give an access group its times (None or []: all day again)."""
    current = {str(gid): v for gid, v in group_schedules().items()}
    if items:
        current[str(group_id)] = items
    else:
        current.pop(str(group_id), None)
    Setting.objects.update_or_create(key=GROUP_SCHEDULES_KEY, defaults={"value": current})


def usable_hours(tenants: list[Tenant], access_point: AccessPoint) -> list[dict]:
    """When these tenancies (one person's, in the door's building) may use ``access_point``: the times of
    every access group granting it to them, all day for a group with none; [] when none grants it."""
    mine = [t for t in tenants if t.building_id == access_point.building_id]
    if not mine:
        return []
    groups = (
        access_point.access_groups.filter(Q(tenants__in=mine) | Q(units__in=[t.unit_id for t in mine]))
        .distinct()
        .order_by("id")
    )
    times = group_schedules()
    items: list[dict] = []
    for group in groups:
        for item in times.get(group.id) or [ALL_DAY]:
            if item not in items:
                items.append(item)
    return [ALL_DAY] if ALL_DAY in items else items


def permitted_access_point_ids(tenant: Tenant) -> set[int]:
    """Doors a tenant may use: those of the access groups holding the tenant or the tenant's unit."""
    return set(
        AccessPoint.objects.filter(
            Q(access_groups__tenants=tenant) | Q(access_groups__units=tenant.unit_id),
            building_id=tenant.building_id,
        ).values_list("id", flat=True)
    )


def tenant_is_active(tenant: Tenant, now: dt.datetime) -> bool:
    if tenant.active_at and tenant.active_at > now:
        return False
    return not (tenant.inactive_at and tenant.inactive_at <= now)


@dataclass
class Outcome:
    granted: bool
    reason: str | None = None
    access_log_ids: list[int] = field(default_factory=list)
    credential: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "granted": self.granted,
            "reason": self.reason,
            "access_log_ids": self.access_log_ids,
            "credential": self.credential,
        }


def doors(access_point_id: int | None, device_id: int | None) -> list[AccessPoint]:
    """The access points addressed: one by id, or every access point of a device."""
    if access_point_id is not None:
        return list(AccessPoint.objects.filter(id=access_point_id))
    if device_id is not None and Device.objects.filter(id=device_id).exists():
        return list(AccessPoint.objects.filter(devices=device_id).order_by("id"))
    return []


def _key_window_refusal(key: VirtualKey, keychain: Keychain, now: dt.datetime, zone: str) -> str | None:
    if now < keychain.starts_at:
        return "not_yet_valid"
    grace = {"one_time_keychain": ONE_TIME_GRACE, "delivery_pass": DELIVERY_GRACE}.get(keychain.type)
    if grace and key.first_used_at is not None:
        # After the first use the key may be re-used for the grace period only, then it expires.
        return "already_used" if now > key.first_used_at + grace else None
    if now > keychain.ends_at:
        return "expired"
    if keychain.type == "recurring_keychain":
        local = now.astimezone(ZoneInfo(zone))
        hhmm = local.strftime("%H:%M")
        if WEEKDAYS[local.weekday()] not in (keychain.weekdays or []):
            return "outside_schedule"
        if not (keychain.time_from <= hhmm < keychain.time_to):
            return "outside_schedule"
    return None


def _key_doors(keychain: Keychain, candidates: list[AccessPoint]) -> list[AccessPoint]:
    allowed = set(keychain.access_point_ids)
    devices = set(keychain.device_ids)
    return [ap for ap in candidates if ap.id in allowed or devices & {d.id for d in ap.devices.all()}]


def use_virtual_key(key: VirtualKey, candidates: list[AccessPoint], method: str) -> Outcome:
    """A visitor presents a pass (``method`` = ``pin`` or ``qr``) at a door."""
    keychain = key.keychain
    credential = {"virtual_key_id": key.id, "keychain_id": keychain.id, "type": keychain.type}
    usable = _key_doors(keychain, candidates)
    if not usable:
        return Outcome(False, "door_not_allowed", credential=credential)
    now = clock.now()
    refusal = _key_window_refusal(key, keychain, now, keychain.building.time_zone)
    if refusal:
        return Outcome(False, refusal, credential=credential)
    with transaction.atomic():
        VirtualKey.objects.filter(id=key.id, first_used_at__isnull=True).update(first_used_at=now)
        VirtualKey.objects.filter(id=key.id).update(usage_count=F("usage_count") + 1, last_used_at=now, updated_at=now)
        if keychain.type == "delivery_pass":
            code, release_type = "delivery_pass", "Delivery"
        else:
            code, release_type = ("virtual_key_pin" if method == "pin" else "qr_code"), "Visitor"
        # The entry carries the pass owner's tenant and unit so the resident sees their visitors' entries.
        owner = Tenant.objects.select_related("user", "unit").filter(id=keychain.tenant_id).first()
        entry = events.log_entry(usable[0], code, tenant=owner, name=key.name, release_type=release_type)
    return Outcome(True, None, [entry.id], credential)


def use_access_tool(tool: AccessTool, candidates: list[AccessPoint]) -> Outcome:
    """A resident types their PIN (or presents a fob) at a door."""
    tenant = Tenant.objects.select_related("user", "unit").get(id=tool.tenant_id)
    credential = {"access_tool_id": tool.id, "tenant_id": tenant.id, "type": tool.type}
    if not tenant_is_active(tenant, clock.now()):
        return Outcome(False, "tenant_inactive", credential=credential)
    allowed = permitted_access_point_ids(tenant)
    usable = [ap for ap in candidates if ap.id in allowed]
    if not usable:
        return Outcome(False, "door_not_allowed", credential=credential)
    code = "pin" if tool.type == "pin" else "rfid"
    entry = events.log_entry(usable[0], code, tenant=tenant, entry_method={"access_tool": tool.id})
    return Outcome(True, None, [entry.id], credential)


def use_credential(
    *,
    access_point_id: int | None,
    device_id: int | None,
    pin: str | None = None,
    qr: str | None = None,
    rfid: str | None = None,
    unit_label: str | None = None,
) -> Outcome:
    """Resolve what was presented at the door, then apply the rules of that credential."""
    candidates = doors(access_point_id, device_id)
    if not candidates:
        return Outcome(False, "unknown_door")
    building_id = candidates[0].building_id
    if qr:
        key = VirtualKey.objects.select_related("keychain__building").filter(token=qr).first()
        if key is None or key.building_id != building_id:
            return Outcome(False, "unknown_credential")
        return use_virtual_key(key, candidates, "qr")
    if rfid:
        tool = AccessTool.objects.filter(building_id=building_id, type="rfid_tag", code__iexact=rfid).first()
        return use_access_tool(tool, candidates) if tool else Outcome(False, "unknown_credential")
    if not pin:
        return Outcome(False, "unknown_credential")
    key = VirtualKey.objects.select_related("keychain__building").filter(building_id=building_id, pin_code=pin).first()
    if key is not None:
        return use_virtual_key(key, candidates, "pin")
    tools = AccessTool.objects.filter(building_id=building_id, type="pin", code=pin).select_related("tenant__unit")
    if len(pin) == 4:
        # Legacy 4-digit PINs are only unique together with the unit label the visitor types first.
        tools = tools.filter(tenant__unit__label__iexact=unit_label or "")
    tool = tools.first()
    return use_access_tool(tool, candidates) if tool else Outcome(False, "unknown_credential")


def swipe(tenant: Tenant, access_point: AccessPoint) -> Outcome:
    """Swipe-to-open in the resident app."""
    credential = {"tenant_id": tenant.id}
    if not tenant_is_active(tenant, clock.now()):
        return Outcome(False, "tenant_inactive", credential=credential)
    if access_point.id not in permitted_access_point_ids(tenant):
        return Outcome(False, "door_not_allowed", credential=credential)
    entry = events.log_entry(access_point, "swipe_to_open", tenant=tenant)
    return Outcome(True, None, [entry.id], credential)


def open_hours(access_point: AccessPoint, action: str) -> int:
    """The schedule unlocks (``unlock``) or locks (``lock``) a door: an entry with every other field null."""
    access_point.held_open = action == "unlock"
    access_point.save(update_fields=["held_open"])
    entry = events.log_entry(
        access_point,
        "schedule",
        release_type=None,
        release_status="Unlocked" if action == "unlock" else "Locked",
        entry_method=None,
        with_image=False,
        name=None,
    )
    # The schedule entry carries no name: log_entry fills names only from a tenant, so it stays null.
    return entry.id


def release(tenant: Tenant, targets: list[AccessPoint]) -> list[int]:
    """``POST /v4/door_release_requests``: every addressed door opens, each logged with entry method API."""
    return [events.log_entry(ap, "api", tenant=tenant).id for ap in targets]
