"""Reads of the logs app, always built on :mod:`tenants.scope`: managers and staff see their
buildings' logs, residents their own units' entries and calls; nothing else exists for them."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from tenants.scope import Grants, grants_of, grants_q

from .models import AccessLogEntry, CallRecord, SyncCursor

# Columns a list page needs: the raw record and the encrypted snapshot stay on disk.
LIST_DEFERRED = ("raw", "snapshot_url")


def entries_visible_to(user, grants: Grants | None = None) -> QuerySet[AccessLogEntry]:
    """Entries ``user`` may see (the rule of :func:`tenants.scope.grants_q`); pass the request's
    :func:`~tenants.scope.request_grants` to spare the two scope queries."""
    return AccessLogEntry.objects.filter(grants_q(grants if grants is not None else grants_of(user)))


def calls_visible_to(user, grants: Grants | None = None) -> QuerySet[CallRecord]:
    return CallRecord.objects.filter(grants_q(grants if grants is not None else grants_of(user)))


# --- keyset pagination ----------------------------------------------------------------------------


def cursor_encode(logged_at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{logged_at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(token: str | None) -> tuple[datetime, int] | None:
    """The (logged_at, id) a page starts after; None for a missing or malformed cursor (first page)."""
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, pk = text.split("|")
        value = datetime.fromisoformat(stamp)
        if value.tzinfo is None:
            return None
        return value, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def after(queryset: QuerySet, position: tuple[datetime, int] | None) -> QuerySet:
    """Rows after ``position`` in (logged_at desc, id desc) order.

    The plain ``logged_at <= t`` lets the index range start at the position, so page 1,000 reads
    about as many index entries as page 1; the OR only sorts out rows sharing that exact instant.
    """
    if position is None:
        return queryset
    logged_at, pk = position
    return queryset.filter(Q(logged_at__lte=logged_at), Q(logged_at__lt=logged_at) | Q(id__lt=pk))


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    is_first: bool


def keyset_page(queryset: QuerySet, token: str | None, size: int = 50) -> Page:
    """One page of ``queryset`` (model instances, or ``values()`` dicts holding ``logged_at``/``id``)."""
    position = cursor_decode(token)
    rows = list(after(queryset.order_by("-logged_at", "-id"), position)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        at, pk = (last["logged_at"], last["id"]) if isinstance(last, dict) else (last.logged_at, last.pk)
        next_cursor = cursor_encode(at, pk)
    return Page(rows, next_cursor, position is None)


def cursors_for_buildings(building_ids) -> QuerySet[SyncCursor]:
    return SyncCursor.objects.filter(building_id__in=building_ids).select_related("building")
