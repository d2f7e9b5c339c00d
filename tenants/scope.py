"""The one rule of who sees what, and the grants it is decided from.

A person's :class:`Grants` (their staff/manager memberships and the units they live in, read in one
query, once per request by :func:`request_grants`) decide everything they may see, by one rule,
:meth:`Grants.visible_q`:

- managers and staff see everything of the buildings they hold a :class:`Membership` at;
- residents see their own units' rows (active :class:`Residency`), the doors they are assigned, and
  the buildings they live in (with their building-wide things residents may see: the panels); never a
  neighbour's activity, even at a door they share.

Every scoped model's queryset has ``restrict(grants)`` (:class:`tenants.models.RestrictedQuerySet`,
in the spirit of NetBox's ``RestrictedQuerySet.restrict(user)``), which applies that rule with the
model's own lookups, and every page, fragment, API, CSV, chart and task reads scoped rows through it.
Anything outside a person's scope is simply absent from their querysets, which turns into a 404 on a
direct link: nobody learns that an object they may not see exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, reduce
from operator import or_

from django.db.models import CharField, IntegerField, Q, Value
from django.http import Http404
from django.utils.translation import gettext

from .door_kinds import unit_door_q
from .models import AccessPoint, Building, Membership, Residency, Role

ROLE_RANK = {Role.RESIDENT: 1, Role.STAFF: 2, Role.MANAGER: 3}

# What a person does with what they see (NetBox's ``action``): look at it, or release a door.
VIEW = "view"
RELEASE = "release"

# The columns of Building that Grants carries: enough for choices, names and zones.
GRANT_BUILDING_FIELDS = ("id", "name", "time_zone")


def hidden_unit_door_q() -> Q:
    """Unit doors of buildings whose manager keeps them off the staff board."""
    return unit_door_q() & Q(building__unit_doors_on_board=False)


@dataclass(frozen=True)
class Grants:
    """What one person holds, read in one query: staff/manager memberships by building, the building
    of each unit they actively live in, those residencies, and those buildings' names and zones.
    Everything a page needs about scope derives from it, so a page asks the database once, whatever
    its navigation, filters and body ask."""

    memberships: dict[int, Role] = field(default_factory=dict)  # building id -> staff or manager
    units: dict[int, int] = field(default_factory=dict)  # unit id -> its building id
    building_rows: dict[int, tuple] = field(default_factory=dict)  # building id -> GRANT_BUILDING_FIELDS
    residencies: frozenset[int] = frozenset()  # active residency ids (the doors they are assigned)

    def buildings(self) -> list[Building]:
        """The buildings of any role, by name, as ``Building.objects.only(*GRANT_BUILDING_FIELDS)``
        would load them (another field, if ever read, loads on access)."""
        loaded = [Building.from_db("default", GRANT_BUILDING_FIELDS, row) for row in self.building_rows.values()]
        return sorted(loaded, key=lambda b: (b.name, b.pk))

    @cached_property
    def roles(self) -> dict[int, Role]:
        """The strongest role in each building, by building id."""
        roles: dict[int, Role] = dict.fromkeys(self.units.values(), Role.RESIDENT)
        for building_id, role in self.memberships.items():
            current = roles.get(building_id)
            if current is None or ROLE_RANK[role] > ROLE_RANK[current]:
                roles[building_id] = role
        return roles

    def visible_q(
        self,
        *,
        building: str = "building",
        unit: str | None = None,
        door: str | None = None,
        roles: Iterable[str] = (),
        action: str = VIEW,
    ) -> Q:
        """THE rule: a filter for the rows of a model that this person may see (``action`` VIEW) or
        act on (RELEASE, doors only), by the model's lookups:

        - ``building``: the path to the row's building; staff and managers match on it;
        - ``unit``: for rows that belong to a unit (entries, calls, releases, passes, units), the path
          to it: residents match on their own units only;
        - ``door``: for doors, the path to the door's id: residents match the doors they are assigned;
        - neither: residents match the buildings they live in (buildings, their panels).

        ``roles`` narrows the grants that count (the audit trail: managers only); none: every role.
        Ids are literal (``building_id IN (1)``, not a subquery): PostgreSQL then walks the
        (building, logged_at) index in order instead of sorting a million rows.
        """
        roles = set(roles)
        staff = sorted(b for b, role in self.memberships.items() if not roles or role in roles)
        parts = [Q(**{f"{building}__in": staff})] if staff else []
        if self.units and (not roles or Role.RESIDENT in roles):
            if unit is not None:
                parts.append(Q(**{f"{unit}__in": sorted(self.units)}))
            elif door is not None:
                parts.append(self._assigned_q(door))
            else:
                parts.append(Q(**{f"{building}__in": sorted(set(self.units.values()))}))
        q = reduce(or_, parts) if parts else Q(pk__in=[])
        if action == RELEASE:
            if door is None:
                raise ValueError("only doors are released")
            # A unit door its building keeps off the board is absent for staff (a direct link or API
            # call answers 404), unless the person is assigned the door themself.
            q &= ~(hidden_unit_door_q() & ~self._assigned_q(door))
        return q

    def _assigned_q(self, door: str) -> Q:
        """The doors assigned to this person's active residencies. A subquery rather than a join: no
        duplicate rows when two of their tenancies open the same door."""
        if not self.residencies:
            return Q(pk__in=[])
        assigned = AccessPoint.residencies.through.objects.filter(residency_id__in=sorted(self.residencies))
        return Q(**{f"{door}__in": assigned.values("accesspoint_id")})


NO_GRANTS = Grants()


def _anonymous(user) -> bool:
    return user is None or not user.is_authenticated


def _grant_rows(user_id: int):
    """Both kinds of grant as one UNION: (building id, role, unit id, residency id, building name, zone);
    a membership has no unit and no residency."""
    none = Value(None, output_field=IntegerField())
    memberships = (
        Membership.objects.filter(user_id=user_id)
        .order_by()
        .values_list("building_id", "role", none, none, "building__name", "building__time_zone")
    )
    resident = Value(Role.RESIDENT.value, output_field=CharField())
    residencies = (
        Residency.objects.filter(user_id=user_id, is_active=True)
        .order_by()
        .values_list(
            "unit__building_id", resident, "unit_id", "id", "unit__building__name", "unit__building__time_zone"
        )
    )
    return memberships.union(residencies, all=True)


def grants_of(user) -> Grants:
    """Both kinds of grant in one round trip: memberships and active residencies."""
    if _anonymous(user):
        return NO_GRANTS
    units: dict[int, int] = {}
    residencies: set[int] = set()
    memberships: dict[int, Role] = {}
    building_rows: dict[int, tuple] = {}
    for building_id, role, unit_id, residency_id, name, time_zone in _grant_rows(user.pk):
        building_rows[building_id] = (building_id, name, time_zone)
        if unit_id is not None:
            units[unit_id] = building_id
            residencies.add(residency_id)
            continue
        role = Role(role)
        current = memberships.get(building_id)
        if current is None or ROLE_RANK[role] > ROLE_RANK[current]:
            memberships[building_id] = role
    return Grants(memberships, units, building_rows, frozenset(residencies))


def request_grants(request) -> Grants:
    """:func:`grants_of` the person making ``request``, read once per request and kept on it (with
    whose they are: an API request signed in by token has its user only once DRF authenticated it,
    after the middleware saw an anonymous one)."""
    user = getattr(request, "user", None)
    key = user.pk if not _anonymous(user) else None
    kept = getattr(request, "portal_grants", None)
    if kept is None or kept[0] != key:
        kept = (key, grants_of(user))
        request.portal_grants = kept
    return kept[1]


def roles_by_building(user) -> dict[int, Role]:
    """The strongest role ``user`` holds in each building, by building id."""
    return grants_of(user).roles


def request_roles(request) -> dict[int, Role]:
    """:func:`roles_by_building` of the person making ``request``, from :func:`request_grants`."""
    return request_grants(request).roles


def role_at(user, building: Building | int) -> Role | None:
    """The strongest role ``user`` holds at one building."""
    building_id = building if isinstance(building, int) else building.pk
    return grants_of(user).roles.get(building_id)


def has_role(user, building: Building | int, *roles: str) -> bool:
    return role_at(user, building) in roles


def get_building_or_404(grants: Grants, pk, *roles: str) -> Building:
    """The building ``pk`` if the person holding ``grants`` has one of ``roles`` there (any role when
    none given); 404 otherwise, as for anything out of scope."""
    try:
        return Building.objects.restrict(grants, *roles).get(pk=pk)
    except (Building.DoesNotExist, ValueError, TypeError):
        raise Http404(gettext("No such building")) from None
