"""Whether a door release was confirmed by the access log, and the state it is in: the one rule that the
board, its htmx fragment, the doors API and the audit trail (page and CSV) all call.

An access-log entry confirms a release when all of these hold:

- it is at the release's door and, when the release names a tenant (every release does today), it is
  logged under that tenant. Never by ``entry_method``: the document never shows the value a release
  through the API gets;
- it is no guest's entry (``release_type`` Visitor or Delivery) and no scheduled lock (``release_status``
  Locked);
- it was logged at or after the request, and at most ``DOOR_CONFIRM_WINDOW_S`` after it. ButterflyMX's
  timestamps have whole seconds, so "at or after" compares with the request's second: an entry of the
  same second counts, one from the second before does not;
- it is not another release's: of the releases of that door it could confirm, it confirms only the
  latest one requested before it was logged. So one entry never confirms two releases, and a release
  that ButterflyMX never answered is not confirmed by the entry of a release made just after it.

A failed release (ButterflyMX refused it) is never confirmed and never claims an entry. The first entry
that confirms a release is its confirmation.

A release's state follows from its status, its confirmation and the window, and from nothing else (no
display timer): Pending confirmation (accepted, waiting for the entry), No answer (timed out, waiting for
the entry), Confirmed open, Not confirmed (accepted, and the window passed with no entry) and Failed
(refused, or no answer and no entry within the window). The board shows a door's last release in that
state for as long as it is the door's last release (:func:`release_headline`), in the words of the audit
trail (:data:`RELEASE_LABELS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from logs.clock import clock_for
from logs.models import AccessLogEntry

from .models import DoorRelease

GUEST_RELEASE_TYPES = ("Visitor", "Delivery")
LOCKED = "Locked"
FAILED = DoorRelease.Status.FAILED

CONFIRMATION_FIELDS = (
    "id",
    "logged_at",
    "person_name",
    "door_id",
    "release_method",
    "release_type",
    "release_status",
    "tenant_bmx_id",
)


class ReleaseKind:
    SENDING = "sending"
    RELEASED = "released"
    UNKNOWN = "unknown"
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    FAILED = "failed"


# The words of each state, on the audit trail (page and CSV), the board and the doors API alike.
RELEASE_LABELS = {
    ReleaseKind.SENDING: gettext_lazy("Sending…"),
    ReleaseKind.RELEASED: gettext_lazy("Pending confirmation"),
    ReleaseKind.UNKNOWN: gettext_lazy("No answer, checking the log"),
    ReleaseKind.CONFIRMED: gettext_lazy("Confirmed open"),
    ReleaseKind.NOT_CONFIRMED: gettext_lazy("Not confirmed"),
    ReleaseKind.FAILED: gettext_lazy("Failed"),
}

# A release's ``error`` is kept in English (an audit record: the same for every reader); each reader
# gets it in their own language (:func:`error_words`). This is the one the portal writes itself.
UNKNOWN_ERROR = gettext_noop(
    "ButterflyMX did not answer: the door may or may not have opened. Check the access log before releasing it again."
)


def error_words(release: DoorRelease) -> str:
    """A release's stored error in the active language: an English text the portal marks for translation
    (:data:`UNKNOWN_ERROR`, ButterflyMX client's messages) is translated; any other text (ButterflyMX's own
    details) is shown as stored."""
    return _(release.error) if release.error else ""


def _window() -> timedelta:
    return timedelta(seconds=settings.DOOR_CONFIRM_WINDOW_S)


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _could_confirm(entry: AccessLogEntry, release: DoorRelease) -> bool:
    """Every condition of the rule but "not another release's"."""
    return (
        release.status != FAILED
        and entry.door_id == release.door_id
        and _second(release.requested_at) <= entry.logged_at <= release.requested_at + _window()
        and entry.release_type not in GUEST_RELEASE_TYPES
        and entry.release_status != LOCKED
        and (release.bmx_tenant_id is None or entry.tenant_bmx_id == release.bmx_tenant_id)
    )


def _spans(releases: list[DoorRelease], field: str, slack: timedelta = timedelta(0)) -> Q:
    """``field`` within some release's [request second, request + window + slack], per door, overlapping
    spans merged: one indexed range scan per door and busy period, however many releases."""
    by_door: dict[int, list[tuple[datetime, datetime]]] = {}
    for release in sorted(releases, key=lambda r: r.requested_at):
        start, end = _second(release.requested_at), release.requested_at + _window() + slack
        spans = by_door.setdefault(release.door_id, [])
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return reduce(
        or_,
        (
            Q(door_id=door_id, **{f"{field}__gte": start, f"{field}__lte": end})
            for door_id, spans in by_door.items()
            for start, end in spans
        ),
    )


def confirming_entries(releases: Iterable[DoorRelease]) -> dict[int, AccessLogEntry]:
    """The entry that confirms each of ``releases`` (by release id; unconfirmed ones are absent), by the
    rule above, in two queries whatever their number."""
    wanted = {r.pk: r for r in releases if r.status != FAILED and r.pk is not None}
    if not wanted:
        return {}
    entries = list(
        AccessLogEntry.objects.filter(_spans(list(wanted.values()), "logged_at"))
        .exclude(release_type__in=GUEST_RELEASE_TYPES)
        .exclude(release_status=LOCKED)
        .only(*CONFIRMATION_FIELDS)
        .order_by("logged_at", "id")
    )
    if not entries:
        return {}
    # Every release an entry in those spans could belong to: the releases asked about and any other
    # release of the same doors (whoever made it) requested before such an entry was logged (to the
    # second, hence the second of slack).
    rivals = list(
        DoorRelease.objects.filter(_spans(list(wanted.values()), "requested_at", timedelta(seconds=1)))
        .exclude(status=FAILED)
        .only("id", "door_id", "requested_at", "bmx_tenant_id", "status")
    )
    rivals += [r for r in wanted.values() if r.pk not in {rival.pk for rival in rivals}]
    found: dict[int, AccessLogEntry] = {}
    for entry in entries:
        claimants = [r for r in rivals if _could_confirm(entry, r)]
        if not claimants:
            continue
        owner = max(claimants, key=lambda r: (r.requested_at, r.pk))
        if owner.pk in wanted and owner.pk not in found:
            found[owner.pk] = entry
    return found


def confirming_entry(release: DoorRelease) -> AccessLogEntry | None:
    """The access-log entry that shows ``release`` really opened the door, once it has been synced."""
    return confirming_entries([release]).get(release.pk)


def release_kind(release: DoorRelease, entry: AccessLogEntry | None, now: datetime) -> str:
    """The state of ``release`` given its confirming entry (None: none yet)."""
    if release.status == FAILED:
        return ReleaseKind.FAILED
    if entry is not None:
        return ReleaseKind.CONFIRMED
    waiting = now <= release.requested_at + _window()
    if release.status == DoorRelease.Status.SUCCEEDED:
        return ReleaseKind.RELEASED if waiting else ReleaseKind.NOT_CONFIRMED
    if release.status == DoorRelease.Status.UNKNOWN:
        return ReleaseKind.UNKNOWN if waiting else ReleaseKind.FAILED
    # Still pending: being sent, or the process died mid-request and nothing says the door opened.
    return ReleaseKind.SENDING if waiting else ReleaseKind.FAILED


@dataclass(frozen=True)
class ReleaseState:
    kind: str
    entry: AccessLogEntry | None
    explanation: str

    @property
    def label(self) -> str:
        return str(RELEASE_LABELS[self.kind])

    @property
    def confirmed(self) -> bool:
        return self.kind == ReleaseKind.CONFIRMED


def clock(moment: datetime, tz, now: datetime) -> str:
    """``moment`` on the building's clock as a front desk reads it, by the named formats of the active
    language (portal/formats): "14:21" today, "Sat 28 Nov, 14:21" within the year, "Fri 28 Nov 2025,
    14:21" before."""
    local, today = moment.astimezone(tz), now.astimezone(tz)
    if local.date() == today.date():
        return clock_for("TIME_FORMAT")(local)
    if (today - local) < timedelta(days=300):
        return clock_for("SHORT_DATETIME_FORMAT")(local)
    return clock_for("DATETIME_FORMAT")(local)


def release_headline(release: DoorRelease, kind: str, tz, now: datetime) -> str:
    """A release and its state in one line, with when it was requested: "Released 14:21 · confirmed
    open", "Released 14:21 · pending confirmation", "Release failed 09:02". True for as long as it is
    shown, however old: the state's words are :data:`RELEASE_LABELS`'."""
    words = {"time": clock(release.requested_at, tz, now)}
    headlines = {
        ReleaseKind.FAILED: _("Release failed %(time)s"),
        ReleaseKind.SENDING: _("Releasing %(time)s · sending…"),
        ReleaseKind.RELEASED: _("Released %(time)s · pending confirmation"),
        ReleaseKind.UNKNOWN: _("Released %(time)s · no answer, checking the log"),
        ReleaseKind.CONFIRMED: _("Released %(time)s · confirmed open"),
        ReleaseKind.NOT_CONFIRMED: _("Released %(time)s · not confirmed"),
    }
    return headlines[kind] % words


def explanation(release: DoorRelease, kind: str, entry: AccessLogEntry | None, tz) -> str:
    """A sentence that says what the state means for this release, for the audit and the board; times
    in ``tz``, the building's zone."""
    words = {"seconds": f"{settings.DOOR_CONFIRM_WINDOW_S:.0f}"}
    if kind == ReleaseKind.CONFIRMED:
        local = entry.logged_at.astimezone(tz)
        return _("ButterflyMX logged the door opening at %(time)s.") % {"time": clock_for("TIME_FORMAT")(local)}
    if kind == ReleaseKind.RELEASED:
        return (
            _("ButterflyMX accepted the release; waiting up to %(seconds)s s for the door's access-log entry.") % words
        )
    if kind == ReleaseKind.UNKNOWN:
        return _("ButterflyMX did not answer: the door may or may not have opened. Waiting for the access log.")
    if kind == ReleaseKind.NOT_CONFIRMED:
        return _("ButterflyMX accepted the release, but no access-log entry followed within %(seconds)s s.") % words
    if kind == ReleaseKind.FAILED:
        if release.status == FAILED:
            return error_words(release) or _("ButterflyMX refused the release.")
        return (
            _("No answer from ButterflyMX and no access-log entry within %(seconds)s s: nothing shows the door opened.")
            % words
        )
    return _("Sending the release to ButterflyMX.")


def release_states(releases: Iterable[DoorRelease], now: datetime) -> dict[int, ReleaseState]:
    """The state of each release, by id. ``release.building`` should be selected with the releases."""
    releases = list(releases)
    entries = confirming_entries(releases)
    states = {}
    for release in releases:
        entry = entries.get(release.pk)
        kind = release_kind(release, entry, now)
        states[release.pk] = ReleaseState(kind, entry, explanation(release, kind, entry, release.building.tz))
    return states
