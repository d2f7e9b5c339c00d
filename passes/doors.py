"""Which doors a new pass opens unless someone ticks more: the building's entrances.

ButterflyMX has no "entrance" or "amenity" category for a door, so the portal reads it from the door's
devices (``GET /v4/devices`` ``type``): a door with a panel, keypad or intercom is where visitors come in
(an entrance); a door whose devices are all ``remote_lock`` is a resident's own apartment door (a unit
door, :func:`tenants.scope.unit_door_q`); every other door (package room, rooftop, garage, gym,
elevator) is an amenity. Unit doors and amenities are opt-in: a pass opens them only when ticked.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from tenants.models import AccessPoint, Device
from tenants.scope import unit_door_q

ENTRANCE_DEVICE_KINDS = frozenset({"panel", "keypad", "virtual_intercom"})

ENTRANCE, UNIT_DOOR, AMENITY = "entrance", "unit_door", "amenity"
# How the form names each group next to a door (the help text says what ticked by default means).
GROUP_LABELS = {ENTRANCE: "entrance", UNIT_DOOR: "resident's own door, opt-in", AMENITY: "amenity, opt-in"}


def entrance_q() -> Q:
    devices = Device.objects.filter(access_points=OuterRef("pk"), kind__in=ENTRANCE_DEVICE_KINDS)
    return Q(Exists(devices))


def with_groups(doors: QuerySet[AccessPoint]) -> QuerySet[AccessPoint]:
    """``doors`` annotated with ``is_entrance`` and ``is_unit_door`` (one query, no per-door lookups)."""
    return doors.annotate(is_entrance=entrance_q(), is_unit_lock=unit_door_q())


def group_of(door: AccessPoint) -> str:
    """The group of a door from :func:`with_groups`."""
    if door.is_unit_lock:
        return UNIT_DOOR
    return ENTRANCE if door.is_entrance else AMENITY


def default_doors(doors: QuerySet[AccessPoint]) -> list[AccessPoint]:
    """The doors of ``doors`` a pass opens when none are chosen: the entrances.

    Before the roster sync has recorded any door's devices the portal cannot tell an entrance from an
    amenity; it then leaves out only what it can tell (unit doors, none) rather than grant nothing.
    """
    grouped = list(with_groups(doors))
    entrances = [d for d in grouped if group_of(d) == ENTRANCE]
    if entrances:
        return entrances
    if not Device.objects.filter(access_points__in=[d.pk for d in grouped]).exists():
        return [d for d in grouped if not d.is_unit_lock]
    return []
