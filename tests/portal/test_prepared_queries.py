"""Queries compiled once per process (portal/core/prepared.py) and the hot paths built on them: they
return exactly what the ORM would, on both databases, and refuse a query they cannot prepare."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.accounts.backends import PortalAllauthBackend, PortalModelBackend
from portal.core.prepared import PreparedQuery
from tenants.models import BmxLink, Membership, Unit
from tenants.scope import doors_visible_to, grants_of
from tests import factories as f

pytestmark = pytest.mark.django_db


def _units_of(building_id):
    return Unit.objects.filter(building_id=building_id).order_by("label").values_list("id", "label", "building__name")


def test_a_prepared_query_returns_what_the_orm_returns_for_each_value(world):
    units = PreparedQuery(_units_of, "building_id")
    for building in (world.building_a, world.building_b):
        assert units.rows(building_id=building.pk) == [list(row) for row in _units_of(building.pk)]
    assert units.rows(building_id=-1) == []


def test_it_is_built_and_compiled_once_then_only_executed(world):
    built = []

    def build(building_id):
        built.append(building_id)
        return _units_of(building_id)

    units = PreparedQuery(build, "building_id")
    with CaptureQueriesContext(connection) as queries:
        first = units.rows(building_id=world.building_a.pk)
        second = units.rows(building_id=world.building_b.pk)
    assert len(built) == 1  # once, with the placeholder
    assert len(queries) == 2
    assert [row[1] for row in first] == ["101", "102"] and [row[1] for row in second] == ["5A"]


def test_columns_are_converted_as_the_orm_converts_them(world):
    # SQLite hands datetimes back as text and booleans as integers; the ORM's converters turn them
    # into aware datetimes and bools. The prepared query must do the same on both databases.
    when = timezone.now() - timedelta(days=3)
    get_user_model().objects.filter(pk=world.alice.pk).update(last_login=when)
    users = PreparedQuery(
        lambda pk: get_user_model().objects.filter(pk=pk).values_list("last_login", "is_active", "date_joined"), "pk"
    )
    [(last_login, is_active, joined)] = users.rows(pk=world.alice.pk)
    assert last_login == when and timezone.is_aware(last_login)
    assert is_active is True
    assert joined == get_user_model().objects.get(pk=world.alice.pk).date_joined


def test_a_value_that_does_not_reach_the_sql_as_a_parameter_is_refused(world):
    ignores_it = PreparedQuery(lambda building_id: Unit.objects.values_list("id"), "building_id")
    with pytest.raises(ImproperlyConfigured, match="building_id"):
        ignores_it.rows(building_id=world.building_a.pk)


def test_every_parameter_must_be_given_and_no_other(world):
    units = PreparedQuery(_units_of, "building_id")
    with pytest.raises(TypeError):
        units.rows()
    with pytest.raises(TypeError):
        units.rows(building_id=1, extra=2)


# --- the signed-in person, loaded by the authentication backends --------------------------------


@pytest.mark.parametrize("backend_class", [PortalModelBackend, PortalAllauthBackend])
def test_the_backends_load_the_same_user_the_orm_loads_with_the_relink_flag(world, backend_class):
    backend = backend_class()
    expected = get_user_model().objects.get(pk=world.alice.pk)
    user = backend.get_user(world.alice.pk)
    fields = [field.attname for field in get_user_model()._meta.concrete_fields]
    assert {name: getattr(user, name) for name in fields} == {name: getattr(expected, name) for name in fields}
    assert user.has_links_to_relink is False
    assert user._state.db == "default" and not user._state.adding

    BmxLink.objects.create(
        user=world.alice,
        kind="tenant",
        access_token="a",
        refresh_token="r",
        expires_at=timezone.now(),
        status=BmxLink.Status.NEEDS_RELINK,
    )
    assert backend.get_user(world.alice.pk).has_links_to_relink is True
    assert backend.get_user(str(world.alice.pk)).pk == world.alice.pk  # as a session stores it


def test_the_backends_give_no_user_for_a_missing_malformed_or_inactive_id(world):
    backend = PortalModelBackend()
    assert backend.get_user(999_999) is None
    assert backend.get_user("not-a-number") is None
    get_user_model().objects.filter(pk=world.bob.pk).update(is_active=False)
    assert backend.get_user(world.bob.pk) is None


# --- grants and doors ------------------------------------------------------------------------------


def test_grants_hold_memberships_residencies_and_their_buildings(world):
    both = f.UserFactory()
    f.ResidencyFactory(user=both, unit=world.unit_b1)
    Membership.objects.create(user=both, building=world.building_a, role="staff")
    f.ResidencyFactory(user=both, unit=world.unit_a2, is_active=False)  # moved out: not a grant

    grants = grants_of(both)
    assert grants.memberships == {world.building_a.pk: "staff"}
    assert grants.units == {world.unit_b1.pk: world.building_b.pk}
    assert grants.roles == {world.building_a.pk: "staff", world.building_b.pk: "resident"}
    assert [(b.pk, b.name, b.time_zone) for b in grants.buildings()] == [
        (world.building_a.pk, "Building A", "America/New_York"),
        (world.building_b.pk, "Building B", "America/Los_Angeles"),
    ]
    assert grants_of(f.UserFactory()).roles == {}


def test_doors_from_a_persons_grants_are_the_doors_visible_to_them(world):
    both = f.UserFactory()
    f.ResidencyFactory(user=both, unit=world.unit_b1).doors.set([world.door_b])
    Membership.objects.create(user=both, building=world.building_a, role="manager")
    outsider = f.UserFactory()
    for person in (world.alice, world.bob, world.charlie, world.staff, world.manager, both, outsider):
        with_grants = set(doors_visible_to(person, grants_of(person)))
        assert with_grants == set(doors_visible_to(person)), person
    assert set(doors_visible_to(both, grants_of(both))) == {world.door_a, world.door_a2, world.door_b}


def test_door_choices_are_the_visible_doors_by_building_then_name(world):
    from tenants.scope import door_choices_of

    both = f.UserFactory()
    f.ResidencyFactory(user=both, unit=world.unit_b1).doors.set([world.door_b])
    Membership.objects.create(user=both, building=world.building_a, role="manager")
    moved_out = f.UserFactory()
    f.ResidencyFactory(user=moved_out, unit=world.unit_b1, is_active=False).doors.set([world.door_b])
    for person in (world.alice, world.charlie, world.staff, world.manager, both, moved_out, f.UserFactory()):
        expected = list(doors_visible_to(person).order_by("building__name", "name", "id").values_list("id", "name"))
        assert [(door.pk, door.name) for door in door_choices_of(person)] == expected, person
    assert [door.name for door in door_choices_of(both)] == ["A Front Door", "A Garage", "B Lobby"]
