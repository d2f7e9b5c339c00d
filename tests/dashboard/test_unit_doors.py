"""Residents' unit doors (an apartment's own lock): off the staff board unless a manager shows them,
and opened by staff only with a reason. The resident opens their own without one."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.dashboard.models import DoorRelease
from portal.dashboard.services import UNIT_DOOR_REASON_REQUIRED, ReleaseRefused, door_release
from tenants.models import Building

from .conftest import FRONT_DOOR, releases_at_sandbox

UNIT_4B = 3906  # Rosa's apartment door: one "remote_lock" device


def show_unit_doors(crimson, shown: bool = True) -> None:
    Building.objects.filter(pk=crimson.building.pk).update(unit_doors_on_board=shown)
    crimson.building.refresh_from_db()


def toggle_url(crimson) -> str:
    return f"/dashboard/{crimson.building.pk}/unit-doors/"


def test_unit_doors_are_off_the_staff_board_and_api_by_default(crimson, client):
    for person in (crimson.staff, crimson.manager):
        client.force_login(person)

        board = client.get(f"/dashboard/{crimson.building.pk}/").content.decode()
        fragment = client.get(f"/dashboard/{crimson.building.pk}/doors/").content.decode()
        listed = [d["name"] for d in client.get("/api/doors/").json()]

        assert "Unit 4B" not in board and "Unit 4B" not in fragment and "Unit 4B" not in listed
        assert "Front door" in board and "Front door" in fragment and "Front door" in listed


def test_staff_cannot_reach_a_hidden_unit_door_by_url_or_api(crimson, sandbox, client):
    door = crimson.doors[UNIT_4B]
    client.force_login(crimson.staff)

    answers = [
        client.get(f"/doors/{door.pk}/release/").status_code,
        client.post(f"/doors/{door.pk}/release/", {"reason": "let me in"}).status_code,
        client.get(f"/api/doors/{door.pk}/").status_code,
        client.post(f"/api/doors/{door.pk}/release/", {"reason": "x"}, content_type="application/json").status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert releases_at_sandbox(sandbox) == 0 and not DoorRelease.objects.exists()


def test_a_manager_shows_unit_doors_with_a_post_that_needs_csrf(crimson, client):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(crimson.manager)
    assert strict.post(toggle_url(crimson), {"shown": "on"}).status_code == 403  # no CSRF token

    client.force_login(crimson.manager)
    response = client.post(toggle_url(crimson), {"shown": "on"})

    assert response.status_code == 302 and response.url == f"/dashboard/{crimson.building.pk}/"
    crimson.building.refresh_from_db()
    assert crimson.building.unit_doors_on_board is True
    client.force_login(crimson.staff)
    assert "Unit 4B" in client.get(f"/dashboard/{crimson.building.pk}/doors/").content.decode()
    assert "Unit 4B" in [d["name"] for d in client.get("/api/doors/").json()]


def test_an_unticked_box_hides_them_again(crimson, client):
    show_unit_doors(crimson)
    client.force_login(crimson.manager)

    client.post(toggle_url(crimson), {})

    crimson.building.refresh_from_db()
    assert crimson.building.unit_doors_on_board is False


def test_only_the_buildings_managers_may_toggle_it(crimson, client):
    for person in (crimson.staff, crimson.rosa, crimson.other_staff):
        client.force_login(person)
        assert client.post(toggle_url(crimson), {"shown": "on"}).status_code == 404
    client.force_login(crimson.manager)
    assert client.get(toggle_url(crimson)).status_code == 405

    crimson.building.refresh_from_db()
    assert crimson.building.unit_doors_on_board is False


def test_managers_see_the_toggle_and_staff_do_not(crimson, client):
    client.force_login(crimson.manager)
    managers_board = client.get(f"/dashboard/{crimson.building.pk}/").content.decode()
    client.force_login(crimson.staff)
    staff_board = client.get(f"/dashboard/{crimson.building.pk}/").content.decode()

    assert "Show residents&#x27; unit doors on this board" in managers_board
    assert toggle_url(crimson) in managers_board and toggle_url(crimson) not in staff_board


def test_staff_need_a_reason_to_open_a_residents_unit_door(crimson, sandbox, client):
    show_unit_doors(crimson)
    door = crimson.doors[UNIT_4B]
    client.force_login(crimson.staff)

    form = client.get(f"/doors/{door.pk}/release/", HTTP_HX_REQUEST="true").content.decode()
    refused = client.post(f"/doors/{door.pk}/release/", {"reason": "   "}, HTTP_HX_REQUEST="true")

    assert "Reason (optional)" not in form and "resident&#x27;s own door" in form
    assert refused.status_code == 400
    assert "a reason is required for unit doors" in refused.content.decode()
    assert releases_at_sandbox(sandbox) == 0

    released = client.post(f"/doors/{door.pk}/release/", {"reason": "water leak below 4B"})

    assert released.status_code == 302
    assert DoorRelease.objects.get().reason == "water leak below 4B"
    assert releases_at_sandbox(sandbox) == 1


def test_the_api_refuses_staff_an_empty_reason_for_a_unit_door(crimson, sandbox, client):
    show_unit_doors(crimson)
    client.force_login(crimson.manager)
    url = f"/api/doors/{crimson.doors[UNIT_4B].pk}/release/"

    refused = client.post(url, {}, content_type="application/json")

    assert refused.status_code == 400
    assert refused.json()["errors"]["reason"] == [UNIT_DOOR_REASON_REQUIRED]
    assert releases_at_sandbox(sandbox) == 0
    assert client.post(url, {"reason": "smoke alarm"}, content_type="application/json").status_code == 201


def test_the_service_itself_refuses_staff_without_a_reason(crimson, sandbox):
    show_unit_doors(crimson)

    with pytest.raises(ReleaseRefused) as refused:
        door_release(user=crimson.staff, door_id=crimson.doors[UNIT_4B].pk, reason="")

    assert refused.value.status == 400 and str(refused.value) == UNIT_DOOR_REASON_REQUIRED
    assert releases_at_sandbox(sandbox) == 0


def test_other_doors_still_need_no_reason_from_staff(crimson, sandbox, client):
    client.force_login(crimson.staff)

    assert client.post(f"/doors/{crimson.doors[FRONT_DOOR].pk}/release/").status_code == 302
    assert releases_at_sandbox(sandbox) == 1


@pytest.mark.parametrize("shown", [False, True])
def test_a_resident_opens_their_own_unit_door_without_a_reason(crimson, sandbox, client, shown):
    show_unit_doors(crimson, shown)
    door = crimson.doors[UNIT_4B]
    crimson.rosa_residency.doors.add(door)
    client.force_login(crimson.rosa)

    assert "Unit 4B" in client.get("/doors/").content.decode()
    assert "Unit 4B" in [d["name"] for d in client.get("/api/doors/").json()]
    response = client.post(f"/doors/{door.pk}/release/")

    assert response.status_code == 302 and response.url == "/doors/"
    release = DoorRelease.objects.get()
    assert release.status == DoorRelease.Status.SUCCEEDED and release.reason == ""
    assert releases_at_sandbox(sandbox) == 1
