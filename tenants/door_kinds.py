"""What kind of door an access point is: an entrance, a resident's own unit door, or neither.

ButterflyMX has no such category for a door, so the portal reads it from the ``type`` of the door's
devices (``GET /v4/devices``). This module is the one home of that rule, in both forms the portal
needs: a database filter (:func:`entrance_q`, :func:`unit_door_q`, for querysets) and a test on the
device kinds of a door already in memory (:func:`is_entrance`, :func:`is_unit_door`, for the board,
which has the devices prefetched). Passes (their default doors, ``passes.doors``) and the door board
(its groups, ``portal.dashboard.selectors``) both use it.

- **Entrance**: a door with at least one device where visitors are let in: a ``panel`` or
  ``virtual_intercom`` (they call), a ``keypad`` (they type a PIN), or a ``front_desk_station``
  (the desk lets them in; ButterflyMX's own examples name one "Crimson Lobby"). A pass opens the
  entrances unless someone ticks more, and the board lists them first.
- **Unit door**: every device of the door is a unit lock (``remote_lock``): a resident's own apartment
  door. Opt-in on a pass; on the board only when the building's manager shows them.
- Anything else (package room, garage, rooftop, elevator) is a common area or amenity.

The two cannot both hold: an entrance has a device that is not a unit lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q

from .models import Device

ENTRANCE_KINDS = frozenset({"panel", "virtual_intercom", "keypad", "front_desk_station"})
UNIT_LOCK_KINDS = frozenset({"remote_lock"})


def is_entrance(kinds: Iterable[str]) -> bool:
    """Whether a door whose devices are of ``kinds`` is an entrance (see the module docstring)."""
    return not ENTRANCE_KINDS.isdisjoint(kinds)


def is_unit_door(kinds: Iterable[str]) -> bool:
    """Whether a door whose devices are of ``kinds`` is a resident's own door: it has devices, all unit locks."""
    kinds = set(kinds)
    return bool(kinds) and kinds <= UNIT_LOCK_KINDS


def entrance_q() -> Q:
    """:func:`is_entrance` as a filter on access points."""
    return Q(Exists(Device.objects.filter(access_points=OuterRef("pk"), kind__in=ENTRANCE_KINDS)))


def unit_door_q() -> Q:
    """:func:`is_unit_door` as a filter on access points (the board's "Unit doors" group)."""
    devices = Device.objects.filter(access_points=OuterRef("pk"))
    return Q(Exists(devices.filter(kind__in=UNIT_LOCK_KINDS))) & ~Q(Exists(devices.exclude(kind__in=UNIT_LOCK_KINDS)))


def release_device(devices: Iterable[Device]) -> Device | None:
    """The device a door is released by, when the contract says to release it by device, else None.

    ButterflyMX: "Access Points are used for controlling Intercoms, ACS Controllers, Smart Keypads, and
    Common Area Smart Locks. Devices are used for granting access to unit-level smart locks" (contract
    §4.6). So a resident's unit door (:func:`is_unit_door`: every device a unit lock) whose lock is one
    device connected to ButterflyMX is released with ``device_id``; everything else, and a unit door of
    several locks (no one device stands for it), with ``access_point_id``. A device release opens every
    access point of the device: the release service says which, and refuses it when one of them is not
    the person's to open."""
    active = [device for device in devices if device.is_active]
    if len(active) != 1 or not is_unit_door(device.kind for device in active):
        return None
    return active[0] if active[0].bmx_id is not None else None
