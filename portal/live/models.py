from __future__ import annotations

from django.db import models
from django.utils import timezone


class LiveEvent(models.Model):
    """One thing that happened, for the open pages of one audience (``unit:7``, ``desk:3``, ``user:12``).

    The table is an outbox every web process reads in id order: a worker, a webhook or a view writes a
    row, and whichever process holds the audience's open pages pushes it. Rows are short-lived (a page
    that reconnects replays what it missed by ``Last-Event-ID``); old ones are pruned.
    """

    id = models.BigAutoField(primary_key=True)
    audience = models.CharField(max_length=40)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["audience", "id"], name="live_event_audience_id")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.audience} #{self.pk}"
