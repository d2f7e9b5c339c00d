"""Small operational records of the portal itself."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a periodic source checked in (``beat``: Celery beat's heartbeat task ran)."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class RateCounter(models.Model):
    """A fixed-window counter (``key`` per person, door or building) claimed by :mod:`portal.core.limits`.

    Rows are ephemeral: a window's row is only read while the window lasts, and old ones are pruned.
    """

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="core_one_counter_per_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"
