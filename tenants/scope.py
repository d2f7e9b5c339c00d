"""The one place that decides what a person may see, per building.

Every view and API builds its queryset from these functions, so scope cannot drift between pages.
Anything outside a person's scope is simply absent from their querysets, which turns into a 404 on a
direct link: nobody learns that an object they may not see exists.

- managers and staff see everything of the buildings they hold a :class:`Membership` at;
- residents see their own units (active :class:`Residency`) and the building those units are in, but
  only building-wide things that residents may see (doors they are assigned, their unit's records).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.db import DEFAULT_DB_ALIAS
from django.db.models import CharField, IntegerField, Q, QuerySet, Value
from django.http import Http404

from portal.core.prepared import PreparedQuery

from .door_kinds import unit_door_q
from .models import AccessPoint, Building, Membership, Residency, Role, Unit

ROLE_RANK = {Role.RESIDENT: 1, Role.STAFF: 2, Role.MANAGER: 3}


def _anonymous(user) -> bool:
    return user is None or not user.is_authenticated


def staff_building_ids(user, roles: Iterable[str] = (Role.STAFF, Role.MANAGER)) -> QuerySet:
    """Ids of buildings where ``user`` holds one of ``roles`` (staff or manager by default)."""
    if _anonymous(user):
        return Building.objects.none().values("id")
    return Membership.objects.filter(user=user, role__in=list(roles)).values("building_id")


def resident_unit_ids(user) -> QuerySet:
    if _anonymous(user):
        return Unit.objects.none().values("id")
    return Residency.objects.filter(user=user, is_active=True).values("unit_id")


def visible_q(user, *, building: str = "building", unit: str | None = "unit") -> Q:
    """A filter for any model that belongs to a building and, optionally, a unit.

    ``building``/``unit`` are the lookup paths from that model (e.g. ``"access_point__building"``).
    Staff and managers match on the building; residents match on their own units only.
    """
    if _anonymous(user):
        return Q(pk__in=[])
    q = Q(**{f"{building}__in": staff_building_ids(user)})
    if unit is not None:
        q |= Q(**{f"{unit}__in": resident_unit_ids(user)})
    return q


def buildings_visible_to(user) -> QuerySet[Building]:
    """Buildings where ``user`` has any role."""
    if _anonymous(user):
        return Building.objects.none()
    return Building.objects.filter(Q(id__in=staff_building_ids(user)) | Q(units__in=resident_unit_ids(user))).distinct()


def buildings_where(user, *roles: str) -> QuerySet[Building]:
    """Buildings where ``user`` holds one of ``roles`` ("resident" included)."""
    if _anonymous(user):
        return Building.objects.none()
    q = Q(id__in=staff_building_ids(user, [r for r in roles if r != Role.RESIDENT]))
    if Role.RESIDENT in roles:
        q |= Q(units__in=resident_unit_ids(user))
    return Building.objects.filter(q).distinct()


def units_visible_to(user) -> QuerySet[Unit]:
    return Unit.objects.filter(visible_q(user, building="building", unit="id")).select_related("building")


def _assigned_door_ids(user) -> QuerySet:
    return AccessPoint.residencies.through.objects.filter(residency__user=user, residency__is_active=True).values(
        "accesspoint_id"
    )


def doors_visible_to(user, grants: Grants | None = None) -> QuerySet[AccessPoint]:
    """Doors of staff/manager buildings, plus the doors a resident is assigned.

    With the person's :class:`Grants` (a page has them), the staff buildings are a plain id list and
    the residents' part is asked only of someone who lives somewhere: the query a staff member's log
    filter runs is then planned in a tenth of the time of the two subqueries.
    """
    if _anonymous(user):
        return AccessPoint.objects.none()
    if grants is None:
        # A subquery rather than a join: no duplicate rows, so no DISTINCT over wide rows.
        return AccessPoint.objects.filter(Q(building__in=staff_building_ids(user)) | Q(pk__in=_assigned_door_ids(user)))
    q = Q(building_id__in=list(grants.memberships))
    if grants.units:
        q |= Q(pk__in=_assigned_door_ids(user))
    return AccessPoint.objects.filter(q)


def hidden_unit_door_q() -> Q:
    """Unit doors of buildings whose manager keeps them off the staff board."""
    return unit_door_q() & Q(building__unit_doors_on_board=False)


def board_doors_visible_to(user, grants: Grants | None = None) -> QuerySet[AccessPoint]:
    """:func:`doors_visible_to` as staff may *act* on them (board, doors API, release): without the
    residents' unit doors their building keeps off the board, unless the person is assigned the door
    themself. A hidden door is absent, so a direct link or API call answers 404."""
    if _anonymous(user):
        return AccessPoint.objects.none()
    return doors_visible_to(user, grants).exclude(hidden_unit_door_q() & ~Q(pk__in=_assigned_door_ids(user)))


def grants_q(grants: Grants) -> Q:
    """What a person sees of a building's *activity* (access-log entries, calls, door releases): any
    model with ``building_id`` and ``unit_id``. Staff and managers: their buildings; residents: their
    own units only, never a neighbour's, even at a door they share.

    :func:`visible_q` with the ids already resolved (:class:`Grants`): PostgreSQL sees
    ``building_id IN (1)`` instead of ``building_id IN (subquery) OR unit_id IN (subquery)``: with literal
    ids (and no OR when a person has only one kind of role) it walks the (building, logged_at) index in
    order instead of sorting a million rows.
    """
    buildings, units = list(grants.memberships), list(grants.units)
    q = Q(pk__in=[])
    if buildings:
        q = Q(building_id__in=buildings)
    if units:
        q = q | Q(unit_id__in=units) if buildings else Q(unit_id__in=units)
    return q


def _door_choices_query(user_id):
    columns = ("id", "name", "building__name")
    of_their_buildings = (
        AccessPoint.objects.filter(
            building__memberships__user_id=user_id, building__memberships__role__in=[Role.STAFF, Role.MANAGER]
        )
        .order_by()
        .values_list(*columns)
    )
    assigned = (
        AccessPoint.objects.filter(residencies__user_id=user_id, residencies__is_active=True)
        .order_by()
        .values_list(*columns)
    )
    return of_their_buildings.union(assigned).order_by("building__name", "name", "id")


DOOR_CHOICES = PreparedQuery(_door_choices_query, "user_id")


def door_choices_of(user) -> list[AccessPoint]:
    """:func:`doors_visible_to` as a door choice lists them (id, name and ``building_name``; by
    building, then name), by a query compiled once per process: the log filters ask on every page."""
    if _anonymous(user):
        return []
    doors = []
    for pk, name, building_name in DOOR_CHOICES.rows(user_id=user.pk):
        door = AccessPoint.from_db(DEFAULT_DB_ALIAS, ("id", "name"), (pk, name))
        door.building_name = building_name  # for grouping the choices by building
        doors.append(door)
    return doors


# The columns of Building that Grants carries: enough for choices, names and zones.
GRANT_BUILDING_FIELDS = ("id", "name", "time_zone")


@dataclass(frozen=True)
class Grants:
    """What one person holds, read in one query: staff/manager memberships by building, the building
    of each unit they actively live in, and those buildings' names and zones. Everything a page needs
    about scope derives from it, so a page asks the database once, whatever its navigation, filters
    and body ask."""

    memberships: dict[int, Role] = field(default_factory=dict)  # building id -> staff or manager
    units: dict[int, int] = field(default_factory=dict)  # unit id -> its building id
    building_rows: dict[int, tuple] = field(default_factory=dict)  # building id -> GRANT_BUILDING_FIELDS

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


def _grants_query(user_id):
    """Both kinds of grant as one UNION: (building id, role, unit id or NULL, building name, zone)."""
    no_unit = Value(None, output_field=IntegerField())
    memberships_q = (
        Membership.objects.filter(user_id=user_id)
        .order_by()
        .values_list("building_id", "role", no_unit, "building__name", "building__time_zone")
    )
    resident = Value(Role.RESIDENT.value, output_field=CharField())
    residencies_q = (
        Residency.objects.filter(user_id=user_id, is_active=True)
        .order_by()
        .values_list("unit__building_id", resident, "unit_id", "unit__building__name", "unit__building__time_zone")
    )
    return memberships_q.union(residencies_q, all=True)


# Every page reads the grants: compiled once per process, not per request (portal/core/prepared.py).
GRANTS_QUERY = PreparedQuery(_grants_query, "user_id")


def grants_of(user) -> Grants:
    """Both kinds of grant in one round trip: memberships and active residencies."""
    if _anonymous(user):
        return Grants()
    units: dict[int, int] = {}
    memberships: dict[int, Role] = {}
    building_rows: dict[int, tuple] = {}
    for building_id, role, unit_id, name, time_zone in GRANTS_QUERY.rows(user_id=user.pk):
        building_rows[building_id] = (building_id, name, time_zone)
        if unit_id is not None:
            units[unit_id] = building_id
            continue
        role = Role(role)
        current = memberships.get(building_id)
        if current is None or ROLE_RANK[role] > ROLE_RANK[current]:
            memberships[building_id] = role
    return Grants(memberships, units, building_rows)


def request_grants(request) -> Grants:
    """:func:`grants_of` the person making ``request``, looked up once per request."""
    grants = getattr(request, "_portal_grants", None)
    if grants is None:
        grants = grants_of(getattr(request, "user", None))
        request._portal_grants = grants
    return grants


def roles_by_building(user) -> dict[int, Role]:
    """The strongest role ``user`` holds in each building, by building id."""
    return grants_of(user).roles


def request_roles(request) -> dict[int, Role]:
    """:func:`roles_by_building` of the person making ``request``, from :func:`request_grants`."""
    return request_grants(request).roles


def role_at(user, building: Building | int) -> Role | None:
    """The strongest role ``user`` holds at one building (one query for staff and managers)."""
    if _anonymous(user):
        return None
    building_id = building if isinstance(building, int) else building.pk
    role = Membership.objects.filter(user=user, building_id=building_id).values_list("role", flat=True).first()
    if role is not None:
        return Role(role)  # a membership is staff or manager: stronger than any residency
    living_there = Residency.objects.filter(user=user, is_active=True, unit__building_id=building_id).exists()
    return Role.RESIDENT if living_there else None


def has_role(user, building: Building | int, *roles: str) -> bool:
    return role_at(user, building) in roles


def get_building_or_404(user, pk, *roles: str) -> Building:
    """The building ``pk`` if ``user`` holds one of ``roles`` there (any role when none given)."""
    qs = buildings_where(user, *roles) if roles else buildings_visible_to(user)
    try:
        return qs.get(pk=pk)
    except (Building.DoesNotExist, ValueError, TypeError):
        raise Http404("No such building") from None
