"""The base class of every Celery task of the portal: publishing never breaks a web request.

The same rule covers a task queued by name (:func:`portal.celery.send_task`, through :func:`published`).

A web request publishes tasks (a webhook delivery's nudge, "Sync now", a connected building's first
sync, a pass-usage refresh). With the broker on Redis and Redis down or frozen, ``apply_async`` raises
``kombu.exceptions.OperationalError`` once its bounded retries are spent (settings: "Redis outages").
Outside a worker that error would be a 500 after the data was already committed, so it is logged and
the call returns None instead: the task is simply not queued, and beat's regular runs (log syncs, pass
reconciles, roster syncs) do the same work once the broker is back.

After such a failure the process stops trying that broker for ``REDIS_BREAKER_S`` (a frozen Redis would
make every publish wait out its timeouts). Inside a running task the error still propagates: Celery
already handles a failing task (logged, retried, or redelivered with ``acks_late``), and a task's
``self.retry()`` must not silently lose its retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from celery import Task, current_task
from django.conf import settings
from kombu.exceptions import OperationalError

T = TypeVar("T")

logger = logging.getLogger(__name__)

# After a failed publish outside a task, this process publishes nothing to that broker for REDIS_BREAKER_S
# (broker URL -> monotonic time until then): a frozen broker then costs one bounded wait per window, not
# one per request, as the cache's breaker does (portal/core/rediscache.py).
_paused_until: dict[str, float] = {}


def published(name: str, app, publish: Callable[[], T]) -> T | None:
    """``publish()``, unless the broker failed a moment ago; a failure outside a task is logged, not raised."""
    broker = str(app.conf.broker_url)
    in_task = bool(current_task)  # publishing from a task: Celery's own failure handling applies
    if not in_task and time.monotonic() < _paused_until.get(broker, 0.0):
        logger.info("broker unreachable a moment ago, %s not queued (beat catches up)", name)
        return None
    try:
        return publish()
    except OperationalError as exc:
        if in_task:
            raise
        _paused_until[broker] = time.monotonic() + settings.REDIS_BREAKER_S
        logger.warning("broker unreachable, %s not queued (beat catches up): %s", name, exc)
        return None


class PortalTask(Task):
    def apply_async(self, *args, **kwargs):
        return published(self.name, self.app, partial(super().apply_async, *args, **kwargs))
