"""Visitor calls ringing on people's open pages: the incoming-call panel's life, from ButterflyMX's record.

A ``call`` webhook only says "look now" (deliveries are unsigned and may repeat, contract §6): it
queues one *ring pass* for the building (:func:`ring_request`; a burst of deliveries queues one). A pass
reads the building's calls of the last ring window from the API (one GET, newest first), stores them as
the sync would, and then, for each call:

- live at ButterflyMX (``initializing``/``connecting_sip``) and not rung yet: it rings, once. The
  conditional UPDATE ``ring_state '' -> ringing`` is the only way to ring, so a repeated delivery, a
  second worker or a later pass never rings a call twice. ``call.ringing`` goes to ``unit:<unit>`` (its
  residents) or, for a call to the front desk (no tenant), to ``desk:<building>``, and a notice with
  "Open door" and "Decline" to the same people (:func:`portal.notifications.services.notify`);
- over at ButterflyMX (any other status) while ringing here: ``call.ended``;
- still ringing after the ring window: ``call.ended`` (reason ``timeout``).

While any call of the building rings, a *poll pass* follows ``CALLS_POLL_S`` later: the portal binds
only the documented ``create`` action, so status changes are read, not pushed (contract §4.12: the
``status_update`` action is only SDK-confirmed, on v3). Answering and declining are
:func:`call_answer_claim` / :func:`call_declined` (the door itself is released by the front desk's
service, portal.dashboard.calls).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.butterflymx import BmxError
from portal.celery import send_task
from portal.live import bus
from portal.notifications.notices import Notice, NoticeAction
from portal.notifications.services import notify, withdraw
from tenants.models import BmxLink, Building, Membership, Residency
from tenants.scope import Grants
from tenants.services import client_for_link

from . import parsing
from .models import CallRecord, CallWatch, RingState, Stream, call_status_label
from .sync import encryptor, lookups
from .upsert import rows_upsert

logger = logging.getLogger(__name__)

PASS_TASK = "logs.tasks.calls_pass_task"
INTERCOM_TASK = "logs.tasks.call_intercom_task"
RING, POLL = "ring", "poll"
# The statuses of a call still ringing at the panel (contract §4.11: a ringing call first shows as
# ``initializing``; the SDK's ``connecting_sip`` is the app picking up); every other status is final.
LIVE_STATUSES = frozenset({"", "initializing", "connecting_sip"})
# A pass reads calls logged this much before the ring window too: a panel's clock a little behind ours.
CLOCK_SLACK = timedelta(seconds=10)
# A claim whose task never started this long after it was taken was lost (a broker hiccup): retaken.
CLAIM_STALE = timedelta(seconds=60)


def ring_window() -> timedelta:
    return timedelta(seconds=settings.CALLS_RING_WINDOW_S)


# --- queueing the passes ----------------------------------------------------------------------------


# Per process: buildings whose CallWatch row exists (rows are never deleted but with their building), so a
# delivery while a pass is queued costs the one UPDATE that finds the claim taken.
_watched: set[int] = set()


def forget_watches() -> None:
    """Tests: ids are reused after a rollback."""
    _watched.clear()


def ring_request(*, building_id: int) -> bool:
    """A call webhook arrived: queue a ring pass for the building unless one is queued already.

    The claim is one conditional UPDATE (atomic across processes); the task is sent after commit and
    clears the claim when it starts, so a delivery arriving during a pass queues the next one. True
    when queued.
    """
    now = timezone.now()
    free = Q(ring_claimed_at__isnull=True) | Q(ring_claimed_at__lt=now - CLAIM_STALE)
    claimed = CallWatch.objects.filter(free, building_id=building_id).update(ring_claimed_at=now)
    if not claimed:
        if building_id in _watched or CallWatch.objects.filter(building_id=building_id).exists():
            _watched.add(building_id)
            return False  # a ring pass is queued: it reads this call too
        CallWatch.objects.bulk_create([CallWatch(building_id=building_id, ring_claimed_at=now)], ignore_conflicts=True)
        if not CallWatch.objects.filter(building_id=building_id, ring_claimed_at=now).exists():
            return False  # another process made the row and took the claim first
    _watched.add(building_id)
    transaction.on_commit(lambda: _send(building_id, RING, countdown=None), robust=True)
    return True


def _poll_request(building_id: int, countdown: float) -> bool:
    """Queue the next poll pass ``countdown`` seconds from now, unless one is pending."""
    now = timezone.now()
    due = now + timedelta(seconds=countdown)
    free = Q(poll_due_at__isnull=True) | Q(poll_due_at__lt=now - CLAIM_STALE)
    if not CallWatch.objects.filter(free, building_id=building_id).update(poll_due_at=due):
        return False
    _send(building_id, POLL, countdown=countdown)
    return True


def _send(building_id: int, kind: str, countdown: float | None) -> None:
    """Send the pass task; when sending fails, give the claim back so the next delivery can retry."""
    try:
        sent = send_task(PASS_TASK, building_id, kind, countdown=countdown, queue=settings.CALLS_TASK_QUEUE)
    except Exception:
        sent = None
    if sent is None:
        pass_started(building_id=building_id, kind=kind)


def pass_started(*, building_id: int, kind: str) -> None:
    """A pass task starts: free its claim (a delivery from now on queues another pass)."""
    field = "ring_claimed_at" if kind == RING else "poll_due_at"
    CallWatch.objects.filter(building_id=building_id).update(**{field: None})


# --- the pass -------------------------------------------------------------------------------------


def calls_pass(*, building_id: int) -> int:
    """Read the building's recent calls and bring their panels up to date; the number still ringing.

    Reading fails (ButterflyMX down, a link to re-link): the ringing calls still end with their ring
    window, because the next poll pass expires them without ButterflyMX.
    """
    building = Building.objects.select_related("admin_link").get(pk=building_id)
    now = timezone.now()
    link, bmx_id = building.admin_link, building.bmx_id
    if bmx_id is not None and link is not None and link.is_active:
        try:
            records = _recent_calls(link, bmx_id, now)
        except BmxError as exc:
            logger.warning("calls of building %s not read: %s", building_id, exc.code or exc.status)
        else:
            _apply(building, records, now)
    _expire(building_id, now)
    ends = [
        until or now
        for until in CallRecord.objects.filter(building_id=building_id, ring_state=RingState.RINGING).values_list(
            "ring_until", flat=True
        )
    ]
    if ends:
        # The next look: a poll interval from now, or just after the soonest window ends if that is sooner.
        wait = max(0.2, min(settings.CALLS_POLL_S, (min(ends) - timezone.now()).total_seconds() + 0.1))
        _poll_request(building_id, wait)
    return len(ends)


def _recent_calls(link: BmxLink, bmx_building_id: int, now: datetime) -> list[dict]:
    """The calls logged within the ring window: one GET (the first page, newest first)."""
    client = client_for_link(link, timeout=settings.CALLS_FETCH_TIMEOUT_S)
    since = now - ring_window() - CLOCK_SLACK
    records, _next = next(iter(client.call_pages(bmx_building_id, since=since, per=50)))
    return [r for r in records if isinstance(r, dict)]


def _apply(building: Building, records: list[dict], now: datetime) -> None:
    """Store the records (as the sync does, so call lists agree), then ring, or end, each call."""
    _doors, devices, units = lookups(building, Stream.CALLS)
    encrypt = encryptor()
    rows = []
    for record in records:
        try:
            rows.append(
                parsing.call_row(
                    record, building_id=building.pk, devices=devices, units=units, synced_at=now, encrypt=encrypt
                )
            )
        except parsing.RecordError as exc:
            logger.warning("Skipped a call record of building %s: %s", building.pk, exc)
    if not rows:
        return
    rows_upsert(stream=Stream.CALLS, rows=rows)
    calls = CallRecord.objects.filter(building=building, remote_id__in=[row[1] for row in rows])
    for call in calls.select_related("building"):
        if call.status in LIVE_STATUSES:
            if call.ring_state == RingState.NONE:
                _ring(call, now)
        elif call.ring_state == RingState.RINGING:
            _end(call, reason=call.status)


def _ring(call: CallRecord, now: datetime) -> bool:
    """Ring ``call`` on its people's pages, once. False when it is too late, nobody here can take it,
    or it rang already."""
    started = min(call.logged_at, now)
    if now - started > ring_window():
        return False  # a late delivery: the visitor has given up by now
    if audience_of(call) is None:
        logger.info("call %s of building %s is to a unit the portal does not know", call.remote_id, call.building_id)
        return False
    until = started + ring_window()
    claimed = CallRecord.objects.filter(pk=call.pk, ring_state=RingState.NONE).update(
        ring_state=RingState.RINGING, ring_started_at=now, ring_until=until
    )
    if not claimed:
        return False
    call.ring_state, call.ring_started_at, call.ring_until = RingState.RINGING, now, until
    payload = ring_payload(call)
    bus.publish("call.ringing", payload, _to(call))
    _tell(call, payload)
    return True


def _end(call: CallRecord, *, reason: str) -> bool:
    """The call stopped ringing at ButterflyMX, or its window passed: close every panel of it."""
    ended = CallRecord.objects.filter(pk=call.pk, ring_state=RingState.RINGING).update(
        ring_state=RingState.ENDED, ring_ended_at=timezone.now(), ring_end_reason=(reason or "ended")[:32]
    )
    if ended:
        bus.publish("call.ended", {"call": call.pk, "reason": reason or "ended"}, _to(call))
        # The ring window passed: ButterflyMX's own word for a call nobody answered.
        code = "timeout_online_signal" if reason == "timeout" else reason
        _withdraw(call, lambda: call_status_label(code))
    return bool(ended)


def _expire(building_id: int, now: datetime) -> None:
    for call in CallRecord.objects.filter(building_id=building_id, ring_state=RingState.RINGING, ring_until__lte=now):
        _end(call, reason="timeout")


# --- who, and what they are told --------------------------------------------------------------------


def is_desk_call(call: CallRecord) -> bool:
    """A call to the front desk: no tenant, no unit (contract §4.11, ``recipient.type`` Attendant)."""
    return call.unit_bmx_id is None and call.unit_id is None


def audience_of(call: CallRecord) -> str | None:
    """``unit:<id>`` for a call to a unit the portal knows, ``desk:<building>`` for the front desk."""
    if is_desk_call(call):
        return bus.desk(call.building_id)
    return bus.unit(call.unit_id) if call.unit_id is not None else None


def _to(call: CallRecord) -> list[str]:
    audience = audience_of(call)
    return [audience] if audience else []


def people_of(call: CallRecord) -> list[int]:
    """Who is told: the unit's residents, or the building's staff and managers."""
    if is_desk_call(call):
        found: Iterable[int] = Membership.objects.filter(building_id=call.building_id).values_list("user_id", flat=True)
    elif call.unit_id is not None:
        found = Residency.objects.filter(unit_id=call.unit_id, is_active=True).values_list("user_id", flat=True)
    else:
        found = []  # a unit the portal does not know: nobody here
    return sorted(set(found))


def _tell(call: CallRecord, payload: dict) -> None:
    """The call's notice to its people, each in their own language (``notify`` makes it once per
    language): push and e-mail reach people with no page open."""
    notify(people_of(call), lambda: _notice(call, payload))


def caller_title(call: CallRecord) -> str:
    """Who calls, as ButterflyMX says it: a visitor or a delivery (the SDK shows anything else as one)."""
    return "Visitor" if (call.notification_type or "visitor") == "visitor" else "Delivery"


def ring_payload(call: CallRecord) -> dict:
    """What the panel shows, the same for everyone in the audience: no secret, no public snapshot link
    (the snapshot goes through the portal's scoped redirect)."""
    return {
        "call": call.pk,
        "building": call.building_id,
        "unit": call.unit_id,
        "desk": is_desk_call(call),
        # Codes and data only: the same payload reaches pages in several languages, and each page's
        # script says it in its own words (static/dashboard/calls.js).
        "title": caller_title(call),
        "kind": "delivery" if call.notification_type == "delivery" else "visitor",
        "panel": call.device_name,
        "unit_label": call.unit_label,
        "started_at": call.logged_at.isoformat(),
        # As every page shows times: in the building's zone (the page may be in another); the script
        # writes it in the page's language from started_at and zone, this 24-hour time is its fallback.
        "zone": call.building.time_zone,
        "started_time": ring_time(call),
        "ring_until": call.ring_until.isoformat() if call.ring_until else None,
        "snapshot_url": reverse("logs:call_snapshot", args=[call.pk]) if call.snapshot_url else "",
        "open_url": reverse("dashboard:call_open", args=[call.pk]),
        "decline_url": reverse("dashboard:call_decline", args=[call.pk]),
    }


def _withdraw(call: CallRecord, outcome: Callable[[], str]) -> None:
    """The call stopped ringing: its notification closes on every device of its people (their open pages
    close the panel from the live event). Says how it ended (``outcome()``, called in each recipient's
    language), for the device where the service worker must leave a quiet note in its place
    (templates/notifications/sw.js)."""
    payload = ring_payload(call)

    def ended() -> Notice:
        ring = _notice(call, payload)
        said = outcome() or _("Ended")
        body = _("%(outcome)s · call at %(time)s") % {"outcome": said, "time": ring_time(call)}
        return Notice(category="call", title=ring.title, body=body, url=ring.url, tag=ring.tag)

    withdraw(people_of(call), ended)


def ring_time(call: CallRecord) -> str:
    """When the call started, as every page shows times: in the building's zone (the page may be in another)."""
    return call.logged_at.astimezone(ZoneInfo(call.building.time_zone)).strftime("%H:%M")


def _notice(call: CallRecord, payload: dict) -> Notice:
    """The notice in the active language (:func:`_tell` sets each recipient's)."""
    panel = payload["panel"] or _("the intercom")
    if payload["kind"] == "delivery":
        title = _("Delivery at %(panel)s") % {"panel": panel}
    else:
        title = _("Visitor at %(panel)s") % {"panel": panel}
    if call.unit_label:
        body = _("Someone is calling %(unit)s from %(panel)s.") % {"unit": call.unit_label, "panel": panel}
    else:
        body = _("Someone is calling the front desk from %(panel)s.") % {"panel": panel}
    return Notice(
        category="call",
        title=title,
        body=body,
        url=reverse("home"),
        image_url=payload["snapshot_url"],
        tag=f"call-{call.pk}",
        actions=(
            NoticeAction("open-door", _("Open door"), payload["open_url"]),
            NoticeAction("decline", _("Decline"), payload["decline_url"]),
        ),
    )


# --- reading them, and what people do with them ---------------------------------------------------


def calls_answerable(grants: Grants):
    """The calls a person may take: a resident the calls to their own units, staff and managers their
    buildings' front-desk calls (never a unit's call: that is the residents'). Scoped by the one rule
    (``restrict``) and narrowed from there."""
    mine = Q(unit_id__in=sorted(grants.units))
    if grants.memberships:
        mine |= Q(unit__isnull=True, unit_bmx_id__isnull=True, building_id__in=sorted(grants.memberships))
    return CallRecord.objects.restrict(grants).filter(mine)


def calls_ringing(grants: Grants) -> list[dict]:
    """The panels a page shows when it opens during a call."""
    now = timezone.now()
    ringing = calls_answerable(grants).filter(ring_state=RingState.RINGING, ring_until__gt=now)
    return [ring_payload(call) for call in ringing.select_related("building").order_by("ring_started_at", "pk")]


def call_answer_claim(*, call: CallRecord, user) -> bool:
    """Take the call for ``user`` before the door is released: only one person, one click, one retry
    ever gets True (a conditional UPDATE), so a double click or a retried POST releases once."""
    now = timezone.now()
    return bool(
        CallRecord.objects.filter(pk=call.pk, ring_state=RingState.RINGING, ring_until__gt=now).update(
            ring_state=RingState.ANSWERED, handled_by=user, ring_ended_at=now, ring_end_reason="answered"
        )
    )


def call_answer_give_back(*, call: CallRecord, user) -> None:
    """The door was not released (a limit, a refusal): the call rings on for everyone."""
    CallRecord.objects.filter(pk=call.pk, ring_state=RingState.ANSWERED, handled_by=user).update(
        ring_state=RingState.RINGING, handled_by=None, ring_ended_at=None, ring_end_reason=""
    )


def call_answered(*, call: CallRecord, user) -> None:
    """The door was released: every other panel of the call closes, and the intercom is told (after
    commit, by a task: the person's answer does not wait for it)."""
    payload = {"call": call.pk, "by": user.display_name}
    bus.publish("call.answered", payload, _to(call))
    _withdraw(call, lambda: _("Door opened by %(name)s") % {"name": user.display_name})
    link_id = _own_link(call, user)
    if link_id is not None:
        args = (call.pk, link_id)
        transaction.on_commit(lambda: send_task(INTERCOM_TASK, *args, queue=settings.CALLS_TASK_QUEUE), robust=True)


def _own_link(call: CallRecord, user) -> int | None:
    """The resident's own ButterflyMX link for the call's unit. None for a front-desk call: v3 lists a
    person's own calls (``/v3/me/calls``), and nothing public says an attendant's call is among them."""
    if is_desk_call(call) or call.unit_id is None:
        return None
    return (
        Residency.objects.filter(user=user, unit_id=call.unit_id, is_active=True, link__status=BmxLink.Status.ACTIVE)
        .values_list("link_id", flat=True)
        .first()
    )


def intercom_tell_handled(*, call_id: int, link_id: int) -> bool:
    """Tell the panel that the call was handled, as the live API allows (contract §7, CONFIRMED-LIVE):
    the call's v3 record gives its ``guid`` and panel (v4 has neither), then
    ``POST /v3/notifications/open_door``. Best effort: the door is open either way, so a failure is
    logged, never retried (a write), and the panel then rings out its window as it would have. True
    when the panel was told."""
    call = CallRecord.objects.filter(pk=call_id).first()
    if call is None:
        return False
    client = client_for_link(link_id, timeout=settings.CALLS_FETCH_TIMEOUT_S)
    try:
        found = next((c for c in client.my_calls_v3() if str(c["id"]) == str(call.remote_id)), None)
        panel = str((found or {}).get("panel_id") or "")
        if found is None or not found.get("guid") or not panel.isdigit():
            logger.info("call %s: no v3 record with its guid and panel; the intercom was not told", call_id)
            return False
        client.notify_call_handled(call_guid=str(found["guid"]), panel_id=int(panel))
    except BmxError as exc:
        logger.warning("call %s: telling the intercom failed: %s", call_id, exc.code or exc.status)
        return False
    return True


def call_declined(*, call: CallRecord, user) -> bool:
    """``user`` declines: the call is dismissed for every member of the unit (or the desk)."""
    declined = CallRecord.objects.filter(pk=call.pk, ring_state=RingState.RINGING).update(
        ring_state=RingState.DECLINED, handled_by=user, ring_ended_at=timezone.now(), ring_end_reason="declined"
    )
    if declined:
        bus.publish("call.declined", {"call": call.pk, "by": user.display_name}, _to(call))
        _withdraw(call, lambda: _("Declined by %(name)s") % {"name": user.display_name})
    return bool(declined)
