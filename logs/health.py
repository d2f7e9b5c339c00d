"""Which connected buildings' logs are stale (for /healthz and the sync health page)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tenants.models import Building

from .models import SyncCursor


def stale_buildings() -> list[tuple[str, str]]:
    """(building name, reason) for every connected building with a stream not synced recently."""
    limit = timezone.now() - timedelta(seconds=settings.LOGS_STALE_AFTER_S)
    connected = Building.objects.filter(is_active=True, bmx_id__isnull=False, admin_link__isnull=False)
    out = []
    for building in connected.order_by("name"):
        cursors = {c.stream: c for c in SyncCursor.objects.filter(building=building)}
        for stream in ("access", "calls"):
            cursor = cursors.get(stream)
            if cursor is None or cursor.last_success_at is None:
                out.append((building.name, f"{stream}: never synced"))
            elif cursor.last_success_at < limit:
                minutes = int((timezone.now() - cursor.last_success_at).total_seconds() // 60)
                out.append((building.name, f"{stream}: last success {minutes} min ago"))
    return out
