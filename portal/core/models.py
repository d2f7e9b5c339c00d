"""Small operational records of the portal itself."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a periodic source checked in (``beat``: Celery beat's heartbeat task ran)."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
