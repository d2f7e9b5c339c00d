"""The log sync's news (``logs.signals.access_entries_stored``) turned into arrivals and refusal alerts.

Two receivers, so one failing (logged by the sync's ``send_robust``) never stops the other.
"""

from __future__ import annotations

from django.dispatch import receiver

from logs.models import ReleaseMethod
from logs.signals import access_entries_stored
from logs.sync import VISITOR_METHODS

from .arrivals import arrivals_tell, recent
from .incidents import refusals_check

# Every release method but the open-hours schedule (its "Locked" entries are the door locking at night).
REFUSABLE = frozenset(ReleaseMethod) - {ReleaseMethod.SCHEDULE}


@receiver(access_entries_stored, dispatch_uid="alerts.arrivals")
def tell_arrivals(sender, *, building_id: int, entries: list, source: str, **kwargs) -> None:
    visits = recent(entries, methods=VISITOR_METHODS)
    if visits:  # most batches hold residents' own entries: no query for them
        arrivals_tell(building_id=building_id, remote_ids=visits)


@receiver(access_entries_stored, dispatch_uid="alerts.refusals")
def check_refusals(sender, *, building_id: int, entries: list, source: str, **kwargs) -> None:
    locked = recent(entries, methods=REFUSABLE, status="Locked")
    if locked:
        refusals_check(building_id=building_id, remote_ids=locked)
