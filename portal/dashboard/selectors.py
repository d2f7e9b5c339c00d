"""Reads for the door board and the audit trail, built on ``tenants.scope``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BigIntegerField, Case, OuterRef, QuerySet, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from logs.clock import clock_for
from logs.models import AccessLogEntry, ReleaseMethod
from tenants import door_hours
from tenants.door_kinds import is_entrance, is_unit_door, release_device
from tenants.models import AccessPoint, Building, Device, Residency, Role
from tenants.scope import RELEASE, Grants, grants_of

from .confirmation import (
    RELEASE_LABELS,
    ReleaseKind,
    confirming_entries,
    confirming_entry,
    explanation,
    release_headline,
    release_kind,
)
from .models import DoorRelease


class DoorStateKind(ReleaseKind):
    """A door's state on the board: its last release's (see :mod:`.confirmation`), or idle."""

    IDLE = "idle"


STATE_LABELS = {DoorStateKind.IDLE: "", **RELEASE_LABELS}

# The board's groups of doors, the way a front desk thinks (:func:`board_groups`).
ENTRANCES, COMMON_AREAS, UNIT_DOORS = "entrances", "common_areas", "unit_doors"
GROUP_NAMES = {
    ENTRANCES: gettext_lazy("Entrances"),
    COMMON_AREAS: gettext_lazy("Common areas"),
    UNIT_DOORS: gettext_lazy("Unit doors"),
}


def ago(moment: datetime, now: datetime) -> str:
    """ "just now", "4 min ago", "3 h ago", "2 days ago": cheap, for hundreds of cards a render."""
    seconds = int((now - moment).total_seconds())
    if seconds < 45:
        return _("just now")
    if seconds < 3600:
        return _("%(minutes)s min ago") % {"minutes": max(1, round(seconds / 60))}
    if seconds < 86400:
        return _("%(hours)s h ago") % {"hours": seconds // 3600}
    days = seconds // 86400
    return ngettext("%(count)s day ago", "%(count)s days ago", days) % {"count": days}


@dataclass
class DoorState:
    """A door as one person's board or "My doors" shows it. Display strings are computed here, in
    Python: a board of 200 doors renders several times faster than with the equivalent template filters.

    ``last_entry`` and ``last_release`` are what that person may see (``restrict(grants)``, tenants.scope:
    for a resident, their own units' activity only); ``release_detail`` says whether they may also see
    who released the door, why and for whom (the building's staff and managers, and whoever released it).
    """

    door: AccessPoint
    last_entry: AccessLogEntry | None
    last_release: DoorRelease | None
    kind: str
    confirmed_entry: AccessLogEntry | None = None
    now: datetime | None = None
    release_detail: bool = True
    viewer_id: int | None = None
    # For a resident's own doors: when ButterflyMX lets them use this door (their usable hours, read with
    # their own token: tenants.door_schedules); None on the staff board.
    usable_hours: list[dict] | None = None

    # --- Door hours (tenants.door_hours), in the building's zone --------------------------------------

    @property
    def hours(self) -> door_hours.HoursNow | None:
        """The door's open hours now (unlocked for everyone), or None when it has none."""
        return door_hours.hours_now(self.door.open_hours, self.now or timezone.now(), self.door.building.tz)

    @property
    def hours_text(self) -> str:
        """ "Unlocked until 18:00", "Locked · unlocks 08:00 Mon": the open hours as the front desk says them."""
        hours = self.hours
        if hours is None:
            return ""
        if hours.is_open:
            if hours.until is None:
                return _("Unlocked (open hours around the clock)")
            return _("Unlocked until %(time)s") % {"time": self._at(hours.until)}
        if hours.next_open is None:
            return _("Locked")
        return _("Locked · unlocks %(time)s") % {"time": self._at(hours.next_open)}

    @property
    def hours_summary(self) -> str:
        return door_hours.summary(self.door.open_hours)

    @property
    def usable_text(self) -> str:
        """For a resident: when they may use the door, said only when it is not all the time."""
        if not self.usable_hours:
            return ""
        hours = door_hours.hours_now(self.usable_hours, self.now or timezone.now(), self.door.building.tz)
        if hours is None or (hours.is_open and hours.until is None):
            return ""
        if hours.is_open and hours.until is not None:
            return _("You can use it until %(time)s") % {"time": self._at(hours.until)}
        if hours.next_open is None:
            return _("You cannot use it this week")
        return _("You can use it from %(time)s") % {"time": self._at(hours.next_open)}

    @property
    def usable_summary(self) -> str:
        return door_hours.summary(self.usable_hours) if self.usable_text else ""

    def _at(self, moment: datetime) -> str:
        return door_hours.local_label(moment, self.now or timezone.now(), self.door.building.tz)

    @property
    def release_device(self) -> Device | None:
        """The unit lock this door is released by (``device_id``), from the prefetched devices; the
        release service decides finally (it also checks every door of the device is the person's)."""
        return release_device(self.door.devices.all())

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.kind])

    @property
    def badge(self) -> str:
        """The card's badge: the last release with its time and state ("Released 14:21 · confirmed open",
        "Release failed 09:02"). It carries its own time, so it stays true for as long as the board shows
        it: until the door's next release (the door itself locks again after seconds)."""
        if self.last_release is None or self.kind == DoorStateKind.IDLE:
            return ""
        return release_headline(self.last_release, self.kind, self.door.building.tz, self.now or timezone.now())

    @property
    def state_note(self) -> str:
        """What the state means for this release (when it opened, why it failed), for those who may see
        the release's detail; others get the state alone."""
        if self.last_release is None or self.kind == DoorStateKind.IDLE:
            return ""
        if not self.release_detail and self.kind == DoorStateKind.FAILED:
            return ""  # the error may name staff-only detail
        return explanation(self.last_release, self.kind, self.confirmed_entry, self.door.building.tz)

    @property
    def last_release_text(self) -> str:
        """ "Last release by you, 4 min ago.": who released the door, as this person may know it, and
        when; one whole sentence per case, for the translators."""
        release = self.last_release
        if release is None:
            return ""
        words = {"ago": self.last_release_ago}
        if self.viewer_id is not None and release.requested_by_id == self.viewer_id:
            return _("Last release by you, %(ago)s.") % words
        if self.release_detail and release.requested_by:
            return _("Last release by %(person)s, %(ago)s.") % {**words, "person": release.requested_by.display_name}
        if self.release_detail:
            return _("Last release by someone, %(ago)s.") % words
        if release.requested_by_role in (Role.STAFF, Role.MANAGER):
            return _("Last release by the front desk, %(ago)s.") % words
        return _("Last release by someone in your unit, %(ago)s.") % words

    @property
    def release_url(self) -> str:
        return f"/doors/{self.door.pk}/release/"

    @property
    def devices_label(self) -> str:
        return " · ".join(device.name for device in self.door.devices.all()) or _("No device")

    @property
    def last_event_text(self) -> str:
        entry = self.last_entry
        if entry is None:
            return ""
        parts = [
            str(ReleaseMethod(entry.release_method).label)
            if entry.release_method in ReleaseMethod.values
            else entry.release_method
        ]
        if entry.person_name:
            parts.append(entry.person_name + (f" ({entry.unit_label})" if entry.unit_label else ""))
        return " · ".join(str(p) for p in parts)

    @property
    def last_event_local(self) -> str:
        if self.last_entry is None:
            return ""
        local = self.last_entry.logged_at.astimezone(self.door.building.tz)
        return clock_for("SHORT_DATETIME_FORMAT")(local)  # hundreds of cards: not date_format each

    @property
    def last_event_ago(self) -> str:
        if self.last_entry is None:
            return ""
        return ago(self.last_entry.logged_at, self.now or timezone.now())

    @property
    def last_release_ago(self) -> str:
        if self.last_release is None:
            return ""
        return ago(self.last_release.requested_at, self.now or timezone.now())


def board_buildings(grants: Grants) -> QuerySet[Building]:
    return Building.objects.restrict(grants, Role.STAFF, Role.MANAGER).order_by("name")


def door_state(
    release: DoorRelease | None, now: datetime, confirmed: AccessLogEntry | None | bool = False
) -> tuple[str, AccessLogEntry | None]:
    """What the board says about a door, given its last release through the portal: that release's state
    (:func:`.confirmation.release_kind`), however long ago it was: it stays the door's last release, and
    its state stays true, until the next one. Idle: never released through the portal.

    ``confirmed`` is the confirming entry when the caller already looked it up (None: there is none);
    left at False, it is looked up here.
    """
    if release is None:
        return DoorStateKind.IDLE, None
    entry = confirming_entry(release) if isinstance(confirmed, bool) else confirmed
    kind = release_kind(release, entry, now)
    return kind, entry if kind == DoorStateKind.CONFIRMED else None


def usable_hours_of(user) -> dict[tuple[int, int], list[dict]]:
    """A resident's usable hours at their doors, ``{(building id, door bmx id): items}``, from their
    active tenancies (stored by tenants.door_schedules; one query, no ButterflyMX)."""
    found: dict[tuple[int, int], list[dict]] = {}
    rows = Residency.objects.filter(user=user, is_active=True).values_list("unit__building_id", "door_schedules")
    for building_id, schedules in rows:
        for bmx_id, items in (schedules or {}).items():
            key = (building_id, int(bmx_id))
            found[key] = found.get(key, []) + [i for i in items if i not in found.get(key, [])]
    return found


def door_states(
    doors: QuerySet[AccessPoint],
    *,
    viewer,
    grants: Grants | None = None,
    now: datetime | None = None,
    usable: dict[tuple[int, int], list[dict]] | None = None,
) -> list[DoorState]:
    """Each door with the last event and release ``viewer`` may see, and its release state, in a constant
    number of queries. Pass the request's :func:`~tenants.scope.request_grants` to spare their query.

    The last entry and release come through ``restrict(grants)``, the rule of the Logs pages:
    staff and managers see their buildings' activity, a resident only their own units' (a neighbour
    through the shared front door is not theirs to see)."""
    now = now or timezone.now()
    grants = grants if grants is not None else grants_of(viewer)
    rows = list(
        doors.annotate(
            last_entry_id=_last_visible(AccessLogEntry, ("-logged_at", "-id"), grants),
            last_release_id=_last_visible(DoorRelease, ("-requested_at", "-id"), grants),
        )
        .select_related("building")
        .prefetch_related("devices")
        .order_by("name")
    )
    entries = AccessLogEntry.objects.only(
        "id", "logged_at", "release_method", "person_name", "unit_label", "release_status", "door_id", "building_id"
    ).in_bulk([r.last_entry_id for r in rows if r.last_entry_id])
    releases = DoorRelease.objects.select_related("requested_by", "device").in_bulk(
        [r.last_release_id for r in rows if r.last_release_id]
    )
    # Every last release, however old: two queries for all of them (one range per door, merged).
    confirmations = confirming_entries(releases.values())
    staff_buildings = set(grants.memberships)
    viewer_id = getattr(viewer, "pk", None)
    states = []
    for door in rows:
        release = releases.get(door.last_release_id)
        kind, confirmed = door_state(release, now, confirmations.get(release.pk) if release else None)
        detail = door.building_id in staff_buildings or (
            release is not None and viewer_id is not None and release.requested_by_id == viewer_id
        )
        states.append(
            DoorState(
                door,
                entries.get(door.last_entry_id),
                release,
                kind,
                confirmed,
                now,
                detail,
                viewer_id,
                None if usable is None else usable.get((door.building_id, door.bmx_id or 0)),
            )
        )
    return states


def _last_visible(model, order: tuple[str, ...], grants: Grants):
    """The id of the newest ``model`` row (an entry or a release) at the outer door that the person may
    see by ``restrict(grants)``.

    At a door of a building the person staffs, that rule admits every row (a row at a door belongs to the
    door's building), so there the subquery is the plain "newest at this door" of the staff board, decided
    on the door's building: PostgreSQL keeps walking the (door, time) index instead of intersecting it with
    the whole building's rows, which made a 200-door board a hundred times slower before an ANALYZE.
    """
    at_door = model.objects.filter(door=OuterRef("pk"))

    def newest(rows):
        return Subquery(rows.order_by(*order).values("id")[:1])

    scoped = newest(at_door.restrict(grants))
    if not grants.memberships:
        return scoped
    return Case(
        When(building_id__in=list(grants.memberships), then=newest(at_door)),
        default=scoped,
        output_field=BigIntegerField(),
    )


def board_doors(building: Building, grants: Grants) -> QuerySet[AccessPoint]:
    """The doors on a building's staff board: those the person may release there (residents' unit doors
    only when a manager shows them, or when the door is their own), as the doors API lists them."""
    return AccessPoint.objects.restrict(grants, action=RELEASE).filter(building=building, is_active=True)


def board_groups(
    building: Building, *, viewer, grants: Grants | None = None, now: datetime | None = None
) -> list[tuple[str, list[DoorState]]]:
    """The board's doors grouped the way a front desk thinks: entrances, then the rest, then unit locks."""
    grants = grants if grants is not None else grants_of(viewer)
    states = door_states(board_doors(building, grants), viewer=viewer, grants=grants, now=now)
    groups: dict[str, list[DoorState]] = {ENTRANCES: [], COMMON_AREAS: [], UNIT_DOORS: []}
    for state in states:
        groups[_group_of(state.door)].append(state)
    return [(str(GROUP_NAMES[key]), members) for key, members in groups.items() if members]


def _group_of(door: AccessPoint) -> str:
    """The board group of a door, by :mod:`tenants.door_kinds` on its prefetched devices."""
    kinds = {device.kind for device in door.devices.all()}
    if is_entrance(kinds):
        return ENTRANCES
    if is_unit_door(kinds):
        return UNIT_DOORS
    return COMMON_AREAS


def releases_audited_by(grants: Grants) -> QuerySet[DoorRelease]:
    """The audit trail: managers see their buildings' releases."""
    return DoorRelease.objects.restrict(grants, Role.MANAGER).select_related(
        "building", "door", "requested_by", "device"
    )
