"""Celery tasks of the logs app: thin, by id, calling :mod:`logs.sync` and the services.

One pending task per building, stream and kind of work (walk or history), never a growing queue:
whoever enqueues (beat, a webhook nudge, the watchdog, a task rescheduling itself) first takes that
kind's claim on the cursor (:func:`logs.sync.claim`, through :mod:`logs.dispatch`), and the task
clears it when it starts. So a
rate limit or an outage never piles up retries: a long ``Retry-After`` reschedules the task once,
through the claim, and other errors back the building off (``next_attempt_at``) while beat carries on
with the others.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
from concurrent.futures import Future
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.backends.signals import connection_created
from django.db.models import F, Q
from django.dispatch import receiver
from django.utils import timezone

from portal.butterflymx.budget import shared_budget
from tenants.models import Building

from .calls import calls_pass, intercom_tell_handled, pass_started
from .dispatch import enqueue, enqueue_walks
from .models import SyncCursor
from .registration import registration_attempt, registrations_maintain
from .retention import logs_prune
from .services import building_connected, tenant_linked, webhook_deliveries_prune
from .sync import (
    CLAIM_FIELDS,
    HISTORY,
    LEASE_FIELDS,
    WALK,
    SyncOutcome,
    cursor_for,
    history_pending,
    history_run,
    walk_run,
)
from .tenant_streams import tenant_registrations_maintain, tenant_stream_pairs, tenant_stream_q

logger = logging.getLogger(__name__)


def _queue(task) -> str | None:
    """The queue this task came from, so follow-ups go to the same workers."""
    info = getattr(task.request, "delivery_info", None) or {}
    return info.get("routing_key") or None


def _follow_up(
    queue: str | None, building_id: int, stream: str, kind: str, outcome: SyncOutcome, link_id: int | None = None
) -> None:
    """What a finished task queues next (on ``queue``): a long Retry-After waited out once, or the next slice."""
    if outcome.status == "retry" and outcome.retry_after is not None:
        countdown = outcome.retry_after + random.uniform(0, 1 + outcome.retry_after / 10)
        enqueue(building_id, stream, kind, countdown=countdown, queue=queue, link_id=link_id)
    elif outcome.status == "more" or outcome.details.get("requeue"):
        # at the back of the queue: others go first
        enqueue(building_id, stream, kind, queue=queue, link_id=link_id)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def sync_stream_task(self, building_id: int, stream: str, link_id: int | None = None) -> str:
    """The incremental walk of one building stream (with ``link_id``: a resident's own view of it,
    logs.tenant_streams); then its history work, queued if any is pending."""
    return _walk_task(_queue(self), building_id, stream, link_id)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def sync_streams_task(self, streams: list) -> list[str]:
    """The walks of several building streams (``[[building_id, stream], ...]``, or ``[.., .., link_id]``
    for a tenant stream; each claimed by :func:`enqueue_walks`): what beat queues for a portfolio, so the
    cost of a task (a message, a database connection) is paid once per batch rather than once per walk.

    A walk mostly waits (on ButterflyMX's answer and on the database), so the batch is walked on
    ``LOGS_SYNC_WALK_THREADS`` threads at once (:func:`_walk_batch`); the shared request budget still
    paces every request of every thread. Each walk is on its own: a failing one backs off alone (or,
    on an unexpected error, is logged and left to the next tick) while the others go on."""
    return _walk_batch(_queue(self), streams)


class _Walkers:
    """This worker process's walk threads, kept from batch to batch (``LOGS_SYNC_WALK_THREADS`` of them).

    Why kept rather than started per batch: each thread walks on a database connection of its own, and
    a new PostgreSQL connection costs its server a process and a cold catalog cache (in the portfolio
    benchmark, ~40 new connections a second, each new backend busy for tens of milliseconds of CPU).
    A thread here keeps its connection between walks under the rules Django applies around a request
    (``close_old_connections`` before and after each walk: ``CONN_MAX_AGE``, health checks), and closes
    it after ``LOGS_SYNC_WALKER_IDLE_S`` without work (0: after every walk), so an idle worker holds none.
    Celery's own task thread keeps no connection between tasks (its Django fix-up closes it), which is
    why the task thread hands every walk of its batch to these threads and waits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def run(self, job, copies: int) -> None:
        """Run ``job`` on ``copies`` of the threads at once and wait for all of them; an error is raised."""
        futures = []
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's threads did not come along
                self._pid, self._jobs, self._threads = os.getpid(), queue.SimpleQueue(), []
            self._threads = [thread for thread in self._threads if thread.is_alive()]
            while len(self._threads) < copies:
                thread = threading.Thread(target=self._serve, args=(self._jobs,), name="walk", daemon=True)
                thread.start()
                self._threads.append(thread)
            for _ in range(copies):
                future: Future = Future()
                self._jobs.put((job, future))
                futures.append(future)
        for future in futures:
            future.result()

    @staticmethod
    def _serve(jobs: queue.SimpleQueue) -> None:
        _walk_thread.walks = True
        while True:
            idle_s = settings.LOGS_SYNC_WALKER_IDLE_S
            try:
                job, future = jobs.get(timeout=idle_s if idle_s > 0 else None)
            except queue.Empty:
                connections.close_all()  # idle: give the connection back (reopened by the next walk)
                continue
            close_old_connections()  # as a request starts: a connection past CONN_MAX_AGE or broken goes
            result, error = None, None
            try:
                result = job()
            except BaseException as exc:  # the batch's own thread raises it
                error = exc
            # Given back (or kept) before the batch hears it is done: an idle worker then holds none.
            if settings.LOGS_SYNC_WALKER_IDLE_S > 0:
                close_old_connections()  # as a request ends
            else:
                connections.close_all()
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)


_walkers = _Walkers()
_walk_thread = threading.local()  # ``walks`` is True on the walk threads of _Walkers


@receiver(connection_created)
def _walk_connection_commits(sender, connection, **kwargs) -> None:
    """A walk thread's new PostgreSQL connection commits as ``LOGS_SYNC_WALK_SYNCHRONOUS_COMMIT`` says
    (settings: "off", the walk's rows can be read again from ButterflyMX). Seen in the portfolio benchmark:
    the active walks' statements waited mostly on the WAL flush (``WALWrite``/``WALSync``); see
    docs/operations.md, "2026-11-30: freshness counted from the sandbox's commit"."""
    if getattr(_walk_thread, "walks", False) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('synchronous_commit', %s, false)", [settings.LOGS_SYNC_WALK_SYNCHRONOUS_COMMIT]
            )


def _walk_batch(queue: str | None, streams: list) -> list[str]:
    """Walk each of ``streams`` once; their outcomes in the same order.

    Up to ``LOGS_SYNC_WALK_THREADS`` walks at once, on this process's walk threads (:class:`_Walkers`),
    each taking the next walk of the batch as it finishes one. Inside a caller's transaction (as in
    tests) or with one thread the walks stay on this thread: another connection could not see a
    transaction's rows, and one thread gains nothing from a hand-over.
    """
    items = list(enumerate(streams))
    outcomes = ["failed"] * len(items)
    lock = threading.Lock()

    def walk_next() -> None:
        while True:
            with lock:
                if not items:
                    return
                index, item = items.pop(0)
            outcomes[index] = _walk_alone(queue, item)

    threads = min(settings.LOGS_SYNC_WALK_THREADS, len(items))
    if threads < 2 or not transaction.get_autocommit():
        walk_next()
    else:
        _walkers.run(walk_next, threads)
    return outcomes


def _walk_alone(queue: str | None, item: list) -> str:
    """One walk of a batch (``[building_id, stream]`` or ``[.., .., link_id]``); an unexpected error (a
    database blip) is logged and ends this walk only. The stream's claim was cleared when its walk
    started, or goes stale, and its lease runs out: the next tick walks it again."""
    try:
        return _walk_task(queue, *item)
    except Exception:
        logger.exception("the walk of building %s (%s) failed", item[0], item[1])
        return "failed"


def _walk_task(queue: str | None, building_id: int, stream: str, link_id: int | None = None) -> str:
    try:
        outcome = walk_run(building_id=building_id, stream=stream, link_id=link_id)
    except Building.DoesNotExist:
        return "gone"
    _follow_up(queue, building_id, stream, WALK, outcome, link_id)
    if outcome.status == "done":
        cursor = (
            outcome.cursor or SyncCursor.objects.filter(building_id=building_id, stream=stream, link_id=link_id).first()
        )
        if cursor is not None and cursor.tick_missed:
            _walk_at_back_of_queue(queue, cursor)
        if cursor is not None and history_pending(cursor) and not _history_running(cursor):
            enqueue(building_id, stream, HISTORY, queue=queue, cursor_id=cursor.pk, link_id=link_id)
    return outcome.status


def _walk_at_back_of_queue(queue: str | None, cursor: SyncCursor) -> None:
    """A tick passed this walk by while it waited in the queue: the next walk is queued now, behind the
    walks that tick queued, rather than at the tick after next (two intervals). So while the workers are
    behind, each building is walked once per cycle; one pending walk per stream still (the claim)."""
    if SyncCursor.objects.filter(pk=cursor.pk, tick_missed=True).update(tick_missed=False):
        enqueue(cursor.building_id, cursor.stream, WALK, queue=queue, cursor_id=cursor.pk, link_id=cursor.link_id)


def _history_running(cursor: SyncCursor) -> bool:
    return (
        bool(cursor.history_owner)
        and cursor.history_expires_at is not None
        and (cursor.history_expires_at >= timezone.now())
    )


@shared_task(bind=True, acks_late=True, ignore_result=True)
def sync_history_task(self, building_id: int, stream: str, link_id: int | None = None) -> str:
    """One slice of a building stream's (or tenant stream's) backfill or late-entry re-scan; queues the
    next slice."""
    try:
        outcome = history_run(building_id=building_id, stream=stream, link_id=link_id)
    except Building.DoesNotExist:
        return "gone"
    _follow_up(_queue(self), building_id, stream, HISTORY, outcome, link_id)
    return outcome.status


# Batches only once a tick has this many walks per batch to hand out (below, one walk per task).
WALK_BATCH_SPREAD = 16


def _connected_buildings():
    return Building.objects.filter(is_active=True, bmx_id__isnull=False, admin_link__isnull=False)


def _walked_cursors():
    """Cursors beat walks: connected buildings' own, and residents' own views of the buildings without a
    building-admin link (logs.tenant_streams). A tenant cursor of a building that got its admin link is
    left alone: the building's sync has taken over."""
    own = Q(building__in=_connected_buildings(), link__isnull=True)
    return SyncCursor.objects.filter(own | tenant_stream_q())


@shared_task(bind=True, ignore_result=True)
def sync_all_task(self, stream: str) -> int:
    """Beat's entry: one walk per connected building (and per resident's tenant stream of a building
    without admin link), each queued once per tick, so one cycle covers every building and a failing one
    never stops the others. Skips streams whose walk is already pending (claimed) or that are backing off
    after errors; the longest-waiting go first."""
    connected = _connected_buildings()
    known = set(
        SyncCursor.objects.filter(building__in=connected, stream=stream, link__isnull=True).values_list(
            "building_id", flat=True
        )
    )
    for building_id in connected.exclude(pk__in=known).values_list("pk", flat=True):
        cursor_for(building_id, stream)
    tenant_cursors = SyncCursor.objects.filter(stream=stream, link__isnull=False)
    tenant_known = set(tenant_cursors.values_list("building_id", "link_id"))
    for building_id, link_id in tenant_stream_pairs() - tenant_known:
        cursor_for(building_id, stream, link_id)
    now = timezone.now()
    claim_field = CLAIM_FIELDS[WALK]
    stale = now - timedelta(seconds=settings.LOGS_SYNC_CLAIM_STALE_S)
    cursors = (
        _walked_cursors().filter(stream=stream).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )
    # Walks still waiting from an earlier tick (claimed, due, not stale) are passed by; each queues its
    # successor when it ends (tasks._walk_at_back_of_queue). Marked before this tick claims its own.
    cursors.filter(**{f"{claim_field}__gte": stale, f"{claim_field}__lte": now, "tick_missed": False}).update(
        tick_missed=True
    )
    due = (
        cursors.filter(Q(**{f"{claim_field}__isnull": True}) | Q(**{f"{claim_field}__lt": stale}))
        .order_by(F("last_attempt_at").asc(nulls_first=True))
        .values_list("pk", "building_id", "link_id")
    )
    due = list(due)
    # A portfolio's walks go in batches (one task per few buildings); a handful of buildings get a task
    # each, so they still run side by side on every worker process.
    size = max(1, min(settings.LOGS_SYNC_WALK_BATCH, len(due) // WALK_BATCH_SPREAD))
    queued = 0
    pace = _tick_pace_s(stream, len(due))
    for start in range(0, len(due), size):
        # Spread over the tick at the budget's pace instead of all at once: the walks could not run
        # faster than the budget anyway, and a herd of thousands of tasks only makes the workers and
        # the database contend (and bunches the requests at the start of every tick).
        queued += enqueue_walks(due[start : start + size], stream, countdown=start * pace, queue=_queue(self))
    return queued


def _tick_pace_s(stream: str, walks: int) -> float:
    """Seconds between the walks one beat tick queues: one request slot of the shared budget at the rate
    in force (lower for a while after a 429), but the tick's walks all due within half its interval, so
    a slow budget never pushes a claimed walk past the next ticks."""
    rps = shared_budget().rate()  # the budget degrades to its file store by itself when Redis fails
    if rps <= 0 or walks == 0:
        return 0.0
    interval = settings.LOGS_SYNC_ACCESS_INTERVAL_S if stream == "access" else settings.LOGS_SYNC_CALLS_INTERVAL_S
    return min(1.0 / rps, interval / 2 / walks)


@shared_task(bind=True, ignore_result=True)
def sync_watchdog_task(self) -> int:
    """Beat, every few seconds: work whose holder died (a lease still named but expired) is queued at
    once, instead of waiting for the next regular tick. Cheap: one query over the cursors."""
    now = timezone.now()
    queued = 0
    for kind, (owner_field, expiry_field) in LEASE_FIELDS.items():
        abandoned = _walked_cursors().filter(**{f"{expiry_field}__lt": now})
        for cursor_id, building_id, stream, link_id, expired_at in abandoned.exclude(**{owner_field: ""}).values_list(
            "pk", "building_id", "stream", "link_id", expiry_field
        ):
            # A claim taken while the dead holder lived may name a task that died in its worker's prefetch:
            # taken over, instead of blocking the resume until the claim goes stale (minutes).
            queued_now = enqueue(
                building_id,
                stream,
                kind,
                queue=_queue(self),
                cursor_id=cursor_id,
                lost_before=expired_at,
                link_id=link_id,
            )
            if queued_now:
                logger.info("resuming the abandoned %s of building %s (%s)", kind, building_id, stream)
                queued += 1
    return queued


@shared_task(bind=True, acks_late=True, ignore_result=True)
def building_connected_task(self, building_id: int) -> None:
    """Register a newly connected building's webhooks and start its first sync (the backfill)."""
    building_connected(building_id=building_id, queue=_queue(self))


@shared_task(ignore_result=True)
def webhook_deliveries_prune_task() -> int:
    """Beat, hourly: delete webhook deliveries older than ``LOGS_WEBHOOK_RETENTION_DAYS``."""
    return webhook_deliveries_prune(older_than=timedelta(days=settings.LOGS_WEBHOOK_RETENTION_DAYS))


@shared_task(bind=True, acks_late=True, ignore_result=True)
def webhooks_register_task(self, building_id: int, token: str) -> str:
    """One pending webhook registration attempt of a building (logs.registration): retried with backoff
    on transient failures by queueing itself again with the same token; a stale token does nothing."""
    return registration_attempt(building_id=building_id, token=token, queue=_queue(self))


@shared_task(bind=True, ignore_result=True)
def webhooks_maintain_task(self) -> int:
    """Beat: request a registration for buildings whose webhooks are missing, failed transiently, or
    point at an address the portal no longer has; and the same for residents' own integrations in
    buildings without building-admin link (logs.tenant_streams), run here, one link after the other."""
    return registrations_maintain(queue=_queue(self)) + tenant_registrations_maintain()


@shared_task(bind=True, ignore_result=True)
def logs_prune_task(self) -> int:
    """Beat, hourly: delete access and call rows older than their retention (``logs.retention``). When
    the time budget runs out (the first prune of a big table), continue in a follow-up task."""
    result = logs_prune()
    if not result.finished:
        logs_prune_task.apply_async(countdown=5, queue=_queue(self))
    return sum(result.deleted.values())


@shared_task(ignore_result=True)
def calls_pass_task(building_id: int, kind: str) -> int:
    """A building's incoming-call pass (``kind``: ``ring`` after a call webhook, ``poll`` while a call
    rings): ring new calls, end finished ones (:mod:`logs.calls`). How many still ring. Not acks_late:
    a pass lost with its worker is made up by the next delivery or poll, and a ringing call ends with
    its window on the page itself."""
    pass_started(building_id=building_id, kind=kind)
    try:
        return calls_pass(building_id=building_id)
    except Building.DoesNotExist:
        return 0


@shared_task(ignore_result=True)
def call_intercom_task(call_id: int, link_id: int) -> bool:
    """Tell the panel that a call answered in the portal was handled (:func:`logs.calls.intercom_tell_handled`)."""
    return intercom_tell_handled(call_id=call_id, link_id=link_id)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def tenant_linked_task(self, link_id: int) -> int:
    """A resident linked their tenant account: register their own webhooks and start their own streams
    in the buildings that have no building-admin link (logs.tenant_streams). How many walks were queued."""
    return tenant_linked(link_id=link_id, queue=_queue(self))
