"""The one rule of scope (tenants/scope.py, ``Grants.visible_q``) as every scoped model's
``restrict(grants)`` applies it: each persona sees what design.md's table allows, nothing else.
Every surface that shows scoped rows is checked against it in tests/privacy_matrix.py."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from logs.filters import door_choices
from logs.models import AccessLogEntry, CallRecord
from passes.models import Pass
from portal.accounts.backends import PortalAllauthBackend, PortalModelBackend
from portal.dashboard.models import DoorRelease
from tenants.models import (
    AccessPoint,
    BmxLink,
    Building,
    Device,
    Membership,
    RestrictedQuerySet,
    Role,
    TenantRecord,
    Unit,
)
from tenants.scope import RELEASE, get_building_or_404, grants_of, request_grants, role_at
from tests import factories as f
from tests.logs.factories import call_for, entry_for

pytestmark = pytest.mark.django_db


def restrict(model, person, *roles, **kwargs):
    return set(model.objects.restrict(grants_of(person), *roles, **kwargs))


def test_every_scoped_model_is_restricted_by_the_one_rule():
    scoped = (Building, Unit, AccessPoint, Device, TenantRecord, AccessLogEntry, CallRecord, DoorRelease, Pass)
    for model in scoped:
        assert isinstance(model.objects.all(), RestrictedQuerySet), model


def test_a_resident_sees_their_building_and_only_their_own_unit(world):
    assert restrict(Building, world.alice) == {world.building_a}
    assert restrict(Unit, world.alice) == {world.unit_a1}


def test_a_resident_of_the_same_building_does_not_see_a_neighbours_unit(world):
    assert restrict(Unit, world.bob) == {world.unit_a2}


def test_a_resident_of_another_building_sees_nothing_of_building_a(world):
    assert restrict(Building, world.charlie) == {world.building_b}
    assert restrict(Unit, world.charlie) == {world.unit_b1}


def test_staff_and_managers_see_every_unit_of_their_building_only(world):
    for person in (world.staff, world.manager):
        assert restrict(Unit, person) == {world.unit_a1, world.unit_a2}
        assert restrict(Building, person) == {world.building_a}


def test_residents_see_only_the_doors_they_are_assigned(world):
    assert restrict(AccessPoint, world.alice) == {world.door_a}
    assert restrict(AccessPoint, world.bob) == {world.door_a2}
    assert restrict(AccessPoint, world.staff) == {world.door_a, world.door_a2}


def test_a_door_assigned_through_two_tenancies_is_listed_once(world):
    both = f.UserFactory()
    f.ResidencyFactory(user=both, unit=world.unit_a1).doors.set([world.door_a])
    f.ResidencyFactory(user=both, unit=world.unit_a2).doors.set([world.door_a])
    assert list(AccessPoint.objects.restrict(grants_of(both))) == [world.door_a]


def test_activity_is_the_buildings_for_staff_and_the_own_units_for_residents(world):
    a1 = entry_for(world.building_a, remote_id=1, unit=world.unit_a1, door=world.door_a)
    a2 = entry_for(world.building_a, remote_id=2, unit=world.unit_a2, door=world.door_a)  # alice's door, bob's unit
    b1 = entry_for(world.building_b, remote_id=3, unit=world.unit_b1, door=world.door_b)
    lobby = entry_for(world.building_a, remote_id=4, door=world.door_a)  # no unit: the building's
    call = call_for(world.building_a, remote_id=1, unit=world.unit_a1)
    assert restrict(AccessLogEntry, world.alice) == {a1}
    assert restrict(AccessLogEntry, world.bob) == {a2}
    assert restrict(AccessLogEntry, world.charlie) == {b1}
    assert restrict(AccessLogEntry, world.staff) == {a1, a2, lobby}
    assert restrict(CallRecord, world.alice) == {call} and not restrict(CallRecord, world.bob)


def test_roles_narrow_the_grants_that_count(world):
    both = f.UserFactory()
    f.ResidencyFactory(user=both, unit=world.unit_b1).doors.set([world.door_b])
    Membership.objects.create(user=both, building=world.building_a, role=Role.STAFF)
    assert restrict(Building, both) == {world.building_a, world.building_b}
    assert restrict(Building, both, Role.STAFF, Role.MANAGER) == {world.building_a}
    assert restrict(Building, both, Role.MANAGER) == set()
    assert restrict(Building, both, Role.RESIDENT) == {world.building_b}
    assert restrict(AccessPoint, both, Role.RESIDENT) == {world.door_b}  # "My doors": assigned ones only
    assert restrict(Building, world.manager, Role.MANAGER) == {world.building_a}
    assert restrict(Building, world.staff, Role.MANAGER) == set()


def test_staff_may_release_no_unit_door_their_building_keeps_off_the_board_unless_it_is_theirs(world):
    unit_door = f.AccessPointFactory(building=world.building_a, name="A 101 door")
    f.DeviceFactory(building=world.building_a, kind="remote_lock").access_points.set([unit_door])
    world.alice.residencies.get().doors.add(unit_door)
    assert unit_door in restrict(AccessPoint, world.staff)  # seen in the logs' door filter
    assert unit_door not in restrict(AccessPoint, world.staff, action=RELEASE)
    assert unit_door in restrict(AccessPoint, world.alice, action=RELEASE)  # her own door
    Building.objects.filter(pk=world.building_a.pk).update(unit_doors_on_board=True)
    assert unit_door in restrict(AccessPoint, world.staff, action=RELEASE)
    with pytest.raises(ValueError):
        Unit.objects.restrict(grants_of(world.staff), action=RELEASE)


def test_role_at_gives_the_strongest_role_in_each_building(world):
    assert role_at(world.alice, world.building_a) == Role.RESIDENT
    assert role_at(world.staff, world.building_a) == Role.STAFF
    assert role_at(world.manager, world.building_a) == Role.MANAGER
    assert role_at(world.manager, world.building_b) is None


def test_a_building_outside_scope_is_a_404_not_a_403(world):
    with pytest.raises(Http404):
        get_building_or_404(grants_of(world.charlie), world.building_a.pk)
    with pytest.raises(Http404):
        get_building_or_404(grants_of(world.staff), world.building_a.pk, Role.MANAGER)
    assert get_building_or_404(grants_of(world.manager), world.building_a.pk, Role.MANAGER) == world.building_a


def test_a_malformed_id_is_a_404(world):
    with pytest.raises(Http404):
        get_building_or_404(grants_of(world.manager), "not-a-number")


def test_anonymous_people_and_people_without_a_role_see_nothing(world):
    for nobody in (AnonymousUser(), f.UserFactory()):
        grants = grants_of(nobody)
        for model in (Building, Unit, AccessPoint, Device, AccessLogEntry, Pass):
            assert not model.objects.restrict(grants).exists(), (nobody, model)


def test_a_moved_out_resident_loses_their_unit_and_doors(world):
    world.alice.residencies.update(is_active=False)

    assert not restrict(Unit, world.alice)
    assert not restrict(Building, world.alice)
    assert not restrict(AccessPoint, world.alice)


# --- grants: one query, once per request ------------------------------------------------------------


def test_grants_hold_memberships_residencies_and_their_buildings(world, django_assert_num_queries):
    both = f.UserFactory()
    home = f.ResidencyFactory(user=both, unit=world.unit_b1)
    Membership.objects.create(user=both, building=world.building_a, role="staff")
    f.ResidencyFactory(user=both, unit=world.unit_a2, is_active=False)  # moved out: not a grant

    with django_assert_num_queries(1):
        grants = grants_of(both)
    assert grants.memberships == {world.building_a.pk: "staff"}
    assert grants.units == {world.unit_b1.pk: world.building_b.pk}
    assert grants.residencies == {home.pk}
    assert grants.roles == {world.building_a.pk: "staff", world.building_b.pk: "resident"}
    assert [(b.pk, b.name, b.time_zone) for b in grants.buildings()] == [
        (world.building_a.pk, "Building A", "America/New_York"),
        (world.building_b.pk, "Building B", "America/Los_Angeles"),
    ]
    assert grants_of(f.UserFactory()).roles == {}


def test_a_request_reads_the_grants_once_and_again_for_another_user(world, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = world.alice
    with django_assert_num_queries(1):
        assert request_grants(request) is request_grants(request)
    request.user = world.manager  # e.g. DRF authenticated a token after the middleware saw nobody
    assert request_grants(request).memberships == {world.building_a.pk: Role.MANAGER}


def test_door_choices_are_the_visible_doors_by_building_then_name(world):
    both = f.UserFactory()
    f.ResidencyFactory(user=both, unit=world.unit_b1).doors.set([world.door_b])
    Membership.objects.create(user=both, building=world.building_a, role="manager")
    moved_out = f.UserFactory()
    f.ResidencyFactory(user=moved_out, unit=world.unit_b1, is_active=False).doors.set([world.door_b])
    assert [door.name for door in door_choices(grants_of(both))] == ["A Front Door", "A Garage", "B Lobby"]
    assert [d.building_name for d in door_choices(grants_of(both))] == ["Building A", "Building A", "Building B"]
    assert door_choices(grants_of(world.alice)) == [world.door_a]
    assert door_choices(grants_of(moved_out)) == []


# --- the signed-in person, loaded by the authentication backends (one query) ------------------------


@pytest.mark.parametrize("backend_class", [PortalModelBackend, PortalAllauthBackend])
def test_the_backends_load_the_user_with_the_relink_flag_in_one_query(world, backend_class, django_assert_num_queries):
    backend = backend_class()
    expected = get_user_model().objects.get(pk=world.alice.pk)
    with django_assert_num_queries(1):
        user = backend.get_user(world.alice.pk)
    fields = [field.attname for field in get_user_model()._meta.concrete_fields]
    assert {name: getattr(user, name) for name in fields} == {name: getattr(expected, name) for name in fields}
    assert user.has_links_to_relink is False

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


def test_the_home_page_shows_each_role_what_it_can_do(world, client_for):
    alice_page = client_for(world.alice).get("/").content.decode()
    manager_page = client_for(world.manager).get("/").content.decode()
    charlie_page = client_for(world.charlie).get("/").content.decode()

    assert "Create, share and revoke visitor passes" in alice_page and "101" in alice_page
    assert "102" not in alice_page
    assert "Connect the building to ButterflyMX" in manager_page
    assert "Building A" not in charlie_page and "Building B" in charlie_page
