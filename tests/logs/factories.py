"""Local log rows for browse and scope tests (the sync tests make theirs from the sandbox)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from logs.models import AccessLogEntry, CallRecord, ReleaseMethod


def entry_for(building, *, remote_id: int, unit=None, door=None, logged_at: datetime | None = None, **fields):
    defaults = {
        "logged_at": logged_at or timezone.now() - timedelta(hours=1),
        "release_method": ReleaseMethod.SWIPE_TO_OPEN,
        "entry_method_text": "Swipe to open",
        "release_type": "Tenant",
        "release_status": "Unlocked",
        "door": door,
        "unit": unit,
        "unit_label": unit.label if unit else "",
        "person_name": "Alice Example",
        "snapshot_url": "https://bucket.s3.example/snap.png",
        "synced_at": timezone.now(),
        **fields,
    }
    entry, _ = AccessLogEntry.objects.get_or_create(building=building, remote_id=remote_id, defaults=defaults)
    return entry


def call_for(building, *, remote_id: int, unit=None, logged_at: datetime | None = None, **fields):
    defaults = {
        "logged_at": logged_at or timezone.now() - timedelta(hours=1),
        "notification_type": "visitor",
        "status": "opened_door",
        "recipient_type": "Tenant",
        "unit": unit,
        "unit_label": unit.label if unit else "",
        "device_name": "Main Entrance",
        "snapshot_url": "https://bucket.s3.example/call.png",
        "synced_at": timezone.now(),
        **fields,
    }
    call, _ = CallRecord.objects.get_or_create(building=building, remote_id=remote_id, defaults=defaults)
    return call
