"""Keeping the outbox small."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import LiveEvent


def live_events_prune(*, older_than: timedelta) -> int:
    """Delete events older than ``older_than``: a page that was away longer reloads what it shows
    anyway (its fallback poll and the next event), and the replay by ``Last-Event-ID`` only needs the
    last few minutes. Returns how many rows went."""
    deleted, _ = LiveEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
