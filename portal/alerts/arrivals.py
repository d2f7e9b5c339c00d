"""Arrivals: "Dog walker arrived, Front door, 14:21", told to a pass's host when a visitor uses it.

The access-log sync reports each batch of rows it stored (``logs.signals.access_entries_stored``, right
after the upsert commits). An entry is an arrival when it was made with a visitor pass and points at a
pass of the building whose host asked to be told (``Pass.arrival_push`` / ``arrival_email``). How an
entry names its pass (contract §5): ``{"keychain": id}``, or a display text with the pass owner's
``tenant_id`` (what the sandbox and most live entries send); then the entry's ``name`` (the visitor key's
name) narrows the owner's passes to the one used, when it can.

Only new arrivals are told:

- an entry logged more than ``ALERTS_ARRIVAL_MAX_AGE_S`` (5 minutes) before it is first seen is history
  (a backfill, a late upload found by the re-scan, a sync after an outage), never an arrival: being told
  that a guest came an hour ago helps nobody, and a backfill must not ring a phone for every past visit;
- each entry is told once: :class:`~portal.alerts.models.ArrivalNotice` is inserted first, unique per
  entry, and only the insert that wins tells (a second sync, a re-scan, two workers racing).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext

from logs.models import AccessLogEntry
from logs.sync import VISITOR_METHODS
from passes.models import GRACE, Pass
from portal.notifications.notices import Notice
from portal.notifications.services import notify

from .categories import ARRIVAL
from .models import ArrivalNotice

logger = logging.getLogger(__name__)

# Around a pass's window: ButterflyMX's clock and ours may differ a little (as passes.usage).
SLACK = dt.timedelta(minutes=5)


def recent(entries: Iterable[tuple], now: dt.datetime | None = None, *, methods=None, status=None) -> list[int]:
    """Remote ids of the stored entries (``(remote id, logged_at, release method, release status)``, as
    ``logs.signals.access_entries_stored`` sends them) young enough to be told (see the module docstring),
    of the given release ``methods`` and ``status`` when those are given."""
    oldest = (now or timezone.now()) - dt.timedelta(seconds=settings.ALERTS_ARRIVAL_MAX_AGE_S)
    return [
        remote_id
        for remote_id, logged_at, method, state, *_rest in entries
        if logged_at is not None
        and logged_at >= oldest
        and (methods is None or method in methods)
        and (status is None or state == status)
    ]


def arrivals_tell(*, building_id: int, remote_ids: list[int]) -> int:
    """Tell the hosts of the passes these stored entries were made with. Returns how many entries told."""
    if not remote_ids:
        return 0
    visits = list(
        AccessLogEntry.objects.filter(
            building_id=building_id, remote_id__in=remote_ids, release_method__in=VISITOR_METHODS
        ).select_related("building", "door")
    )
    told = 0
    for entry in visits:
        passes = [p for p in passes_of_entry(entry) if p.tells_arrivals and _host(p) is not None]
        if passes and _claim(entry, passes):
            _tell(entry, passes)
            told += 1
    return told


def passes_of_entry(entry: AccessLogEntry) -> list[Pass]:
    """The portal's passes an entry was made with (usually one; several only when the entry names the
    owner and the visitor's name matches keys of more than one of their passes)."""
    live = Pass.objects.filter(building_id=entry.building_id, status=Pass.Status.ACTIVE).select_related(
        "residency__user"
    )
    if entry.entry_method_text == "keychain" and entry.entry_method_ref is not None:
        return list(live.filter(bmx_keychain_id=entry.entry_method_ref))
    if entry.tenant_bmx_id is None:
        return []
    grace = max(GRACE.values())
    candidates = list(
        live.filter(
            Q(residency__bmx_tenant_id=entry.tenant_bmx_id) | Q(tenant__bmx_id=entry.tenant_bmx_id),
            bmx_keychain_id__isnull=False,
            starts_at__lte=entry.logged_at + SLACK,
            ends_at__gte=entry.logged_at - SLACK - grace,
        ).distinct()
    )
    if len(candidates) > 1 and entry.person_name:
        named = [p for p in candidates if p.keys.filter(name=entry.person_name).exists()]
        candidates = named or candidates
    return candidates


def _host(pass_obj: Pass):
    """The person a pass is for, while they live there: the one told of its arrivals."""
    residency = pass_obj.residency
    if residency is None or not residency.is_active or not residency.user.is_active:
        return None
    return residency.user


def _claim(entry: AccessLogEntry, passes: list[Pass]) -> bool:
    """Insert the entry's claim; False when another run inserted it first (already told)."""
    try:
        with transaction.atomic():
            ArrivalNotice.objects.create(
                entry=entry,
                pass_ids=[p.pk for p in passes],
                user_ids=sorted({_host(p).pk for p in passes}),
            )
    except IntegrityError:
        return False
    return True


def _tell(entry: AccessLogEntry, passes: list[Pass]) -> None:
    by_host: dict[int, list[Pass]] = defaultdict(list)
    for pass_obj in passes:
        by_host[_host(pass_obj).pk].append(pass_obj)
    for user_id, theirs in by_host.items():
        # Made in the host's language (notify() calls it inside portal.core.language.for_recipient).
        notify([user_id], partial(arrival_notice, entry, theirs), channels={user_id: arrival_channels(theirs)})


def arrival_channels(passes: list[Pass]) -> tuple[str, ...]:
    """The ways the host asked to be told of these passes' arrivals (beyond their open pages)."""
    ways = {"push" for p in passes if p.arrival_push} | {"email" for p in passes if p.arrival_email}
    return tuple(sorted(ways))


def arrival_notice(entry: AccessLogEntry, passes: list[Pass]) -> Notice:
    """What the host reads, in the active language: the pass's name, the door, the local time at the building."""
    names = get_text_list(list(dict.fromkeys(p.name for p in passes)))  # "A, B or C", in the language
    time = formats.time_format(timezone.localtime(entry.logged_at, entry.building.tz), "TIME_FORMAT")
    if entry.door is not None:
        where = gettext("%(door)s, %(time)s") % {"door": entry.door.name, "time": time}
    else:
        where = gettext("A door, %(time)s") % {"time": time}
    single = passes[0] if len(passes) == 1 else None
    return Notice(
        category=ARRIVAL,
        title=gettext("%(names)s arrived") % {"names": names},
        body=where,
        url=reverse("passes:detail", args=[single.pk]) if single else reverse("logs:detail", args=[entry.pk]),
        image_url=reverse("logs:snapshot", args=[entry.pk]) if entry.snapshot_url else "",
        tag=f"arrival-{entry.pk}",
    )


def arrival_claims_prune(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete the claims of entries long past being new (their entry may be gone with the logs' retention)."""
    deleted, _ = ArrivalNotice.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
