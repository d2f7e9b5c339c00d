"""The one place that decides scope: each persona sees what design.md's table allows, nothing else."""

from __future__ import annotations

import pytest
from django.http import Http404

from tenants.models import Role, Unit
from tenants.scope import (
    buildings_visible_to,
    buildings_where,
    doors_visible_to,
    get_building_or_404,
    role_at,
    units_visible_to,
    visible_q,
)


def test_a_resident_sees_their_building_and_only_their_own_unit(world):
    assert list(buildings_visible_to(world.alice)) == [world.building_a]
    assert list(units_visible_to(world.alice)) == [world.unit_a1]


def test_a_resident_of_the_same_building_does_not_see_a_neighbours_unit(world):
    assert world.unit_a1 not in units_visible_to(world.bob)
    assert list(units_visible_to(world.bob)) == [world.unit_a2]


def test_a_resident_of_another_building_sees_nothing_of_building_a(world):
    assert list(buildings_visible_to(world.charlie)) == [world.building_b]
    assert not units_visible_to(world.charlie).filter(building=world.building_a).exists()


def test_staff_and_managers_see_every_unit_of_their_building_only(world):
    for person in (world.staff, world.manager):
        assert set(units_visible_to(person)) == {world.unit_a1, world.unit_a2}
        assert list(buildings_visible_to(person)) == [world.building_a]


def test_residents_see_only_the_doors_they_are_assigned(world):
    assert list(doors_visible_to(world.alice)) == [world.door_a]
    assert list(doors_visible_to(world.bob)) == [world.door_a2]
    assert set(doors_visible_to(world.staff)) == {world.door_a, world.door_a2}


def test_role_at_gives_the_strongest_role_in_each_building(world):
    assert role_at(world.alice, world.building_a) == Role.RESIDENT
    assert role_at(world.staff, world.building_a) == Role.STAFF
    assert role_at(world.manager, world.building_a) == Role.MANAGER
    assert role_at(world.manager, world.building_b) is None


def test_buildings_where_filters_by_role(world):
    assert list(buildings_where(world.manager, Role.MANAGER)) == [world.building_a]
    assert list(buildings_where(world.staff, Role.MANAGER)) == []
    assert list(buildings_where(world.alice, Role.STAFF, Role.MANAGER)) == []
    assert list(buildings_where(world.alice, Role.RESIDENT)) == [world.building_a]


def test_a_building_outside_scope_is_a_404_not_a_403(world):
    with pytest.raises(Http404):
        get_building_or_404(world.charlie, world.building_a.pk)
    with pytest.raises(Http404):
        get_building_or_404(world.staff, world.building_a.pk, Role.MANAGER)
    assert get_building_or_404(world.manager, world.building_a.pk, Role.MANAGER) == world.building_a


def test_a_malformed_id_is_a_404(world):
    with pytest.raises(Http404):
        get_building_or_404(world.manager, "not-a-number")


def test_anonymous_people_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    nobody = AnonymousUser()
    assert not buildings_visible_to(nobody).exists()
    assert not units_visible_to(nobody).exists()
    assert not Unit.objects.filter(visible_q(nobody, building="building", unit="id")).exists()


def test_a_moved_out_resident_loses_their_unit(world):
    world.alice.residencies.update(is_active=False)

    assert not units_visible_to(world.alice).exists()
    assert not buildings_visible_to(world.alice).exists()


def test_the_home_page_shows_each_role_what_it_can_do(world, client_for):
    alice_page = client_for(world.alice).get("/").content.decode()
    manager_page = client_for(world.manager).get("/").content.decode()
    charlie_page = client_for(world.charlie).get("/").content.decode()

    assert "Create, share and revoke visitor passes" in alice_page and "101" in alice_page
    assert "102" not in alice_page
    assert "Connect the building to ButterflyMX" in manager_page
    assert "Building A" not in charlie_page and "Building B" in charlie_page
