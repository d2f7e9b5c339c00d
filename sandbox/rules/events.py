"""Writing access-log entries and calls, and firing their webhooks: the one place events are born."""

import datetime as dt
import json
import secrets
import uuid
from typing import Any

from sandbox import clock, webhooks
from sandbox.models import AccessLog, AccessPoint, Call, Device, Tenant

# §5: the filter code -> the display ``entry_method`` (PROPOSED mapping of the contract)
DISPLAY = {
    "swipe_to_open": "Swipe to open",
    "front_door_view": "App call",
    "api": "API",
    "qr_code": "Visitor Pass (using QR code)",
    "virtual_key_qr": "Visitor Pass (using QR code)",
    "virtual_key_pin": "Visitor Pass (using PIN)",
    "delivery_pass": "Visitor Pass (using PIN)",
    "remote_doorman": "Remote Doorman",
    "bluetooth": "Bluetooth",
}


def snapshot_path() -> str:
    return f"/uploads/store/{secrets.token_hex(16)}.png"


def full_name(tenant: Tenant | None) -> str | None:
    return f"{tenant.user.first_name} {tenant.user.last_name}" if tenant else None


def log_entry(
    access_point: AccessPoint,
    release_method: str | None,
    *,
    tenant: Tenant | None = None,
    name: str | None = None,
    release_type: str | None = "Tenant",
    release_status: str = "Unlocked",
    entry_method: Any = "__display__",
    with_image: bool = True,
    logged_at: dt.datetime | None = None,
    notify: bool = True,
) -> AccessLog:
    """Create one access-log entry and queue its webhooks. ``logged_at`` defaults to the sandbox's now; an
    older (a panel's late upload) or later one (a wrong clock) comes from ``POST /_sandbox/logs/late``,
    which decides with ``notify`` whether webhooks fire."""
    if entry_method == "__display__":
        entry_method = DISPLAY.get(release_method or "")
    entry = AccessLog.objects.create(
        building_id=access_point.building_id,
        logged_at=logged_at or clock.now(),
        access_point_id=access_point.id,
        release_status=release_status,
        name=name if name is not None else full_name(tenant),
        release_type=release_type,
        unit_id=tenant.unit_id if tenant else None,
        unit_label=tenant.unit.label if tenant else None,
        tenant_id=tenant.id if tenant else None,
        entry_method=json.dumps(entry_method) if entry_method is not None else None,
        release_method=release_method,
        image_path=snapshot_path() if with_image else None,
    )
    if notify:
        webhooks.access_log_event(entry)
    return entry


def start_call(
    device: Device,
    *,
    tenant: Tenant | None,
    notification_type: str = "visitor",
    logged_at: dt.datetime | None = None,
    status: str = "initializing",
    notify: bool = True,
) -> Call:
    """A visitor presses a tenant (or the front desk when ``tenant`` is None) on a panel. A late upload
    passes its own ``logged_at`` and final ``status`` (see ``log_entry``)."""
    call = Call.objects.create(
        building_id=device.building_id,
        logged_at=logged_at or clock.now(),
        guid=str(uuid.uuid4()),
        notification_type=notification_type,
        recipient_type="Tenant" if tenant else "Attendant",
        recipient_id=tenant.id if tenant else None,
        recipient_name=full_name(tenant),
        unit_id=tenant.unit_id if tenant else None,
        unit_label=tenant.unit.label if tenant else None,
        device_id=device.id,
        device_name=device.name,
        status=status,
        image_path=snapshot_path(),
    )
    if notify:
        webhooks.call_event(call, "create")
    return call


CALL_STATUSES = {
    "initializing",
    "connecting_sip",
    "canceled",
    "voip_rollover",
    "rejected",
    "timeout_online_signal",
    "opened_door",
}


def update_call(call: Call, status: str) -> AccessLog | None:
    """Move a call to ``status``; ``opened_door`` also releases the panel's door ("App call")."""
    call.status = status
    call.save(update_fields=["status"])
    webhooks.call_event(call, "status_update")
    if status != "opened_door":
        return None
    door = AccessPoint.objects.filter(devices=call.device_id).order_by("id").first()
    tenant = Tenant.objects.select_related("user", "unit").filter(id=call.recipient_id).first()
    if door is None:
        return None
    return log_entry(door, "front_door_view", tenant=tenant)
