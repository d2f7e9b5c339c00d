"""Reads of the logs app: the one keyset pagination of every log list (pages, API, CSV) and the
sync cursors. Scope is the models' ``restrict(grants)`` (:mod:`tenants.scope`)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from .models import SyncCursor

# Columns a list page needs: the raw record and the encrypted snapshot stay on disk.
LIST_DEFERRED = ("raw", "snapshot_url")

# --- keyset pagination ----------------------------------------------------------------------------


class InvalidCursor(ValueError):
    """A page position the portal never gave out, or no longer does (the API's cursors before issue 17,
    a damaged link): the person starts again from the first page (a 400 that says so, never a 500)."""

    message = gettext_lazy("This page position is not valid (any more): start again from the first page.")


def cursor_encode(logged_at: datetime, pk: int) -> str:
    """The one cursor format of every log list, page and API alike: "<ISO time>|<id>", base64url."""
    return base64.urlsafe_b64encode(f"{logged_at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(token: str | None) -> tuple[datetime, int] | None:
    """The (logged_at, id) a page starts after; None without a cursor (the first page).
    Raises :class:`InvalidCursor` for a token that is not one of :func:`cursor_encode`'s."""
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, pk = text.split("|")
        value = datetime.fromisoformat(stamp)
        if value.tzinfo is None:
            raise ValueError("a cursor's time carries its zone")
        return value, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(InvalidCursor.message) from None


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
    Raises :class:`InvalidCursor` for a token or ``before`` that is not a cursor of this format.
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
    return SyncCursor.objects.filter(building_id__in=building_ids, link__isnull=True).select_related("building")
