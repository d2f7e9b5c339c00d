"""Which doors a new pass opens unless someone ticks more: the building's entrances.

ButterflyMX has no "entrance" or "amenity" category for a door, so the portal reads it from the door's
devices (``GET /v4/devices`` ``type``, by the rule of :mod:`tenants.door_kinds`, which the door board
uses too): a door with a panel, keypad, intercom or front desk station is where visitors come in (an
entrance); a door whose devices are all ``remote_lock`` is a resident's own apartment door (a unit
door); every other door (package room, rooftop, garage, gym, elevator) is an amenity. Unit doors and
amenities are opt-in: a pass opens them only when ticked. A door with no devices recorded yet (before
the roster sync has read them) is of a kind not yet known: the form says so instead of calling it an
amenity it then ticks (:func:`default_doors`).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from tenants.door_kinds import entrance_q, unit_door_q
from tenants.models import AccessPoint, Device

ENTRANCE, UNIT_DOOR, AMENITY, UNKNOWN = "entrance", "unit_door", "amenity", "unknown"
# How the form names each group next to a door (the help text says what ticked by default means).
GROUP_LABELS = {
    ENTRANCE: _("entrance"),
    UNIT_DOOR: _("resident's own door, opt-in"),
    AMENITY: _("amenity, opt-in"),
    UNKNOWN: _("kind of door not known yet"),
}


def with_groups(doors: QuerySet[AccessPoint]) -> QuerySet[AccessPoint]:
    """``doors`` annotated with ``is_entrance``, ``is_unit_lock`` and ``has_devices`` (one query, no
    per-door lookups)."""
    return doors.annotate(
        is_entrance=entrance_q(),
        is_unit_lock=unit_door_q(),
        has_devices=Exists(Device.objects.filter(access_points=OuterRef("pk"))),
    )


def group_of(door: AccessPoint) -> str:
    """The group of a door from :func:`with_groups`."""
    if door.is_unit_lock:
        return UNIT_DOOR
    if door.is_entrance:
        return ENTRANCE
    return AMENITY if door.has_devices else UNKNOWN


def default_doors(doors: QuerySet[AccessPoint]) -> list[AccessPoint]:
    """The doors of ``doors`` a pass opens when none are chosen: the entrances.

    Before the roster sync has recorded any door's devices the portal cannot tell an entrance from an
    amenity; it then leaves out only what it can tell (unit doors, none) rather than grant nothing.
    """
    grouped = list(with_groups(doors))
    entrances = [d for d in grouped if group_of(d) == ENTRANCE]
    if entrances:
        return entrances
    if not any(d.has_devices for d in grouped):
        return [d for d in grouped if not d.is_unit_lock]
    return []
