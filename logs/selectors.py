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


def after(queryset: QuerySet, position: tuple[datetime, int] | None, *, newest_first: bool = True) -> QuerySet:
    """Rows after ``position`` in (logged_at, id) order, newest first unless ``newest_first`` is False.

    The plain ``logged_at <= t`` lets the index range start at the position, so page 1,000 reads
    about as many index entries as page 1; the OR only sorts out rows sharing that exact instant.
    The (…, logged_at DESC, id DESC) indexes serve both directions (PostgreSQL and SQLite walk a
    B-tree backwards), which is why time is the one sortable column (docs/performance.md).
    """
    if position is None:
        return queryset
    logged_at, pk = position
    if newest_first:
        return queryset.filter(Q(logged_at__lte=logged_at), Q(logged_at__lt=logged_at) | Q(id__lt=pk))
    return queryset.filter(Q(logged_at__gte=logged_at), Q(logged_at__gt=logged_at) | Q(id__gt=pk))


def ordered(queryset: QuerySet, *, newest_first: bool = True) -> QuerySet:
    return queryset.order_by("-logged_at", "-id") if newest_first else queryset.order_by("logged_at", "id")


@dataclass
class Page:
    rows: list
    next_cursor: str | None  # the page after this one, in the page's order ("Older" when newest first)
    prev_cursor: str | None = None  # the page before it ("Newer"), as a ``before`` token
    is_first: bool = True


def _key(row) -> tuple[datetime, int]:
    return (row["logged_at"], row["id"]) if isinstance(row, dict) else (row.logged_at, row.pk)


def keyset_page(
    queryset: QuerySet, token: str | None, size: int = 50, *, before: str | None = None, newest_first: bool = True
) -> Page:
    """One page of ``queryset`` (model instances, or ``values()`` dicts holding ``logged_at``/``id``).

    ``token`` starts the page after a row; ``before`` (used instead) ends it before a row: the page is
    read in the opposite order from that row and turned around, so "Newer" costs what "Older" does.
    """
    back = cursor_decode(before) if before and not token else None
    if back is not None:
        reverse = not newest_first
        rows = list(after(ordered(queryset, newest_first=reverse), back, newest_first=reverse)[: size + 1])
        if len(rows) <= size:  # back at the top: the first page as it is now (full, with what arrived)
            return keyset_page(queryset, None, size, newest_first=newest_first)
        rows = rows[:size][::-1]
        return Page(rows, cursor_encode(*_key(rows[-1])), cursor_encode(*_key(rows[0])), False)
    position = cursor_decode(token)
    rows = list(after(ordered(queryset, newest_first=newest_first), position, newest_first=newest_first)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = cursor_encode(*_key(rows[-1])) if more and rows else None
    prev_cursor = cursor_encode(*_key(rows[0])) if position is not None and rows else None
    return Page(rows, next_cursor, prev_cursor, position is None)


def cursors_for_buildings(building_ids) -> QuerySet[SyncCursor]:
    return SyncCursor.objects.filter(building_id__in=building_ids).select_related("building")
