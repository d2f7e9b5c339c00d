"""Writes of the core app."""

from django.utils import timezone

from .models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    """Note that ``name`` is alive now (one row per name, updated in place)."""
    beat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
    return beat
