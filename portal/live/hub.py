"""One pump per web process: it reads the outbox and fans new events out to that process's open streams.

Why an outbox read by each process, and not a broker's pub/sub: publishing is an INSERT (a Celery
worker, a webhook or a view needs nothing else), it works the same on SQLite and on PostgreSQL, a Redis
outage does not stop it, and a page that reconnects replays what it missed from the same table by
``Last-Event-ID``. The cost is one indexed query per process every ``LIVE_POLL_S`` (250 ms), whatever
the number of open pages.

**The outbox gap.** Ids are taken when a row is inserted but become visible when its transaction
commits, and two processes' commits can land out of order (id 11 visible before id 10). Trusting
``id > last`` alone would skip id 10 for good. So the pump remembers the ids it jumped over (``gaps``)
and asks for them again, by primary key, for ``LIVE_GAP_S``; an id is delivered at most once, either
as new (above the mark) or as a gap filled (removed from the gaps as it is delivered). Most gaps are
ids that never commit (a rolled-back insert); they simply expire.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max, Q

from .models import LiveEvent

logger = logging.getLogger(__name__)

MAX_GAPS = 1000  # a sequence that jumps (PostgreSQL after a crash skips its cache) is no thousand lost rows
READ_LIMIT = 500  # rows per read; a full read is followed by another at once


@dataclass(frozen=True, slots=True)
class Event:
    """One outbox row, with its ``data:`` line encoded once for every stream that gets it."""

    id: int
    audience: str
    kind: str
    data: str  # the JSON the browser reads: {"kind": ..., "payload": ...}

    @classmethod
    def from_row(cls, row: tuple) -> Event:
        event_id, audience, kind, payload = row
        return cls(event_id, audience, kind, json.dumps({"kind": kind, "payload": payload}, separators=(",", ":")))


def deduplicated(events: Iterable[Event]) -> list[Event]:
    """One event published to two audiences is two rows; a person in both (a manager who lives in the
    building) gets it once. Only within one read: the same news a second later is news again."""
    seen: set[tuple[str, str]] = set()
    out = []
    for event in events:
        key = (event.kind, event.data)
        if key not in seen:
            seen.add(key)
            out.append(event)
    return out


class Subscription:
    """One open stream: the audiences it hears and the events waiting to be written to it."""

    __slots__ = ("audiences", "queue")

    def __init__(self, audiences: frozenset[str], maxsize: int):
        self.audiences = audiences
        # None means "stop": the page fell too far behind and reconnects (replaying by Last-Event-ID).
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


def read_outbox(after: int | None, gaps: list[int]) -> tuple[int | None, list[tuple]]:
    """(the highest id, []) on the first read; then the rows above ``after`` and those of ``gaps``
    that have committed since, in id order. Runs in the pump's own thread (one database connection)."""
    if after is None:
        return LiveEvent.objects.aggregate(last=Max("id"))["last"] or 0, []
    where = Q(id__gt=after) | Q(id__in=gaps) if gaps else Q(id__gt=after)
    rows = LiveEvent.objects.filter(where).order_by("id").values_list("id", "audience", "kind", "payload")
    return after, list(rows[:READ_LIMIT])


def close_connection() -> None:
    """Close this thread's database connection (``connection`` names the calling thread's)."""
    connection.close()


def read_replay(audiences: Iterable[str], after: int | None, since: datetime | None, limit: int) -> list[tuple]:
    """What a page missed: its audiences' rows above its ``Last-Event-ID`` (a reconnect), or published
    since the page was rendered (its first connection)."""
    query = LiveEvent.objects.filter(audience__in=sorted(audiences))
    query = query.filter(id__gt=after) if after is not None else query.filter(created_at__gte=since)
    return list(query.order_by("id").values_list("id", "audience", "kind", "payload")[:limit])


class Hub:
    """The process's open streams by audience, and the pump that feeds them."""

    def __init__(self) -> None:
        self.by_audience: dict[str, set[Subscription]] = defaultdict(set)
        self.last_id: int | None = None
        self.gaps: dict[int, float] = {}  # id jumped over -> monotonic time after which it is given up
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._marked: asyncio.Event | None = None  # set once the pump knows where the outbox ends
        # One thread, so one database connection, for every outbox read of this process.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-outbox")

    # --- streams -------------------------------------------------------------------------------

    def subscribe(self, audiences: Iterable[str]) -> Subscription:
        self._ensure_pump()
        subscription = Subscription(frozenset(audiences), settings.LIVE_QUEUE_MAX)
        for audience in subscription.audiences:
            self.by_audience[audience].add(subscription)
        return subscription

    async def ready(self, timeout: float = 5.0) -> None:
        """Wait until the pump has read where the outbox ends (its first read), so that an event
        published after this returns reaches the subscriptions made before it. A database that does
        not answer in ``timeout`` does not hold the page: it gets its stream, and events once it does."""
        if self._marked is not None and not self._marked.is_set():
            try:
                await asyncio.wait_for(self._marked.wait(), timeout)
            except TimeoutError:
                pass

    def unsubscribe(self, subscription: Subscription) -> None:
        for audience in subscription.audiences:
            streams = self.by_audience.get(audience)
            if streams is not None:
                streams.discard(subscription)
                if not streams:
                    del self.by_audience[audience]

    async def replay(
        self, audiences: Iterable[str], *, after: int | None = None, since: datetime | None = None
    ) -> list[Event]:
        if after is None and since is None:
            return []  # a first connection from a page that did not say when it was rendered
        rows = await self._in_thread(read_replay, frozenset(audiences), after, since, settings.LIVE_REPLAY_LIMIT)
        return deduplicated(Event.from_row(row) for row in rows)

    async def close(self) -> None:
        """Stop the pump and close its database connection (tests, and a server shutting down)."""
        if self._task is not None:
            self._task.cancel()
        await self._in_thread(close_connection)

    # --- the pump ------------------------------------------------------------------------------

    def _ensure_pump(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop = loop
        self.last_id = None
        self.gaps.clear()
        self._marked = asyncio.Event()
        # A context of its own: the pump outlives the request that happened to start it.
        self._task = loop.create_task(self._pump(), context=contextvars.Context())

    async def _in_thread(self, func, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def _pump(self) -> None:
        failing = False
        while True:
            try:
                full = await self.poll_once()
            except Exception as exc:  # the pump must outlive any one failure: every open page depends on it
                if not failing:
                    if isinstance(exc, DatabaseError):
                        logger.warning("live: reading the outbox failed (%s); retrying", type(exc).__name__)
                    else:
                        logger.exception("live: the outbox pump failed; retrying")
                failing = True
                await self._in_thread(close_connection)  # a dead connection is opened afresh next time
                await asyncio.sleep(settings.LIVE_RETRY_MS / 1000)
                continue
            if failing:
                logger.info("live: reading the outbox again")
                failing = False
            if self._marked is not None:
                self._marked.set()
            if not full:
                await asyncio.sleep(settings.LIVE_POLL_S)

    async def poll_once(self) -> bool:
        """Read once and fan out; True when the read was full (more is waiting)."""
        now = time.monotonic()
        for gap, give_up_at in list(self.gaps.items()):
            if give_up_at < now:
                del self.gaps[gap]
        mark, rows = await self._in_thread(read_outbox, self.last_id, sorted(self.gaps))
        if self.last_id is None:
            self.last_id = mark
            return False
        fresh = []
        for row in rows:
            event_id = row[0]
            if event_id > self.last_id:
                for missing in range(self.last_id + 1, event_id):
                    if len(self.gaps) >= MAX_GAPS:
                        break
                    self.gaps[missing] = now + settings.LIVE_GAP_S
                self.last_id = event_id
            elif self.gaps.pop(event_id, None) is None:
                continue  # delivered already
            fresh.append(Event.from_row(row))
        self.fan_out(fresh)
        return len(rows) >= READ_LIMIT

    def fan_out(self, events: list[Event]) -> None:
        batches: dict[Subscription, list[Event]] = defaultdict(list)
        for event in events:
            for subscription in self.by_audience.get(event.audience, ()):
                batches[subscription].append(event)
        for subscription, batch in batches.items():
            for event in deduplicated(batch):
                subscription.offer(event)


hub = Hub()
