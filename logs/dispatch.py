"""Queueing the sync's tasks: one pending task per building, stream and kind of work.

Whoever enqueues (beat, a webhook nudge, the watchdog, a task rescheduling itself) first takes that
kind's claim on the cursor (:func:`logs.sync.claim`); the task clears it when it starts. The tasks live
in :mod:`logs.tasks`, which imports this module; so the tasks are named here, not imported
(``portal.celery.send_task``, docs/architecture.md "Layers").
"""

from __future__ import annotations

from datetime import datetime

from portal.celery import send_task

from .sync import WALK, claim, claim_release, cursor_for

SYNC_STREAM_TASK = "logs.tasks.sync_stream_task"
SYNC_STREAMS_TASK = "logs.tasks.sync_streams_task"
SYNC_HISTORY_TASK = "logs.tasks.sync_history_task"


def enqueue(
    building_id: int,
    stream: str,
    kind: str = WALK,
    *,
    countdown: float = 0.0,
    queue: str | None = None,
    cursor_id: int | None = None,
    claimed: bool = False,
    lost_before: datetime | None = None,
    link_id: int | None = None,
) -> bool:
    """Queue a walk or a history slice of a building stream (with ``link_id``: of a resident's own view
    of it, logs.tenant_streams) unless one is pending. True when queued.

    Takes the claim first (unless the caller took it: ``claimed``; ``lost_before``: see
    :func:`logs.sync.claim`); when sending fails (broker down) the claim is given back, so the next
    tick can try again, and the error is raised.
    """
    cursor_id = cursor_id or cursor_for(building_id, stream, link_id).pk
    if not claimed and not claim(cursor_id=cursor_id, kind=kind, countdown=countdown, lost_before=lost_before):
        return False
    task = SYNC_STREAM_TASK if kind == WALK else SYNC_HISTORY_TASK
    try:
        send_task(task, *_args(building_id, stream, link_id), countdown=countdown or None, queue=queue)
    except Exception:
        claim_release(cursor_id=cursor_id, kind=kind)
        raise
    return True


def _args(building_id: int, stream: str, link_id: int | None) -> list:
    """A task's arguments: a building stream's as before, a tenant stream's with its link."""
    return [building_id, stream] if link_id is None else [building_id, stream, link_id]


def enqueue_walks(pairs: list[tuple], stream: str, *, countdown: float, queue: str | None) -> int:
    """Queue one task walking each ``(cursor_id, building_id)`` (or ``(cursor_id, building_id, link_id)``
    for a tenant stream) whose walk claim this takes (the others have a walk pending already). How many
    were queued; on a send failure the claims are given back."""
    claimed = [(p[0], p[1], p[2] if len(p) > 2 else None) for p in pairs]
    claimed = [c for c in claimed if claim(cursor_id=c[0], kind=WALK, countdown=countdown)]
    if not claimed:
        return 0
    try:
        if len(claimed) == 1:
            _, building_id, link_id = claimed[0]
            send_task(SYNC_STREAM_TASK, *_args(building_id, stream, link_id), countdown=countdown or None, queue=queue)
        else:
            batch = [_args(building_id, stream, link_id) for _, building_id, link_id in claimed]
            send_task(SYNC_STREAMS_TASK, batch, countdown=countdown or None, queue=queue)
    except Exception:
        for cursor_id, _, _ in claimed:
            claim_release(cursor_id=cursor_id, kind=WALK)
        raise
    return len(claimed)
