"""The base class of every Celery task of the portal: publishing never breaks a web request.

A web request publishes tasks (a webhook delivery's nudge, "Sync now", a connected building's first
sync, a pass-usage refresh). With the broker on Redis and Redis down or frozen, ``apply_async`` raises
``kombu.exceptions.OperationalError`` once its bounded retries are spent (settings: "Redis outages").
Outside a worker that error would be a 500 after the data was already committed, so it is logged and
the call returns None instead: the task is simply not queued, and beat's regular runs (log syncs, pass
reconciles, roster syncs) do the same work once the broker is back.

Inside a running task the error still propagates: Celery already handles a failing task (logged, retried,
or redelivered with ``acks_late``), and a task's ``self.retry()`` must not silently lose its retry.
"""

from __future__ import annotations

import logging

from celery import Task, current_task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class PortalTask(Task):
    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError as exc:
            if current_task:  # publishing from a task: Celery's own failure handling applies
                raise
            logger.warning("broker unreachable, %s not queued (beat catches up): %s", self.name, exc)
            return None
