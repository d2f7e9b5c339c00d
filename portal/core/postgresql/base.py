"""Django's PostgreSQL backend, health-checking a persistent connection only after it sat idle.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request: one
of the six round trips of a log page and one of the two of a webhook delivery (docs/performance.md).
A connection that served a request without error in the last :data:`RECENT_S` seconds is reused
unchecked; one that sat idle longer (when restarts, failovers and idle timeouts of proxies bite) is
checked exactly as Django does. A connection broken in those few seconds fails one request and is
then replaced, which is what Django does without health checks at all.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

RECENT_S = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    used_ok_at: float | None = None

    def close_if_health_check_failed(self):
        recent = self.used_ok_at is not None and time.monotonic() - self.used_ok_at < RECENT_S
        if self.connection is not None and recent:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # Called at the start and the end of each request (and Celery task): health_check_done is
        # True only at the end of one that used the connection (and reset to False right below).
        used_ok = self.connection is not None and self.health_check_done and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            self.used_ok_at = None
        elif used_ok:
            self.used_ok_at = time.monotonic()

    def close(self):
        self.used_ok_at = None
        super().close()
