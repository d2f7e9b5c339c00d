"""The sync of one building's access log or call log from ButterflyMX into the local tables.

One run, holding the building stream's lease:

1. **incremental**: walk newest-first from ``high_water - overlap`` with no upper bound. New entries
   arriving during the walk push older ones onto later pages, so an entry can be read twice (the
   upsert de-duplicates) but is never skipped. The high-water mark becomes the newest ``logged_at``
   read, and only once the walk reached the last page: a run killed half-way re-reads next time.
2. **backfill** (a newly connected building): history back to ``LOGS_BACKFILL_DAYS``, in time chunks
   walked newest first, each chunk upserted in bulk (COPY on PostgreSQL) and its progress saved, within
   a time budget; the task re-queues itself until the history is complete.

The lease (:func:`lease_acquire`) is a conditional UPDATE on the cursor row with an expiry: it works
the same on SQLite and PostgreSQL, needs no Redis, and a SIGKILLed worker's lease simply runs out.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from passes.usage import pass_usage_from_log
from portal.butterflymx import BmxClient, BmxError
from portal.butterflymx.client import MAX_PER, ransack
from portal.core.crypto import fast_encryptor
from tenants.models import AccessPoint, Building, Device, Unit
from tenants.services import client_for_link

from . import parsing
from .models import AccessLogEntry, ReleaseMethod, Stream, SyncCursor
from .upsert import rows_upsert

logger = logging.getLogger(__name__)

FLUSH_ROWS = 5000  # backfill rows gathered before one bulk upsert
# Entries made with a visitor pass: the pass's use count and last use follow them (passes/usage.py).
VISITOR_METHODS = frozenset(
    {ReleaseMethod.VISITOR_PIN, ReleaseMethod.VISITOR_QR, ReleaseMethod.DELIVERY_PASS, ReleaseMethod.KEYCHAIN}
)

# Positions in a parsed access-log row (parsing.LOG_COLUMNS order) that the visitor-use note reads.
_REMOTE_ID, _LOGGED_AT, _METHOD, _METHOD_TEXT, _METHOD_REF, _TENANT = (
    parsing.LOG_COLUMNS.index(name)
    for name in (
        "remote_id",
        "logged_at",
        "release_method",
        "entry_method_text",
        "entry_method_ref",
        "tenant_bmx_id",
    )
)


class LeaseLost(Exception):
    """Another run took over (our lease expired): stop without moving the mark."""


@dataclass
class SyncOutcome:
    status: str  # done | busy | more | error | retry
    rows: int = 0
    retry_after: float | None = None
    error: str = ""
    details: dict = field(default_factory=dict)


# --- the lease ------------------------------------------------------------------------------------


def cursor_for(building: Building | int, stream: str) -> SyncCursor:
    building_id = building if isinstance(building, int) else building.pk
    cursor, _ = SyncCursor.objects.get_or_create(building_id=building_id, stream=stream)
    return cursor


def lease_acquire(*, cursor_id: int, owner: str, seconds: float | None = None) -> bool:
    """Take the lease if nobody holds an unexpired one. Atomic: one UPDATE, decided by its row count."""
    now = timezone.now()
    seconds = seconds or settings.LOGS_SYNC_LEASE_S
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(lease_owner=owner)
    taken = SyncCursor.objects.filter(free, pk=cursor_id).update(
        lease_owner=owner, lease_expires_at=now + timedelta(seconds=seconds)
    )
    return taken == 1


def lease_renew(*, cursor_id: int, owner: str) -> None:
    until = timezone.now() + timedelta(seconds=settings.LOGS_SYNC_LEASE_S)
    if not SyncCursor.objects.filter(pk=cursor_id, lease_owner=owner).update(lease_expires_at=until):
        raise LeaseLost()


def lease_release(*, cursor_id: int, owner: str) -> None:
    SyncCursor.objects.filter(pk=cursor_id, lease_owner=owner).update(lease_owner="", lease_expires_at=None)


# --- lookups and parsing --------------------------------------------------------------------------


@dataclass
class Context:
    building: Building
    stream: str
    cursor: SyncCursor
    owner: str
    client: object
    doors: dict[int, int]
    devices: dict[int, int]
    units: dict[int, tuple[int, str]]
    encrypt: object
    rows: int = 0
    skipped: int = 0
    # (tenant id, keychain id, logged_at) of new visitor-pass entries: their passes' use counts follow.
    visitor_uses: list = field(default_factory=list)

    def parse(self, records: list[dict]) -> list[tuple]:
        now = timezone.now()
        out = []
        for record in records:
            if not isinstance(record, dict):
                self.skipped += 1
                continue
            try:
                if self.stream == Stream.ACCESS:
                    row = parsing.access_log_row(
                        record,
                        building_id=self.building.pk,
                        doors=self.doors,
                        units=self.units,
                        synced_at=now,
                        encrypt=self.encrypt,
                    )
                    out.append(row)
                else:
                    out.append(
                        parsing.call_row(
                            record,
                            building_id=self.building.pk,
                            devices=self.devices,
                            units=self.units,
                            synced_at=now,
                            encrypt=self.encrypt,
                        )
                    )
            except parsing.RecordError as exc:
                self.skipped += 1  # one malformed record must not stop the building's sync
                logger.warning("Skipped a %s record of building %s: %s", self.stream, self.building.pk, exc)
        if self.stream == Stream.ACCESS:
            self._note_visitor_uses(out)
        return out

    def _note_visitor_uses(self, rows: list[tuple]) -> None:
        """Remember visitor-pass entries new to the local copy (the overlap re-reads old ones)."""
        visits = [row for row in rows if row[_METHOD] in VISITOR_METHODS]
        if not visits:
            return
        known = set(
            AccessLogEntry.objects.filter(
                building_id=self.building.pk, remote_id__in=[row[_REMOTE_ID] for row in visits]
            ).values_list("remote_id", flat=True)
        )
        self.visitor_uses += [
            (row[_TENANT], row[_METHOD_REF] if row[_METHOD_TEXT] == "keychain" else None, row[_LOGGED_AT])
            for row in visits
            if row[_REMOTE_ID] not in known
        ]

    def pages(self, *, since: datetime | None, until: datetime | None = None):
        per = settings.LOGS_SYNC_PAGE_SIZE
        method = self.client.access_log_pages if self.stream == Stream.ACCESS else self.client.call_pages
        return method(self.building.bmx_id, since=since, until=until, per=per)


def lookups(building: Building) -> tuple[dict, dict, dict]:
    doors = dict(AccessPoint.objects.filter(building=building, bmx_id__isnull=False).values_list("bmx_id", "id"))
    devices = dict(Device.objects.filter(building=building, bmx_id__isnull=False).values_list("bmx_id", "id"))
    units = {
        bmx: (pk, label)
        for bmx, pk, label in Unit.objects.filter(building=building, bmx_id__isnull=False).values_list(
            "bmx_id", "id", "label"
        )
    }
    return doors, devices, units


def encryptor():
    """AES-GCM rather than Fernet: one snapshot URL per row, and Fernet cost more than the rest of parsing."""
    return fast_encryptor()


# --- the run --------------------------------------------------------------------------------------


def stream_sync(
    *, building_id: int, stream: str, owner: str | None = None, budget_s: float | None = None
) -> SyncOutcome:
    """Sync one building's stream once (incremental, then backfill within ``budget_s``)."""
    owner = owner or uuid.uuid4().hex
    building = Building.objects.select_related("admin_link").get(pk=building_id)
    cursor = cursor_for(building, stream)
    if not lease_acquire(cursor_id=cursor.pk, owner=owner):
        return SyncOutcome("busy")
    try:
        cursor.refresh_from_db()
        return _run(building, cursor, owner, budget_s if budget_s is not None else settings.LOGS_SYNC_BUDGET_S)
    finally:
        lease_release(cursor_id=cursor.pk, owner=owner)


def _run(building: Building, cursor: SyncCursor, owner: str, budget_s: float) -> SyncOutcome:
    now = timezone.now()
    SyncCursor.objects.filter(pk=cursor.pk).update(last_attempt_at=now, sync_requested_at=None)
    if building.bmx_id is None or building.admin_link is None or not building.admin_link.is_active:
        return _fail(cursor, "This building is not connected to a ButterflyMX building-admin account.")
    client = client_for_link(building.admin_link, max_wait=settings.LOGS_SYNC_MAX_WAIT_S, background=True)
    doors, devices, units = lookups(building)
    ctx = Context(building, cursor.stream, cursor, owner, client, doors, devices, units, encryptor())
    if cursor.high_water is None and cursor.backfill_from is None:
        _plan_backfill(cursor, now)
    deadline = time.monotonic() + budget_s
    try:
        _incremental(ctx)
        more = _backfill(ctx, deadline)
    except LeaseLost:
        return SyncOutcome("busy", rows=ctx.rows)
    except BmxError as exc:
        message = _error_words(exc)
        _fail(cursor, message)
        if exc.retry_after is not None or exc.transient:
            return SyncOutcome("retry", rows=ctx.rows, retry_after=exc.retry_after, error=message)
        return SyncOutcome("error", rows=ctx.rows, error=message)
    SyncCursor.objects.filter(pk=cursor.pk).update(last_error="", last_error_at=None)
    details = {"skipped": ctx.skipped, "passes_recounted": _recount_passes(ctx)}
    return SyncOutcome("more" if more else "done", rows=ctx.rows, details=details)


def _recount_passes(ctx: Context) -> int:
    """Use counts of the passes whose visitors' entries this run read (one ButterflyMX read per account).

    A failure there is the passes' business, not the log's: it never fails the sync.
    """
    if not ctx.visitor_uses:
        return 0
    try:
        return pass_usage_from_log(building_id=ctx.building.pk, uses=ctx.visitor_uses)
    except BmxError as exc:
        logger.info("use counts after the log sync of building %s: %s", ctx.building.pk, exc.code or exc.status)
        return 0


def _plan_backfill(cursor: SyncCursor, now: datetime) -> None:
    days = settings.LOGS_BACKFILL_DAYS
    if days <= 0:
        return
    cursor.backfill_from = now - timedelta(days=days)
    cursor.backfill_until = now
    cursor.backfill_reached = now
    cursor.save(update_fields=["backfill_from", "backfill_until", "backfill_reached", "updated_at"])


def _incremental(ctx: Context) -> None:
    cursor = ctx.cursor
    overlap = timedelta(seconds=settings.LOGS_SYNC_OVERLAP_S)
    if cursor.high_water is not None:
        since = cursor.high_water - overlap
    elif cursor.backfill_until is not None:
        since = cursor.backfill_until - overlap  # the backfill covers what lies before
    else:
        since = None
    newest = cursor.high_water
    run_rows = 0
    for records, _info in ctx.pages(since=since):
        rows = ctx.parse(records)
        run_rows += rows_upsert(stream=ctx.stream, rows=rows)
        for row in rows:
            if newest is None or row[2] > newest:
                newest = row[2]
        lease_renew(cursor_id=cursor.pk, owner=ctx.owner)
    ctx.rows += run_rows
    # The walk reached the last page: only now may the mark move.
    high_water = newest or cursor.backfill_until or cursor.high_water
    now = timezone.now()
    SyncCursor.objects.filter(pk=cursor.pk).update(
        high_water=high_water, last_success_at=now, last_run_rows=run_rows, rows_synced=_add(cursor, run_rows)
    )
    cursor.high_water = high_water


def _add(cursor: SyncCursor, rows: int):
    from django.db.models import F

    return F("rows_synced") + rows


def _backfill(ctx: Context, deadline: float) -> bool:
    """Walk history chunks newest first until done or out of time. True when more remains.

    A chunk is a closed window in the past, so its pages do not shift: after page 1 (which says how
    many pages there are) the others are fetched in parallel. The chunk length adapts to the
    building's traffic so a chunk stays between a few and a few dozen pages.
    """
    cursor = ctx.cursor
    if cursor.backfill_from is None or cursor.backfill_finished_at is not None:
        return False
    chunk = timedelta(hours=settings.LOGS_BACKFILL_CHUNK_HOURS)
    reached = cursor.backfill_reached or cursor.backfill_until
    while reached > cursor.backfill_from:
        if time.monotonic() > deadline:
            return True
        start = max(cursor.backfill_from, reached - chunk)
        chunk_rows, pages = _backfill_chunk(ctx, start, reached)
        ctx.rows += chunk_rows
        reached = start
        done = reached <= cursor.backfill_from
        SyncCursor.objects.filter(pk=cursor.pk, lease_owner=ctx.owner).update(
            backfill_reached=reached,
            backfill_finished_at=timezone.now() if done else None,
            rows_synced=_add(cursor, chunk_rows),
            last_success_at=timezone.now(),
        )
        cursor.backfill_reached = reached
        if pages < 5:
            chunk = min(chunk * 2, timedelta(days=30))
        elif pages > 40:
            chunk = max(chunk / 2, timedelta(minutes=10))
    return False


def _backfill_chunk(ctx: Context, start: datetime, end: datetime) -> tuple[int, int]:
    per = max(1, min(settings.LOGS_SYNC_PAGE_SIZE, MAX_PER))
    path = f"/v4/buildings/{ctx.building.bmx_id}/{'access_logs' if ctx.stream == Stream.ACCESS else 'calls'}"
    params = ransack(logged_at_gteq=start, logged_at_lteq=end)
    first = ctx.client.request("GET", path, params={**params, "page": 1, "per": per}) or {}
    total_pages = int((first.get("page_info") or {}).get("total_pages") or 1)
    buffered = ctx.parse(first.get("data") or [])
    rows = 0
    if total_pages > 1:
        token = ctx.client.token()
        local = threading.local()

        def fetch(page: int) -> list[dict]:
            if not hasattr(local, "client"):
                local.client = BmxClient(token, max_wait=settings.LOGS_SYNC_MAX_WAIT_S, background=True)
            body = local.client.request("GET", path, params={**params, "page": page, "per": per}) or {}
            return body.get("data") or []

        with ThreadPoolExecutor(max_workers=settings.LOGS_SYNC_FETCH_THREADS) as pool:
            for items in pool.map(fetch, range(2, total_pages + 1)):
                buffered.extend(ctx.parse(items))
                if len(buffered) >= FLUSH_ROWS:
                    rows += rows_upsert(stream=ctx.stream, rows=buffered)
                    buffered = []
                    lease_renew(cursor_id=ctx.cursor.pk, owner=ctx.owner)
    rows += rows_upsert(stream=ctx.stream, rows=buffered)
    lease_renew(cursor_id=ctx.cursor.pk, owner=ctx.owner)
    return rows, total_pages


def _fail(cursor: SyncCursor, message: str) -> SyncOutcome:
    SyncCursor.objects.filter(pk=cursor.pk).update(last_error=message[:500], last_error_at=timezone.now())
    return SyncOutcome("error", error=message)


def _error_words(exc: BmxError) -> str:
    if exc.status == 429 and exc.retry_after is not None:
        return f"ButterflyMX asked us to slow down; the sync waits {int(exc.retry_after)} s and tries again."
    return exc.human_message
