"""Keychains of the four kinds and their virtual keys (§4.8).

- custom / one-time: absolute ``starts_at``..``ends_at``, ending at most one year ahead;
- recurring: ``start_date``+``time_from`` .. ``end_date``+``time_to`` in the building's local time,
  on ``weekdays``, lasting at most one year;
- delivery pass: now .. now + 30 days, every door of the tenant, exactly one key.
"""

import datetime as dt
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from sandbox import clock
from sandbox.api.common import as_int
from sandbox.api.errors import invalid
from sandbox.api.filters import parse_time
from sandbox.models import AccessPoint, Device, Keychain, Tenant, VirtualKey
from sandbox.rules import pins
from sandbox.rules.access import permitted_access_point_ids

ONE_YEAR = dt.timedelta(days=366)
DELIVERY_LIFETIME = dt.timedelta(days=30)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TYPES = {
    "custom": "custom_keychain",
    "one_time": "one_time_keychain",
    "recurring": "recurring_keychain",
    "delivery_pass": "delivery_pass",
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

OUT_OF_SCOPE = (
    ("building", "blank", "must exist"),
    ("base", "must_have_an_associated_unit_or_tenant", "must have an associated unit or tenant"),
    ("unit_id", "must_have_an_associated_unit", "must have an associated unit"),
    ("units_user_id", "must_have_an_associated_tenant", "must have an associated tenant"),
)


def _int_list(value: Any, field: str) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise invalid((field, "invalid", "is invalid"))
    try:
        return [int(v) for v in value]
    except (TypeError, ValueError):
        raise invalid((field, "invalid", "is invalid")) from None


def resolve_owner(params: dict[str, Any], visible) -> Tenant:
    """The tenant a keychain belongs to (by ``tenant_id`` or ``unit_id``) or the out-of-scope 422 set."""
    tenant = None
    tenants = Tenant.objects.select_related("unit", "building", "user").order_by("id")
    if params.get("tenant_id") not in (None, ""):
        tenant_id = as_int(params["tenant_id"])  # None beyond 64 bits: no such tenant
        tenant = tenants.filter(id=tenant_id).first() if tenant_id is not None else None
    elif params.get("unit_id") not in (None, ""):
        unit_id = as_int(params["unit_id"])
        tenant = tenants.filter(unit_id=unit_id).first() if unit_id is not None else None
    if tenant is None or not visible(tenant):
        raise invalid(*OUT_OF_SCOPE)
    return tenant


def doors_for(
    tenant: Tenant, access_point_ids: list[int], device_ids: list[int], admin: bool
) -> tuple[list[int], list[int]]:
    """Requested doors, or all the tenant's doors when none are given; ``device_ids`` = requested devices
    plus every device of the requested access points (arithmetic on the OpenAPI examples)."""
    allowed = permitted_access_point_ids(tenant)
    building_aps = set(AccessPoint.objects.filter(building_id=tenant.building_id).values_list("id", flat=True))
    if not access_point_ids and not device_ids:
        access_point_ids = sorted(allowed)
    for ap in access_point_ids:
        if ap not in building_aps or (not admin and ap not in allowed):
            raise invalid(("access_point_ids", "invalid", "is invalid"))
    building_devices = set(Device.objects.filter(building_id=tenant.building_id).values_list("id", flat=True))
    for dev in device_ids:
        if dev not in building_devices:
            raise invalid(("device_ids", "invalid", "is invalid"))
    derived: list[int] = []
    for ap_devices in (
        AccessPoint.devices.through.objects.filter(accesspoint_id__in=access_point_ids)
        .order_by("accesspoint_id", "device_id")
        .values_list("device_id", flat=True)
    ):
        if ap_devices not in derived:
            derived.append(ap_devices)
    for dev in device_ids:
        if dev not in derived:
            derived.append(dev)
    return list(access_point_ids), derived


def _local(date: dt.date, hhmm: str, zone: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def _window(kind: str, params: dict[str, Any], tenant: Tenant, now: dt.datetime) -> dict[str, Any]:
    """Validate the kind's time fields; returns the model fields for the window."""
    if kind == "delivery_pass":
        return {"starts_at": now, "ends_at": now + DELIVERY_LIFETIME}
    if kind == "recurring":
        missing = [f for f in ("start_date", "end_date", "time_from", "time_to") if not params.get(f)]
        if missing:
            raise invalid(*[(f, "blank", "can't be blank") for f in missing])
        try:
            start_date = dt.date.fromisoformat(str(params["start_date"]))
            end_date = dt.date.fromisoformat(str(params["end_date"]))
        except ValueError:
            raise invalid(("start_date", "invalid", "is invalid")) from None
        time_from, time_to = str(params["time_from"]), str(params["time_to"])
        if not _HHMM.match(time_from) or not _HHMM.match(time_to):
            raise invalid(("time_from", "invalid", "is invalid"))
        weekdays = params.get("weekdays")
        if not isinstance(weekdays, list) or not weekdays or any(w not in WEEKDAYS for w in weekdays):
            raise invalid(("weekdays", "invalid", "is invalid"))
        if time_from >= time_to:
            raise invalid(
                ("time_from", "must_be_less_than_time_to", "must be less than time to"),
                ("time_to", "must_be_greater_than_time_from", "must be greater than time from"),
            )
        zone = tenant.building.time_zone
        starts_at, ends_at = _local(start_date, time_from, zone), _local(end_date, time_to, zone)
        if end_date < start_date:
            raise invalid(
                (
                    "starts_at",
                    "start_time_must_be_before_the_end_time",
                    "Start time must be before the end time",
                ),
                ("ends_at", "end_time_must_be_after_the_start_time", "End time must be after the start time"),
            )
        if ends_at - starts_at > ONE_YEAR:
            raise invalid(("end_date", "too_far_in_future", "must be at most one year after the start date"))
        return {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "start_date": start_date,
            "end_date": end_date,
            "time_from": time_from,
            "time_to": time_to,
            "weekdays": [w for w in WEEKDAYS if w in weekdays],
        }
    missing = [f for f in ("starts_at", "ends_at") if not params.get(f)]
    if missing:
        raise invalid(*[(f, "blank", "can't be blank") for f in missing])
    try:
        starts_at, ends_at = parse_time(str(params["starts_at"])), parse_time(str(params["ends_at"]))
    except ValueError:
        raise invalid(("starts_at", "invalid", "is invalid")) from None
    if starts_at >= ends_at:
        raise invalid(
            ("starts_at", "start_time_must_be_before_the_end_time", "Start time must be before the end time"),
            ("ends_at", "end_time_must_be_after_the_start_time", "End time must be after the start time"),
        )
    if ends_at > now + ONE_YEAR:
        raise invalid(("ends_at", "too_far_in_future", "must be at most one year from now"))
    return {"starts_at": starts_at.replace(microsecond=0), "ends_at": ends_at.replace(microsecond=0)}


def new_token() -> str:
    return secrets.token_hex(16)


def add_key(
    keychain: Keychain,
    *,
    name: str | None = None,
    email: str | None = None,
    sms_number: str | None = None,
    pin_code: str | None = None,
) -> VirtualKey:
    """One virtual key (one recipient). A blank PIN gets a random one; a given PIN must pass the rules."""
    if pin_code in (None, ""):
        pin_code = pins.generate(keychain.building_id)
    else:
        errors = pins.virtual_key_pin_errors(str(pin_code), keychain.building_id)
        if errors:
            raise invalid(*errors)
    now = clock.now()
    return VirtualKey.objects.create(
        keychain=keychain,
        building_id=keychain.building_id,
        name=name or keychain.name,
        email=email,
        sms_number=sms_number,
        pin_code=str(pin_code),
        token=new_token(),
        created_at=now,
        updated_at=now,
    )


def recipient_fields(recipient: str) -> dict[str, str]:
    """An e-mail if it has an ``@``, else a phone number, stored as given (§4.8)."""
    return {"email": recipient} if "@" in recipient else {"sms_number": recipient}


def create(kind: str, params: dict[str, Any], visible, admin_of) -> Keychain:
    tenant = resolve_owner(params, visible)
    if not params.get("name"):
        raise invalid(("name", "blank", "can't be blank"))
    now = clock.now()
    window = _window(kind, params, tenant, now)
    admin = admin_of(tenant.building_id)
    if kind == "delivery_pass":
        if not tenant.building.delivery_pass_enabled or tenant.flags.get("delivery_pass_enabled") is False:
            raise invalid(("base", "delivery_pass_disabled", "Delivery passes are disabled"))
        aps, devices = doors_for(tenant, [], [], admin)
        recipients: list[str] = []
    else:
        aps, devices = doors_for(
            tenant,
            _int_list(params.get("access_point_ids"), "access_point_ids"),
            _int_list(params.get("device_ids"), "device_ids"),
            admin,
        )
        recipients = params.get("recipients") or []
        if not isinstance(recipients, list) or not all(isinstance(r, str) and r for r in recipients):
            raise invalid(("recipients", "invalid", "is invalid"))
    with transaction.atomic():
        keychain = Keychain.objects.create(
            building_id=tenant.building_id,
            tenant=tenant,
            unit_id=tenant.unit_id,
            type=TYPES[kind],
            name=str(params["name"]),
            allow_unit_access=bool(params.get("allow_unit_access", False)),
            access_point_ids=aps,
            device_ids=devices,
            created_at=now,
            updated_at=now,
            **window,
        )
        if kind == "delivery_pass":
            add_key(keychain)
        for recipient in recipients:
            key = add_key(keychain, **recipient_fields(recipient))
            key.sent_at = now  # ButterflyMX e-mails or texts the recipient at once
            key.save(update_fields=["sent_at"])
    return keychain
