"""Which connected buildings' logs are stale, and which are polled without webhooks (for /healthz and
the sync health page)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tenants.models import Building

from .models import Stream, SyncCursor, WebhookEndpoint
from .webhooks import polled_only


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


def poll_interval_s(stream: str) -> int:
    """How often the regular sync polls ``stream`` (beat schedule), in seconds."""
    if stream == Stream.ACCESS:
        return int(settings.LOGS_SYNC_ACCESS_INTERVAL_S)
    return int(settings.LOGS_SYNC_CALLS_INTERVAL_S)


def polled_without_webhooks() -> list[tuple[str, str]]:
    """(building name, reason) for every stream whose webhook ButterflyMX refused: polling carries it."""
    out = []
    endpoints = WebhookEndpoint.objects.filter(building__is_active=True).exclude(refused={}).select_related("building")
    for endpoint in endpoints.order_by("building__name"):
        for stream in polled_only(endpoint):
            label = Stream(stream).label.lower()
            out.append((endpoint.building.name, f"{label}: webhook refused, polled every {poll_interval_s(stream)} s"))
    return out
