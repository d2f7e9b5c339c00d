"""The sync of one building's access log or call log from ButterflyMX into the local tables.

Two kinds of work per building stream, each under a lease of its own, so neither waits for the other:

1. **the walk** (:func:`walk_run`, incremental): newest-first from ``high_water - overlap`` with no
   upper bound. New entries arriving during the walk push older ones onto later pages, so an entry can
   be read twice (the upsert de-duplicates) but is never skipped. The high-water mark becomes the newest
   ``logged_at`` read, never later than now + ``LOGS_SYNC_FUTURE_SKEW_S`` (an entry dated in the future
   must not hide the ones that follow it), and only once the walk reached the last page: a run killed
   half-way re-reads next time.
2. **history** (:func:`history_run`), in slices of about ``LOGS_HISTORY_SLICE_S`` that the task
   re-enqueues at the back of the queue, so no building waits behind another's big history:
   - the **backfill** of a newly connected building, back to ``LOGS_BACKFILL_DAYS``, in closed time
     chunks walked newest first, each upserted in bulk (COPY on PostgreSQL) and its progress saved;
   - the **re-scan** of entries that reach ButterflyMX late (a panel uploading what it buffered while
     offline): every ``LOGS_RESCAN_INTERVAL_S`` the last ``LOGS_RESCAN_HOURS``, and every
     ``LOGS_RESCAN_DEEP_INTERVAL_S`` the last ``LOGS_RESCAN_DEEP_DAYS`` days, in the same chunks,
     resumable the same way.

Leases (:func:`lease_acquire`) are conditional UPDATEs on the cursor row with an expiry: they work the
same on SQLite and PostgreSQL and need no Redis. They are short (``LOGS_SYNC_LEASE_S``) and renewed by
a heartbeat thread (:class:`Heartbeat`) while the run works, so a SIGKILLed worker's lease runs out in
seconds, and the watchdog (``logs.tasks.sync_watchdog_task``) enqueues the abandoned work at once.

A walk task that finds the walk lease held leaves ``walk_again`` on the cursor; the holder walks once
more after its own walk, so a webhook nudge that arrives mid-walk is never dropped. Which tasks are
queued (one pending task per building, stream and kind: the claims) is :mod:`logs.tasks`'s business.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from passes.usage import pass_usage_from_log
from portal.butterflymx import BmxError
from portal.butterflymx.client import MAX_PER, BmxClient, ransack
from portal.core.crypto import fast_encryptor
from portal.live import bus
from tenants.models import AccessPoint, BmxLink, Building, Device, Unit
from tenants.services import REFRESH_MARGIN, client_for_link, link_access_token

from . import parsing
from .models import AccessLogEntry, ReleaseMethod, Stream, SyncCursor
from .signals import access_entries_stored
from .tenant_streams import tenant_scope
from .upsert import rows_upsert, unchanged_remote_ids

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
_STATUS = parsing.LOG_COLUMNS.index("release_status")


# Where ``logged_at`` sits in a parsed row of either stream (the walk's high-water mark reads it).
_LOGGED_AT_ANY = parsing.LOG_COLUMNS.index("logged_at")
assert parsing.CALL_COLUMNS.index("logged_at") == _LOGGED_AT_ANY
# And the row's unit, per stream (the live "logs.new" event goes to the units that got rows).
_UNIT = {Stream.ACCESS: parsing.LOG_COLUMNS.index("unit_id"), Stream.CALLS: parsing.CALL_COLUMNS.index("unit_id")}


class LeaseLost(Exception):
    """Another run took over (our lease expired): stop without moving the mark."""


@dataclass
class SyncOutcome:
    status: str  # done | busy | more | error | retry | idle (a tenant stream with nothing to do)
    rows: int = 0
    retry_after: float | None = None
    error: str = ""
    details: dict = field(default_factory=dict)
    cursor: SyncCursor | None = None  # a finished walk's cursor as it left it (the task reads history fields)


WALK, HISTORY = "walk", "history"
# Per kind of work: (owner field, expiry field) of its lease, and the field of its claim (logs.tasks).
LEASE_FIELDS = {WALK: ("lease_owner", "lease_expires_at"), HISTORY: ("history_owner", "history_expires_at")}
CLAIM_FIELDS = {WALK: "sync_requested_at", HISTORY: "history_queued_at"}


# --- leases, heartbeat, claims, backoff -----------------------------------------------------------


def cursor_for(building: Building | int, stream: str, link_id: int | None = None) -> SyncCursor:
    """The cursor of a building's stream, or with ``link_id`` of a resident's own view of it (a tenant
    stream, :mod:`logs.tenant_streams`)."""
    building_id = building if isinstance(building, int) else building.pk
    cursor, _ = SyncCursor.objects.get_or_create(building_id=building_id, stream=stream, link_id=link_id)
    return cursor


def new_owner() -> str:
    """A lease owner naming its process (host:pid:random), so an operator (or a test) can tell who holds it."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def lease_acquire(*, cursor_id: int, owner: str, seconds: float | None = None, kind: str = WALK) -> bool:
    """Take the lease if nobody holds an unexpired one. Atomic: one UPDATE, decided by its row count."""
    owner_field, expiry_field = LEASE_FIELDS[kind]
    now = timezone.now()
    seconds = seconds or settings.LOGS_SYNC_LEASE_S
    free = Q(**{f"{expiry_field}__isnull": True}) | Q(**{f"{expiry_field}__lt": now}) | Q(**{owner_field: owner})
    taken = SyncCursor.objects.filter(free, pk=cursor_id).update(
        **{owner_field: owner, expiry_field: now + timedelta(seconds=seconds)}
    )
    return taken == 1


def lease_renew(*, cursor_id: int, owner: str, kind: str = WALK) -> None:
    owner_field, expiry_field = LEASE_FIELDS[kind]
    until = timezone.now() + timedelta(seconds=settings.LOGS_SYNC_LEASE_S)
    if not SyncCursor.objects.filter(pk=cursor_id, **{owner_field: owner}).update(**{expiry_field: until}):
        raise LeaseLost()


def lease_release(*, cursor_id: int, owner: str, kind: str = WALK) -> None:
    owner_field, expiry_field = LEASE_FIELDS[kind]
    SyncCursor.objects.filter(pk=cursor_id, **{owner_field: owner}).update(**{owner_field: "", expiry_field: None})


def heartbeat_interval_s() -> float:
    """How often a holder renews its lease: a few renewals fit in one lease, so one slow write is harmless."""
    return max(0.2, min(settings.LOGS_SYNC_HEARTBEAT_S, settings.LOGS_SYNC_LEASE_S / 3))


class Heartbeat:
    """Keeps a lease alive while the run works: renewed every :func:`heartbeat_interval_s` by the
    process's one renewer thread (:class:`_Renewer`), on that thread's own database connection.

    Most runs (a walk finding a few new entries) end long before their first renewal is due: they only
    register and unregister here, without starting a thread or opening a connection. A run that lasts
    is renewed while it waits on ButterflyMX or writes a big batch. Inside an atomic block (a caller's
    transaction, as in tests) another connection could not see the cursor row, so there the run
    renews inline instead, at each :meth:`check`. :meth:`check` raises :class:`LeaseLost` once a
    renewal found the lease taken over.
    """

    def __init__(self, *, cursor_id: int, owner: str, kind: str):
        self.cursor_id, self.owner, self.kind = cursor_id, owner, kind
        self.lost = False
        self.renewed_at = time.monotonic()  # the lease was taken (or renewed) just before the run
        self._inline = not transaction.get_autocommit()  # inside a caller's transaction

    def __enter__(self) -> Heartbeat:
        if not self._inline:
            _renewer().add(self)
        return self

    def __exit__(self, *exc) -> None:
        if not self._inline:
            _renewer().remove(self)

    def renew(self) -> None:
        """One renewal (the renewer thread's call); sets :attr:`lost` when the lease was taken over."""
        try:
            lease_renew(cursor_id=self.cursor_id, owner=self.owner, kind=self.kind)
            self.renewed_at = time.monotonic()
        except LeaseLost:
            self.lost = True
        except DatabaseError as exc:  # a blip: the next beat tries again before the lease runs out
            logger.warning("lease renewal of cursor %s failed: %s", self.cursor_id, type(exc).__name__)

    def check(self) -> None:
        if self._inline:
            lease_renew(cursor_id=self.cursor_id, owner=self.owner, kind=self.kind)
        elif self.lost:
            raise LeaseLost()


class _Renewer:
    """The process's lease renewer: one daemon thread, started by the first run that registers, which
    renews each registered lease once its interval has passed, and sleeps while none is registered.
    Its database connection is closed whenever it falls idle, so an idle worker holds none."""

    def __init__(self):
        self._lock = threading.Lock()
        self._beats: dict[int, Heartbeat] = {}
        self._changed = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, beat: Heartbeat) -> None:
        with self._lock:
            self._beats[id(beat)] = beat
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lease-renewer", daemon=True)
                self._thread.start()
        self._changed.set()

    def remove(self, beat: Heartbeat) -> None:
        with self._lock:
            self._beats.pop(id(beat), None)

    def _run(self) -> None:
        while True:
            with self._lock:
                beats = list(self._beats.values())
            if not beats:
                connections.close_all()  # this thread's own connection, if a renewal opened one
                self._changed.wait()
                self._changed.clear()
                continue
            interval = heartbeat_interval_s()
            now = time.monotonic()
            for beat in beats:
                if not beat.lost and now - beat.renewed_at >= interval:
                    with self._lock:
                        current = id(beat) in self._beats
                    if current:
                        beat.renew()
            waits = [interval - (time.monotonic() - beat.renewed_at) for beat in beats if not beat.lost]
            self._changed.wait(max(0.05, min(waits, default=interval)))
            self._changed.clear()


_renewer_instance: _Renewer | None = None
_renewer_lock = threading.Lock()


def _renewer() -> _Renewer:
    global _renewer_instance
    with _renewer_lock:
        if _renewer_instance is None:
            _renewer_instance = _Renewer()
        return _renewer_instance


def _forget_renewer_after_fork() -> None:
    """A forked child (a Celery pool process) has no renewer thread: it starts its own when needed."""
    global _renewer_instance, _renewer_lock
    _renewer_instance = None
    _renewer_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_renewer_after_fork)


def claim(*, cursor_id: int, kind: str, countdown: float = 0.0, lost_before: datetime | None = None) -> bool:
    """Take the claim of ``kind`` (a task of that kind is queued, due in ``countdown`` s). Atomic.

    False when another claim stands: its task will do the work. A claim older than
    ``LOGS_SYNC_CLAIM_STALE_S`` past its due time is taken over (its message was lost), and so is one due
    before ``lost_before``: the watchdog passes the time a dead holder's lease ran out, because a task
    queued while that holder lived may have been sitting in the dead worker's prefetch, lost with it.
    If it was not, two tasks are queued and the lease lets only one of them work.
    """
    name = CLAIM_FIELDS[kind]
    now = timezone.now()
    stale = now - timedelta(seconds=settings.LOGS_SYNC_CLAIM_STALE_S)
    if lost_before is not None:
        stale = max(stale, lost_before)
    free = Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lt": stale})
    due = now + timedelta(seconds=max(0.0, countdown))
    return SyncCursor.objects.filter(free, pk=cursor_id).update(**{name: due}) == 1


def claim_release(*, cursor_id: int, kind: str) -> None:
    SyncCursor.objects.filter(pk=cursor_id).update(**{CLAIM_FIELDS[kind]: None})


def backoff_remaining_s(cursor: SyncCursor) -> float:
    """Seconds until the stream's error backoff ends (0 when there is none)."""
    if cursor.next_attempt_at is None:
        return 0.0
    return max(0.0, (cursor.next_attempt_at - timezone.now()).total_seconds())


def _backoff_s(streak: int) -> float:
    """The wait after ``streak`` failures in a row: doubling, capped, jittered (buildings spread apart)."""
    base, cap = settings.LOGS_SYNC_BACKOFF_BASE_S, settings.LOGS_SYNC_BACKOFF_MAX_S
    return min(cap, base * 2 ** max(0, streak - 1)) * random.uniform(0.75, 1.0)


# --- lookups and parsing --------------------------------------------------------------------------


@dataclass
class Context:
    building: Building
    stream: str
    cursor: SyncCursor
    owner: str
    client: object
    encrypt: object
    rows: int = 0
    skipped: int = 0
    # (tenant id, keychain id, logged_at) of new visitor-pass entries: their passes' use counts follow.
    visitor_uses: list = field(default_factory=list)
    heartbeat: Heartbeat | None = None
    # A tenant stream's units (local ids): rows of any other unit are never stored (logs.tenant_streams).
    # None for a building's own stream, which stores every row of the building.
    units_only: frozenset[int] | None = None
    foreign: int = 0  # rows a tenant stream's listing held for another unit, dropped
    _lookups: tuple | None = None

    @property
    def lookups(self) -> tuple[dict, dict, dict]:
        """(doors, devices, units) of the building, read on first use: a walk whose every record is
        stored unchanged (:meth:`fresh`) parses nothing and needs none."""
        if self._lookups is None:
            self._lookups = lookups(self.building, self.stream)
        return self._lookups

    def fresh(self, records: list) -> tuple[list, datetime | None]:
        """The records that are new or changed (the rest is stored as it would be written again), and
        the newest ``logged_at`` among those left out (the walk's high-water mark counts them too)."""
        same = unchanged_remote_ids(stream=self.stream, building_id=self.building.pk, records=records)
        if not same:
            return records, None
        newest = None
        kept = []
        for record in records:
            if isinstance(record, dict) and record.get("id") in same:
                logged_at = parsing.parse_time(record.get("logged_at"))
                if logged_at is not None and (newest is None or logged_at > newest):
                    newest = logged_at
            else:
                kept.append(record)
        return kept, newest

    def alive(self) -> None:
        """Raise :class:`LeaseLost` if our lease was taken over (checked between pages and batches)."""
        if self.heartbeat is not None:
            self.heartbeat.check()

    def parse(self, records: list[dict]) -> list[tuple]:
        if not records:
            return []
        now = timezone.now()
        doors, devices, units = self.lookups
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
                        doors=doors,
                        units=units,
                        synced_at=now,
                        encrypt=self.encrypt,
                    )
                    out.append(row)
                else:
                    out.append(
                        parsing.call_row(
                            record,
                            building_id=self.building.pk,
                            devices=devices,
                            units=units,
                            synced_at=now,
                            encrypt=self.encrypt,
                        )
                    )
            except parsing.RecordError as exc:
                self.skipped += 1  # one malformed record must not stop the building's sync
                logger.warning("Skipped a %s record of building %s: %s", self.stream, self.building.pk, exc)
        if self.units_only is not None:
            out = self._own_units_only(out)
        if self.stream == Stream.ACCESS:
            self._note_visitor_uses(out)
        return out

    def _own_units_only(self, rows: list[tuple]) -> list[tuple]:
        """A tenant stream keeps the rows of its own units only: the resident's scope (tenants.scope)
        is their units, so nothing a tenant token lists can put a neighbour's row in front of anyone."""
        unit_at = _UNIT[self.stream]
        kept = [row for row in rows if row[unit_at] in self.units_only]
        if len(kept) != len(rows):
            self.foreign += len(rows) - len(kept)
            logger.warning(
                "a tenant stream of building %s listed %s %s row(s) of other units: not stored",
                self.building.pk,
                len(rows) - len(kept),
                self.stream,
            )
        return kept

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


def lookups(building: Building, stream: str | None = None) -> tuple[dict, dict, dict]:
    """(doors, devices, units) by ButterflyMX id; with ``stream``, only what its rows link (access rows
    name doors, calls devices), the other left empty.

    One plain SQL statement (a UNION of the two or three tables) rather than a query per table: a
    steady-state walk that finds one new entry pays for this lookup, and building the ORM queries cost
    more CPU than the database spent answering them.
    """
    tables = [("unit", Unit._meta.db_table, "label")]
    if stream in (None, Stream.ACCESS):
        tables.append(("door", AccessPoint._meta.db_table, "''"))
    if stream in (None, Stream.CALLS):
        tables.append(("device", Device._meta.db_table, "''"))
    sql = " UNION ALL ".join(
        f"SELECT '{kind}', bmx_id, id, {label} FROM {table} WHERE building_id = %s AND bmx_id IS NOT NULL"
        for kind, table, label in tables
    )
    found: dict[str, dict] = {"unit": {}, "door": {}, "device": {}}
    with connection.cursor() as cursor:
        cursor.execute(sql, [building.pk] * len(tables))
        for kind, bmx_id, pk, label in cursor.fetchall():
            found[kind][bmx_id] = (pk, label) if kind == "unit" else pk
    return found["door"], found["device"], found["unit"]


def encryptor():
    """AES-GCM rather than Fernet: one snapshot URL per row, and Fernet cost more than the rest of parsing."""
    return fast_encryptor()


# --- the walk -------------------------------------------------------------------------------------


def stream_sync(
    *,
    building_id: int,
    stream: str,
    owner: str | None = None,
    budget_s: float | None = None,
    link_id: int | None = None,
) -> SyncOutcome:
    """Sync one building's stream in this process: the walk, then history slices within ``budget_s``.

    The tasks run the two apart (:mod:`logs.tasks`); this is for tests, benches and the shell.
    "more" when history work remains after the budget.
    """
    walk = walk_run(building_id=building_id, stream=stream, owner=owner, link_id=link_id)
    if walk.status != "done":
        return walk
    deadline = time.monotonic() + (budget_s if budget_s is not None else settings.LOGS_SYNC_BUDGET_S)
    while True:
        history = history_run(
            building_id=building_id,
            stream=stream,
            owner=owner,
            slice_s=max(0.0, deadline - time.monotonic()),
            link_id=link_id,
        )
        walk.rows += history.rows
        if history.status in ("retry", "error"):
            return SyncOutcome(history.status, walk.rows, history.retry_after, history.error, walk.details)
        if history.status != "more" or time.monotonic() >= deadline:
            walk.status = "more" if history.status == "more" else "done"
            return walk


def walk_run(*, building_id: int, stream: str, owner: str | None = None, link_id: int | None = None) -> SyncOutcome:
    """The incremental walk of one building stream, under the walk lease.

    Busy (another holds the lease): leave ``walk_again`` for the holder and return "busy". Holding it:
    walk, release, and walk again while requests came in meanwhile (up to ``LOGS_SYNC_REWALKS`` times;
    past that ``details["requeue"]`` asks the task to queue one more at the back of the queue).
    """
    owner = owner or new_owner()
    cursor_id = None
    outcome = SyncOutcome("busy")
    for _ in range(settings.LOGS_SYNC_REWALKS + 1):
        cursor = _walk_take(building_id, stream, owner, link_id)
        if cursor is None and cursor_id is None:  # no cursor yet (a first walk), or another holds the lease
            cursor_id = cursor_for(Building.objects.get(pk=building_id), stream, link_id).pk  # DoesNotExist: gone
            cursor = _walk_take(building_id, stream, owner, link_id)
        if cursor is None:
            if _ask_holder_to_walk_again(cursor_id, owner):
                return outcome if outcome.status != "busy" else SyncOutcome("busy")
            cursor = _walk_take(building_id, stream, owner, link_id)  # freed just now: it is ours to take
            if cursor is None:
                return SyncOutcome("busy")
        cursor_id = cursor.pk
        try:
            outcome = _walk(cursor.building, cursor, owner)
        finally:
            released = _walk_release_if_done(cursor_id, owner)
            if not released:
                lease_release(cursor_id=cursor_id, owner=owner)
        if released or outcome.status != "done" or not _walk_again_requested(cursor_id):
            return outcome
    outcome.details["requeue"] = True
    return outcome


def _walk_take(building_id: int, stream: str, owner: str, link_id: int | None = None) -> SyncCursor | None:
    """Take the walk lease and start an attempt, in one UPDATE (as :func:`lease_acquire` decides), then
    read the cursor with its building and link in one query. None when another holds the lease (or the
    stream has no cursor yet).

    The attempt clears the walk's claim and ``walk_again``: this walk reads everything logged so far, so
    requests made until now are served by it.
    """
    now = timezone.now()
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(lease_owner=owner)
    taken = SyncCursor.objects.filter(free, building_id=building_id, stream=stream, link_id=link_id).update(
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=settings.LOGS_SYNC_LEASE_S),
        last_attempt_at=now,
        sync_requested_at=None,
        walk_again=False,
    )
    if not taken:
        return None
    return SyncCursor.objects.select_related("building__admin_link", "link").get(
        building_id=building_id, stream=stream, link_id=link_id
    )


def _walk_release_if_done(cursor_id: int, owner: str) -> bool:
    """Release the walk lease unless a walk was asked for meanwhile (one UPDATE for the usual case).
    False when ``walk_again`` is set (or the lease was lost): the caller releases and looks."""
    return (
        SyncCursor.objects.filter(pk=cursor_id, lease_owner=owner, walk_again=False).update(
            lease_owner="", lease_expires_at=None
        )
        == 1
    )


def _ask_holder_to_walk_again(cursor_id: int, owner: str) -> bool:
    """Mark ``walk_again`` if (and only if) someone else holds an unexpired walk lease. Atomic, so the
    holder either sees the mark when it releases, or has released already and we get the lease."""
    held = ~Q(lease_owner="") & ~Q(lease_owner=owner) & Q(lease_expires_at__gte=timezone.now())
    return SyncCursor.objects.filter(held, pk=cursor_id).update(walk_again=True) == 1


def _walk_again_requested(cursor_id: int) -> bool:
    return SyncCursor.objects.filter(pk=cursor_id, walk_again=True).update(walk_again=False) == 1


def _context(
    building: Building,
    cursor: SyncCursor,
    owner: str,
    *,
    walk: bool = False,
    units_only: frozenset[int] | None = None,
) -> Context:
    """The run's context; a tenant stream reads with the resident's own link and keeps ``units_only``."""
    options = {"max_wait": settings.LOGS_SYNC_MAX_WAIT_S, "background": True}
    link = cursor.link if cursor.link_id is not None else building.admin_link
    if walk:  # one thread: the token the walk's own query read (and decrypted) already
        client = BmxClient(_WalkToken(link), **options)
    else:  # history's fetch threads share the link's thread-safe provider
        client = client_for_link(link, **options)
    ctx = Context(building, cursor.stream, cursor, owner, client, encryptor())
    ctx.units_only = units_only
    return ctx


class _WalkToken:
    """A walk's token provider: the access token of the link as :func:`_walk_take` read it with the
    cursor, while it is usable (as :func:`link_access_token` decides, by the same margin), so a walk
    reads and decrypts the link once rather than twice. Near expiry, and after a 401, the link decides:
    the 401 passes the token sent as the rejected one, so a token another process refreshed meanwhile
    is picked up without a second refresh, and only a token still current is refreshed."""

    def __init__(self, link: BmxLink):
        self.link_id = link.pk
        usable = link.expires_at - timezone.now() > REFRESH_MARGIN
        self._token: str | None = link.access_token if usable else None

    def __call__(self, force_refresh: bool) -> str:
        if force_refresh:
            self._token = link_access_token(link_id=self.link_id, rejected_token=self._token)
        elif self._token is None:
            self._token = link_access_token(link_id=self.link_id)
        return self._token


def _connected(building: Building) -> bool:
    return building.bmx_id is not None and building.admin_link is not None and building.admin_link.is_active


NOT_CONNECTED = "This building is not connected to a ButterflyMX building-admin account."
# A tenant stream with nothing to do: its building's own sync took over, or the resident left or
# unlinked. Nothing is recorded and nothing follows; beat no longer queues it.
IDLE = "idle"


def _walk(building: Building, cursor: SyncCursor, owner: str) -> SyncOutcome:
    units_only = None
    if cursor.link_id is not None:
        units_only = tenant_scope(building=building, link=cursor.link)
        if units_only is None:
            return SyncOutcome(IDLE)
    elif not _connected(building):
        return _failed(cursor, NOT_CONNECTED)
    if cursor.high_water is None and cursor.backfill_from is None:
        _plan_history(cursor, timezone.now())
    ctx = _context(building, cursor, owner, walk=True, units_only=units_only)
    try:
        with Heartbeat(cursor_id=cursor.pk, owner=owner, kind=WALK) as beat:
            ctx.heartbeat = beat
            _incremental(ctx)
    except LeaseLost:
        return SyncOutcome("busy", rows=ctx.rows)
    except BmxError as exc:
        return _bmx_failed(cursor, exc, ctx.rows)
    details = {"skipped": ctx.skipped, "passes_recounted": _recount_passes(ctx)}
    return SyncOutcome("done", rows=ctx.rows, details=details, cursor=cursor)


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


def _plan_history(cursor: SyncCursor, now: datetime) -> None:
    """A stream's first run: its backfill (when configured), and the re-scans counted from now."""
    cursor.rescan_planned_at = cursor.deep_rescan_planned_at = now
    fields = ["rescan_planned_at", "deep_rescan_planned_at", "updated_at"]
    days = settings.LOGS_BACKFILL_DAYS
    if days > 0:
        cursor.backfill_from = now - timedelta(days=days)
        cursor.backfill_until = now
        cursor.backfill_reached = now
        fields += ["backfill_from", "backfill_until", "backfill_reached"]
    cursor.save(update_fields=fields)


def _store(ctx: Context, rows: list[tuple], source: str) -> int:
    """Upsert ``rows``, then tell the receivers of :data:`logs.signals.access_entries_stored` (arrivals
    and alerts, ``portal.alerts``) about access-log rows, right after they are committed, so a visitor's
    arrival is told within the walk that read it. A receiver's error is logged, never the sync's."""
    stored = rows_upsert(stream=ctx.stream, rows=rows)
    if stored and ctx.stream == Stream.ACCESS:
        entries = [(row[_REMOTE_ID], row[_LOGGED_AT], row[_METHOD], row[_STATUS]) for row in rows]
        for _receiver, result in access_entries_stored.send_robust(
            sender=Stream.ACCESS, building_id=ctx.building.pk, entries=entries, source=source
        ):
            if isinstance(result, Exception):
                logger.error(
                    "a receiver of new access-log entries failed (building %s): %r",
                    ctx.building.pk,
                    result,
                    exc_info=(type(result), result, result.__traceback__),
                )
    return stored


def future_limit() -> datetime:
    """The latest high-water mark allowed: now plus a small clock skew. An entry dated later (a clock
    briefly wrong at ButterflyMX) is kept, but the walk keeps looking from the present."""
    return timezone.now() + timedelta(seconds=settings.LOGS_SYNC_FUTURE_SKEW_S)


def _incremental(ctx: Context) -> None:
    cursor = ctx.cursor
    overlap = timedelta(seconds=settings.LOGS_SYNC_OVERLAP_S)
    limit = future_limit()
    mark = min(cursor.high_water, limit) if cursor.high_water is not None else None  # heals a mark set too far
    if mark is not None:
        since = mark - overlap
    elif cursor.backfill_until is not None:
        since = cursor.backfill_until - overlap  # the backfill covers what lies before
    else:
        since = None
    newest = mark
    run_rows = 0
    units: set[int] = set()
    unit_at = _UNIT[ctx.stream]
    for records, _info in ctx.pages(since=since):
        records, newest_unchanged = ctx.fresh(records)  # the overlap re-reads stored entries
        if newest_unchanged is not None and (newest is None or newest_unchanged > newest):
            newest = newest_unchanged
        rows = ctx.parse(records)
        run_rows += _store(ctx, rows, WALK)
        for row in rows:
            if newest is None or row[_LOGGED_AT_ANY] > newest:
                newest = row[_LOGGED_AT_ANY]
            if row[unit_at] is not None:
                units.add(row[unit_at])
        ctx.alive()
    ctx.rows += run_rows
    # The walk reached the last page: only now may the mark move, and never past the present.
    high_water = newest or cursor.backfill_until or cursor.high_water
    if high_water is not None:
        high_water = min(high_water, limit)
    SyncCursor.objects.filter(pk=cursor.pk).update(
        high_water=high_water,
        last_success_at=timezone.now(),
        last_run_rows=run_rows,
        rows_synced=F("rows_synced") + run_rows,
        **SUCCEEDED,  # in the same statement: one round trip less per walk
    )
    cursor.high_water = high_water
    if run_rows:
        logs_new_announce(building_id=ctx.building.pk, stream=ctx.stream, unit_ids=units)


def logs_new_announce(*, building_id: int, stream: str, unit_ids: Iterable[int]) -> None:
    """New or changed rows of a building's stream: its front desk hears it, and each unit that got rows
    hears it alone (a unit's payload names only that unit; never a neighbour's rows or ids)."""
    desk = ("logs.new", {"building": building_id, "stream": stream}, [bus.desk(building_id)])
    units = [
        ("logs.new", {"building": building_id, "stream": stream, "unit": unit_id}, [bus.unit(unit_id)])
        for unit_id in sorted(set(unit_ids))
    ]
    bus.publish_all([desk, *units])  # one INSERT for them all


# --- history: backfill and re-scan ----------------------------------------------------------------


def history_run(
    *,
    building_id: int,
    stream: str,
    owner: str | None = None,
    slice_s: float | None = None,
    link_id: int | None = None,
) -> SyncOutcome:
    """One slice of history work (backfill chunks, then a due re-scan) under the history lease.

    At least one chunk, then more until ``slice_s`` (default ``LOGS_HISTORY_SLICE_S``) is spent.
    "more" when work remains (the task queues the next slice at the back of the queue), "done" when
    none does, "busy" when another process holds the history lease (it continues on its own).
    """
    owner = owner or new_owner()
    building = Building.objects.select_related("admin_link").get(pk=building_id)
    cursor = cursor_for(building, stream, link_id)
    if not lease_acquire(cursor_id=cursor.pk, owner=owner, kind=HISTORY):
        return SyncOutcome("busy")
    try:
        SyncCursor.objects.filter(pk=cursor.pk).update(history_queued_at=None)
        cursor.refresh_from_db()
        units_only = None
        if cursor.link_id is not None:
            units_only = tenant_scope(building=building, link=cursor.link)
            if units_only is None:
                return SyncOutcome(IDLE)  # the building's own sync took over, or the resident left
        elif not _connected(building):
            return _failed(cursor, NOT_CONNECTED)
        if not history_pending(cursor):
            return SyncOutcome("done")
        ctx = _context(building, cursor, owner, units_only=units_only)
        deadline = time.monotonic() + (slice_s if slice_s is not None else settings.LOGS_HISTORY_SLICE_S)
        try:
            with Heartbeat(cursor_id=cursor.pk, owner=owner, kind=HISTORY) as beat:
                ctx.heartbeat = beat
                more = _history(ctx, deadline)
        except LeaseLost:
            return SyncOutcome("busy", rows=ctx.rows)
        except BmxError as exc:
            return _bmx_failed(cursor, exc, ctx.rows)
        _succeeded(cursor)
        details = {"skipped": ctx.skipped, "passes_recounted": _recount_passes(ctx)}
        return SyncOutcome("more" if more else "done", rows=ctx.rows, details=details)
    finally:
        lease_release(cursor_id=cursor.pk, owner=owner, kind=HISTORY)


def history_pending(cursor: SyncCursor) -> bool:
    """Whether the stream has history work: a backfill or re-scan under way, or a re-scan due."""
    if cursor.backfill_from is not None and cursor.backfill_finished_at is None:
        return True
    return cursor.rescan_from is not None or _rescan_due(cursor, timezone.now()) is not None


def _rescan_due(cursor: SyncCursor, now: datetime) -> timedelta | None:
    """The span of the re-scan due now (the deep one wins), or None. Never before the first walk."""
    if cursor.high_water is None:
        return None

    def due(planned_at, every_s) -> bool:
        return every_s > 0 and (planned_at is None or (now - planned_at).total_seconds() >= every_s)

    if due(cursor.deep_rescan_planned_at, settings.LOGS_RESCAN_DEEP_INTERVAL_S):
        return timedelta(days=settings.LOGS_RESCAN_DEEP_DAYS)
    if due(cursor.rescan_planned_at, settings.LOGS_RESCAN_INTERVAL_S):
        return timedelta(hours=settings.LOGS_RESCAN_HOURS)
    return None


def _plan_rescan(cursor: SyncCursor, now: datetime) -> bool:
    span = _rescan_due(cursor, now)
    if span is None:
        return False
    deep = span == timedelta(days=settings.LOGS_RESCAN_DEEP_DAYS) and settings.LOGS_RESCAN_DEEP_INTERVAL_S > 0
    cursor.rescan_from, cursor.rescan_until, cursor.rescan_reached = now - span, now, now
    cursor.rescan_planned_at = now
    fields = ["rescan_from", "rescan_until", "rescan_reached", "rescan_planned_at", "updated_at"]
    if deep:
        cursor.deep_rescan_planned_at = now
        fields.append("deep_rescan_planned_at")
    cursor.save(update_fields=fields)
    return True


@dataclass
class _Window:
    """A closed time window walked newest chunk first: the backfill's or the re-scan's fields."""

    prefix: str  # "backfill" | "rescan"
    start: datetime  # the oldest end
    reached: datetime  # done from the newest end back to here


def _current_window(cursor: SyncCursor) -> _Window | None:
    if cursor.backfill_from is not None and cursor.backfill_finished_at is None:
        return _Window("backfill", cursor.backfill_from, cursor.backfill_reached or cursor.backfill_until)
    if cursor.rescan_from is not None or _plan_rescan(cursor, timezone.now()):
        return _Window("rescan", cursor.rescan_from, cursor.rescan_reached or cursor.rescan_until)
    return None


def _history(ctx: Context, deadline: float) -> bool:
    """Walk chunks (backfill first, then the re-scan) until none remains or the slice is spent (after
    at least one chunk). True when more remains.

    A chunk is a closed window in the past, so its pages barely shift: after page 1 (which says how
    many pages there are) the others are fetched in parallel. The chunk length adapts to the
    building's traffic so a chunk stays between a few and a few dozen pages, and is kept on the cursor.
    """
    cursor = ctx.cursor
    chunk = timedelta(seconds=cursor.history_chunk_s or settings.LOGS_BACKFILL_CHUNK_HOURS * 3600)
    first = True
    while (window := _current_window(cursor)) is not None:
        if not first and time.monotonic() > deadline:
            return True
        first = False
        start = max(window.start, window.reached - chunk)
        chunk_rows, pages = _history_chunk(ctx, start, window.reached)
        ctx.rows += chunk_rows
        done = start <= window.start
        if pages < 5:
            chunk = min(chunk * 2, timedelta(days=30))
        elif pages > 40:
            chunk = max(chunk / 2, timedelta(minutes=10))
        progress = {"rows_synced": F("rows_synced") + chunk_rows, "history_chunk_s": int(chunk.total_seconds())}
        if window.prefix == "backfill":
            progress.update(backfill_reached=start, backfill_finished_at=timezone.now() if done else None)
            progress["last_success_at"] = timezone.now()
        elif done:
            progress.update(rescan_from=None, rescan_until=None, rescan_reached=None)
        else:
            progress.update(rescan_reached=start)
        SyncCursor.objects.filter(pk=cursor.pk, history_owner=ctx.owner).update(**progress)
        for name, value in progress.items():
            if name not in ("rows_synced", "last_success_at"):
                setattr(cursor, name, value)
    return False


def _history_chunk(ctx: Context, start: datetime, end: datetime) -> tuple[int, int]:
    """Read one closed window: page 1 here, the rest in parallel threads through the run's own client.

    The threads share ``ctx.client``: when a token refreshed elsewhere makes ButterflyMX answer 401,
    the client asks its provider for the new one (passing the rejected token), so no page is lost and
    nothing is mistaken for a link that needs re-linking.
    """
    per = max(1, min(settings.LOGS_SYNC_PAGE_SIZE, MAX_PER))
    path = f"/v4/buildings/{ctx.building.bmx_id}/{'access_logs' if ctx.stream == Stream.ACCESS else 'calls'}"
    params = ransack(logged_at_gteq=start, logged_at_lteq=end)
    first = ctx.client.request("GET", path, params={**params, "page": 1, "per": per}) or {}
    total_pages = int((first.get("page_info") or {}).get("total_pages") or 1)
    buffered = ctx.parse(first.get("data") or [])
    rows = 0
    if total_pages > 1:

        def fetch(page: int) -> list[dict]:
            try:
                body = ctx.client.request("GET", path, params={**params, "page": page, "per": per}) or {}
            finally:
                connections.close_all()  # a token read in this thread opened a connection of its own
            return body.get("data") or []

        with ThreadPoolExecutor(max_workers=settings.LOGS_SYNC_FETCH_THREADS) as pool:
            for items in pool.map(fetch, range(2, total_pages + 1)):
                buffered.extend(ctx.parse(items))
                if len(buffered) >= FLUSH_ROWS:
                    rows += _store(ctx, buffered, HISTORY)
                    buffered = []
                    ctx.alive()
    rows += _store(ctx, buffered, HISTORY)
    ctx.alive()
    return rows, total_pages


# --- outcomes ---------------------------------------------------------------------------------------


# What a success resets: the error shown, the streak and the backoff.
SUCCEEDED = {"last_error": "", "last_error_at": None, "error_streak": 0, "next_attempt_at": None}


def _succeeded(cursor: SyncCursor) -> None:
    SyncCursor.objects.filter(pk=cursor.pk).update(**SUCCEEDED)


def _failed(
    cursor: SyncCursor, message: str, *, rows: int = 0, retry_after: float | None = None, transient: bool = False
) -> SyncOutcome:
    """Record a failure and back this stream off alone while the other buildings sync on.

    A long ``Retry-After`` is waited out once ("retry" after it). Other errors double the stream's wait
    (``error_streak``, ``next_attempt_at``): a transient one (ButterflyMX down, errors the in-walk
    retries did not get past) is retried after that wait ("retry"); a lasting one (a broken link) is
    left to beat, which skips the stream until then ("error").
    """
    now = timezone.now()
    if retry_after is not None:
        SyncCursor.objects.filter(pk=cursor.pk).update(
            last_error=message[:500], last_error_at=now, next_attempt_at=now + timedelta(seconds=retry_after)
        )
        return SyncOutcome("retry", rows=rows, retry_after=retry_after, error=message)
    streak = (SyncCursor.objects.filter(pk=cursor.pk).values_list("error_streak", flat=True).first() or 0) + 1
    wait = _backoff_s(streak)
    SyncCursor.objects.filter(pk=cursor.pk).update(
        last_error=message[:500],
        last_error_at=now,
        error_streak=streak,
        next_attempt_at=now + timedelta(seconds=wait),
    )
    if transient:
        return SyncOutcome("retry", rows=rows, retry_after=wait, error=message)
    return SyncOutcome("error", rows=rows, error=message)


def _bmx_failed(cursor: SyncCursor, exc: BmxError, rows: int) -> SyncOutcome:
    message = _error_words(exc)
    if exc.retry_after is not None and exc.retry_after > settings.LOGS_SYNC_MAX_WAIT_S:
        return _failed(cursor, message, rows=rows, retry_after=exc.retry_after)
    return _failed(cursor, message, rows=rows, transient=exc.transient)


def _error_words(exc: BmxError) -> str:
    if exc.status == 429 and exc.retry_after is not None:
        return f"ButterflyMX asked us to slow down; the sync waits {int(exc.retry_after)} s and tries again."
    return exc.human_message
