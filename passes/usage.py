"""Use counts of passes, brought up to date by the access-log sync.

A visitor's entry reaches the log sync within a minute (sooner after an ``access_log`` webhook). The
entry names its pass in one of two documented forms: ``{"keychain": id}``, or a display text ("Visitor
Pass (using PIN)") with the pass owner's ``tenant_id``. Counts themselves are read from ButterflyMX's
virtual keys (:func:`passes.services.pass_usage_refresh`, their one source of truth), only for passes
that an entry points at which is new to the local log (``logs.sync`` passes only those) and newer than
the pass's last reading: re-reading the sync's overlap window calls nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from .models import GRACE, Pass
from .services import pass_usage_refresh

# Around a pass's window: ButterflyMX's clock and ours may differ a little.
SLACK = dt.timedelta(minutes=5)
# Entries carry whole seconds: an entry in the same second as the last reading may not be in it.
TRUNCATION = dt.timedelta(seconds=1)


def passes_used_by(*, building_id: int, uses: Iterable[tuple[int | None, int | None, dt.datetime]]) -> list[int]:
    """Ids of passes that ``uses`` (``(tenant_id, keychain_id, logged_at)`` of visitor entries) point at
    and whose counts were read before that entry."""
    uses = list(uses)
    if not uses:
        return []
    by_keychain = {kid for _, kid, _ in uses if kid is not None}
    by_tenant = {tid for tid, kid, _ in uses if kid is None and tid is not None}
    oldest = min(at for _, _, at in uses)
    grace = max(GRACE.values())  # the longest grace of any kind: a candidate's window may run this late
    candidates = Pass.objects.filter(
        Q(bmx_keychain_id__in=by_keychain) | Q(residency__bmx_tenant_id__in=by_tenant),
        building_id=building_id,
        status=Pass.Status.ACTIVE,
        bmx_keychain_id__isnull=False,
        starts_at__lte=max(at for _, _, at in uses) + SLACK,
        ends_at__gte=oldest - SLACK - grace,
    ).values_list("pk", "bmx_keychain_id", "residency__bmx_tenant_id", "starts_at", "ends_at", "usage_refreshed_at")
    due = []
    for pk, keychain_id, tenant_id, starts_at, ends_at, refreshed_at in candidates:
        for use_tenant, use_keychain, at in uses:
            points_here = use_keychain == keychain_id if use_keychain is not None else use_tenant == tenant_id
            in_window = starts_at - SLACK <= at <= ends_at + SLACK + grace
            if points_here and in_window and (refreshed_at is None or refreshed_at < at + TRUNCATION):
                due.append(pk)
                break
    return due


def pass_usage_from_log(*, building_id: int, uses: Iterable[tuple[int | None, int | None, dt.datetime]]) -> int:
    """Refresh the counts of the passes that new visitor entries point at. Returns how many."""
    due = passes_used_by(building_id=building_id, uses=uses)
    if not due:
        return 0
    return pass_usage_refresh(pass_ids=due)
