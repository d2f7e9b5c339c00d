"""ButterflyMX log records -> plain row tuples for the upsert. Pure functions, no database.

Parsing is the hot path of a backfill (a million records), so it produces tuples in the column order
of :data:`LOG_COLUMNS` / :data:`CALL_COLUMNS` rather than model instances. Lookups of local rows
(door, unit, device by bmx_id) come in as dicts built once per sync.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .models import ReleaseMethod

# Display text of ``entry_method`` (contract §5) -> code. Keys are lower-cased.
DISPLAY_TO_CODE = {
    "swipe to open": ReleaseMethod.SWIPE_TO_OPEN,
    "app call": ReleaseMethod.APP_CALL,
    "front door view": ReleaseMethod.APP_CALL,
    "api": ReleaseMethod.API,
    "visitor pass (using qr code)": ReleaseMethod.VISITOR_QR,
    "visitor pass (using pin)": ReleaseMethod.VISITOR_PIN,
    "remote doorman": ReleaseMethod.REMOTE_DOORMAN,
    "bluetooth": ReleaseMethod.BLUETOOTH,
}
# snake_case codes (v3 ``release_method``, the filter vocabulary, legacy webhook bodies) -> code.
SNAKE_TO_CODE = {
    "swipe_to_open": ReleaseMethod.SWIPE_TO_OPEN,
    "front_door_view": ReleaseMethod.APP_CALL,
    "api": ReleaseMethod.API,
    "qr_code": ReleaseMethod.VISITOR_QR,
    "virtual_key_qr": ReleaseMethod.VISITOR_QR,
    "virtual_key_pin": ReleaseMethod.VISITOR_PIN,
    "delivery_pass": ReleaseMethod.DELIVERY_PASS,
    "remote_doorman": ReleaseMethod.REMOTE_DOORMAN,
    "pin": ReleaseMethod.ACCESS_TOOL,
    "rfid": ReleaseMethod.ACCESS_TOOL,
    "access_tool": ReleaseMethod.ACCESS_TOOL,
    "keychain": ReleaseMethod.KEYCHAIN,
    "bluetooth": ReleaseMethod.BLUETOOTH,
}

LOG_COLUMNS = (
    "building_id",
    "remote_id",
    "logged_at",
    "release_method",
    "entry_method_text",
    "entry_method_ref",
    "release_type",
    "release_status",
    "door_id",
    "door_bmx_id",
    "unit_id",
    "unit_bmx_id",
    "unit_label",
    "tenant_bmx_id",
    "person_name",
    "snapshot_url",
    "raw",
    "synced_at",
)
LOG_UPDATE_COLUMNS = tuple(c for c in LOG_COLUMNS if c not in ("building_id", "remote_id"))
CALL_COLUMNS = (
    "building_id",
    "remote_id",
    "logged_at",
    "notification_type",
    "status",
    "recipient_type",
    "recipient_bmx_id",
    "unit_id",
    "unit_bmx_id",
    "unit_label",
    "device_id",
    "device_bmx_id",
    "device_name",
    "snapshot_url",
    "raw",
    "synced_at",
)
CALL_UPDATE_COLUMNS = tuple(c for c in CALL_COLUMNS if c not in ("building_id", "remote_id"))


class RecordError(ValueError):
    """A record without the fields every entry must have (id, logged_at)."""


def release_method_code(entry_method: Any, release_type: str | None = None, release_method: str | None = None) -> str:
    """Normalise ``entry_method`` (text, object or null) to one :class:`ReleaseMethod` code.

    A "Visitor Pass (using PIN)" released for a delivery is a delivery pass (the same display text
    covers both, told apart by ``release_type``). A legacy ``release_method`` code wins when present.
    """
    if release_method:
        code = SNAKE_TO_CODE.get(str(release_method).strip().lower())
        if code is not None:
            return code
    if entry_method is None:
        return ReleaseMethod.SCHEDULE
    if isinstance(entry_method, dict):
        if "keychain" in entry_method:
            return ReleaseMethod.KEYCHAIN
        if "access_tool" in entry_method:
            return ReleaseMethod.ACCESS_TOOL
        return ReleaseMethod.OTHER
    text = str(entry_method).strip().lower()
    code = DISPLAY_TO_CODE.get(text) or SNAKE_TO_CODE.get(text)
    if code is None:
        return ReleaseMethod.OTHER
    if code == ReleaseMethod.VISITOR_PIN and (release_type or "").lower() == "delivery":
        return ReleaseMethod.DELIVERY_PASS
    return code


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise RecordError("logged_at is missing")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except ValueError:
        raise RecordError(f"logged_at {value[:40]!r} is not a timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _int(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("id")
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _entry_method_parts(entry_method: Any) -> tuple[str, int | None]:
    if isinstance(entry_method, dict):
        for key in ("access_tool", "keychain"):
            if key in entry_method:
                return key, _int(entry_method[key])
        return "", None
    return ("" if entry_method is None else str(entry_method)[:100]), None


def access_log_row(
    record: dict,
    *,
    building_id: int,
    doors: dict[int, int],
    units: dict[int, tuple[int, str]],
    synced_at: datetime,
    encrypt,
) -> tuple:
    """One §4.10 record as a tuple in :data:`LOG_COLUMNS` order. ``encrypt`` protects the snapshot URL."""
    remote_id = _int(record.get("id"))
    if remote_id is None:
        raise RecordError("id is missing")
    entry_method = record.get("entry_method")
    text, ref = _entry_method_parts(entry_method)
    release_type = record.get("release_type") or ""
    door_bmx = _int(record.get("access_point"))
    unit_bmx = _int(record.get("unit"))
    unit = units.get(unit_bmx) if unit_bmx is not None else None
    image = record.get("image_url") or ""
    raw = {k: v for k, v in record.items() if k != "image_url"}
    return (
        building_id,
        remote_id,
        parse_time(record.get("logged_at")),
        release_method_code(entry_method, release_type, record.get("release_method")),
        text,
        ref,
        str(release_type)[:16],
        str(record.get("release_status") or "")[:16],
        doors.get(door_bmx) if door_bmx is not None else None,
        door_bmx,
        unit[0] if unit else None,
        unit_bmx,
        unit[1] if unit else "",
        _int(record.get("tenant_id")),
        str(record.get("name") or "")[:200],
        encrypt(image) if image else "",
        raw,
        synced_at,
    )


def call_row(
    record: dict,
    *,
    building_id: int,
    devices: dict[int, int],
    units: dict[int, tuple[int, str]],
    synced_at: datetime,
    encrypt,
) -> tuple:
    """One §4.11 record as a tuple in :data:`CALL_COLUMNS` order."""
    remote_id = _int(record.get("id"))
    if remote_id is None:
        raise RecordError("id is missing")
    recipient = record.get("recipient") if isinstance(record.get("recipient"), dict) else {}
    device = record.get("device") if isinstance(record.get("device"), dict) else {}
    unit_bmx = _int(record.get("unit"))
    unit = units.get(unit_bmx) if unit_bmx is not None else None
    device_bmx = _int(device.get("id"))
    image = record.get("image_url") or ""
    raw = {k: v for k, v in record.items() if k != "image_url"}
    return (
        building_id,
        remote_id,
        parse_time(record.get("logged_at")),
        str(record.get("notification_type") or "")[:16],
        str(record.get("status") or "")[:32],
        str(recipient.get("type") or "")[:16],
        _int(recipient.get("id")),
        unit[0] if unit else None,
        unit_bmx,
        unit[1] if unit else "",
        devices.get(device_bmx) if device_bmx is not None else None,
        device_bmx,
        str(device.get("name") or "")[:200],
        encrypt(image) if image else "",
        raw,
        synced_at,
    )
