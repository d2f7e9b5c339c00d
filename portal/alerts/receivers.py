"""The log sync's news (``logs.signals.access_entries_stored``) turned into arrivals and refusal alerts.

Two receivers, so one failing (logged by the sync's ``send_robust``) never stops the other.
"""

from __future__ import annotations

from django.dispatch import receiver

from logs.signals import access_entries_stored

from .arrivals import arrivals_tell, recent
from .incidents import refusals_check


@receiver(access_entries_stored, dispatch_uid="alerts.arrivals")
def tell_arrivals(sender, *, building_id: int, entries: list, source: str, **kwargs) -> None:
    arrivals_tell(building_id=building_id, remote_ids=recent(entries))


@receiver(access_entries_stored, dispatch_uid="alerts.refusals")
def check_refusals(sender, *, building_id: int, entries: list, source: str, **kwargs) -> None:
    refusals_check(building_id=building_id, remote_ids=recent(entries))
