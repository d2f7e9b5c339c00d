"""Model -> v4 JSON, exactly the keys of the OpenAPI examples (§4)."""

import datetime as dt
import json
from typing import Any

from sandbox.models import (
    AccessGroup,
    AccessPoint,
    AccessTool,
    Building,
    Device,
    DoorReleaseRequest,
    Integration,
    Keychain,
    Tenant,
    Unit,
    VirtualKey,
)


def ts(value: dt.datetime | None) -> str | None:
    """``2026-06-17T15:12:20Z``: UTC, ``Z``, no fraction (§1)."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def absolute(origin: str, path: str | None) -> str | None:
    return None if path is None else f"{origin}{path}"


def building(b: Building) -> dict[str, Any]:
    return {
        "created_at": ts(b.created_at),
        "id": b.id,
        "name": b.name,
        "updated_at": ts(b.updated_at),
        "time_zone": b.time_zone,
        "address": b.address,
    }


def unit(u: Unit, with_building: bool = True) -> dict[str, Any]:
    out = {
        "created_at": ts(u.created_at),
        "id": u.id,
        "label": u.label,
        "updated_at": ts(u.updated_at),
        "floor": u.floor,
    }
    if with_building:
        out["building_id"] = u.building_id
    return out


def tenant(t: Tenant, origin: str) -> dict[str, Any]:
    invitation = None
    if t.registration_status == "invited":
        invitation = {
            "confirmation_url": f"{origin}/confirmations/{t.confirmation_token}",
            "invited_at": ts(t.invited_at),
        }
    return {
        "created_at": ts(t.created_at),
        "full_name": None,  # null on live accounts (CONFIRMED-LIVE)
        "id": t.id,
        "updated_at": ts(t.updated_at),
        "first_name": t.user.first_name,
        "last_name": t.user.last_name,
        "building_id": t.building_id,
        "building_name": t.building.name,
        "inactive_after": ts(t.inactive_at),
        "building_timezone": t.building.time_zone,
        "email": t.user.email,
        "contact_preference": t.contact_preference,
        "registration_status": t.registration_status,
        "invitation": invitation,
        "unit": unit(t.unit, with_building=False),
        "notification_preference": t.notification_preference,
    }


def device(d: Device) -> dict[str, Any]:
    return {
        "created_at": ts(d.created_at),
        "id": d.id,
        "model": d.model,
        "name": d.name,
        "serial_number": d.serial_number,
        "updated_at": ts(d.updated_at),
        "building_id": d.building_id,
        "type": d.type,
    }


def access_point(a: AccessPoint) -> dict[str, Any]:
    return {
        "created_at": ts(a.created_at),
        "id": a.id,
        "name": a.name,
        "updated_at": ts(a.updated_at),
        "building_id": a.building_id,
        "device_ids": sorted(d.id for d in a.devices.all()),
        "open_hours": a.open_hours,
    }


def access_group(g: AccessGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "building_id": g.building_id,
        "name": g.name,
        "created_at": ts(g.created_at),
        "updated_at": ts(g.updated_at),
        "tenants_ids": sorted(t.id for t in g.tenants.all()),
        "units_ids": sorted(u.id for u in g.units.all()),
    }


def access_tool(a: AccessTool) -> dict[str, Any]:
    return {
        "created_at": ts(a.created_at),
        "id": a.id,
        "updated_at": ts(a.updated_at),
        "code": a.code,
        "type": a.type,
        "building_id": a.building_id,
        "tenant_id": a.tenant_id,
    }


def keychain(k: Keychain) -> dict[str, Any]:
    out = {
        "id": k.id,
        "created_at": ts(k.created_at),
        "updated_at": ts(k.updated_at),
        "name": k.name,
        "starts_at": ts(k.starts_at),
        "ends_at": ts(k.ends_at),
        "type": k.type,
        "building_id": k.building_id,
        "tenant_id": k.tenant_id,
        "unit_id": k.unit_id,
        "virtual_key_ids": sorted(v.id for v in k.virtual_keys.all()),
        "access_point_ids": list(k.access_point_ids),
        "device_ids": list(k.device_ids),
    }
    if k.type == "recurring_keychain":
        out.update(
            start_date=k.start_date.isoformat() if k.start_date else None,
            end_date=k.end_date.isoformat() if k.end_date else None,
            time_from=k.time_from,
            time_to=k.time_to,
            weekdays=k.weekdays,
        )
    return out


def virtual_key(v: VirtualKey, origin: str) -> dict[str, Any]:
    return {
        "created_at": ts(v.created_at),
        "email": v.email,
        "first_used_at": ts(v.first_used_at),
        "id": v.id,
        "keychain_id": v.keychain_id,
        "last_used_at": ts(v.last_used_at),
        "name": v.name,
        "sent_at": ts(v.sent_at),
        "sms_number": v.sms_number,
        "updated_at": ts(v.updated_at),
        "usage_count": v.usage_count,
        "qr_code_url": f"{origin}/qr/{v.token}.png",
        "pin_code": v.pin_code,
        "building_id": v.building_id,
        "instructions_url": f"{origin}/public/virtual_keys/{v.id}/{v.token}",
    }


def door_release(r: DoorReleaseRequest) -> dict[str, Any]:
    return {
        "access_point_id": r.access_point_id,
        "created_at": ts(r.created_at),
        "device_id": r.device_id,
        "guid": r.guid,
        "id": r.id,
        "release_method": "api",
        "updated_at": ts(r.updated_at),
        "tenant_id": r.tenant_id,
    }


def access_log_row(row: dict[str, Any], origin: str) -> dict[str, Any]:
    """From a ``.values()`` row (the list path avoids model instances for speed)."""
    entry = row["entry_method"]
    return {
        "id": row["id"],
        "logged_at": ts(row["logged_at"]),
        "access_point": row["access_point_id"],
        "release_status": row["release_status"],
        "name": row["name"],
        "release_type": row["release_type"],
        "unit": row["unit_id"],
        "tenant_id": row["tenant_id"],
        "entry_method": json.loads(entry) if entry is not None else None,
        "image_url": absolute(origin, row["image_path"]),
    }


def call_row(row: dict[str, Any], origin: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "building_id": row["building_id"],
        "logged_at": ts(row["logged_at"]),
        "notification_type": row["notification_type"],
        "recipient": {"id": row["recipient_id"], "type": row["recipient_type"]},
        "unit": {"id": row["unit_id"]} if row["unit_id"] is not None else None,
        "device": {"id": row["device_id"], "name": row["device_name"]},
        "status": row["status"],
        "image_url": absolute(origin, row["image_path"]),
    }


def integration(i: Integration) -> dict[str, Any]:
    """PROPOSED v4 body (§4.12): JSON:API-like, with both ``configuration`` and the v3 ``config``."""
    return {
        "id": str(i.id),
        "type": "integrations",
        "attributes": {
            "integrator": i.integrator,
            "configuration": i.configuration,
            "config": i.configuration,
            "bindings": i.bindings,
            "created_at": ts(i.created_at),
            "updated_at": ts(i.updated_at),
        },
    }
