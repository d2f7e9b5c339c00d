"""The managers' audit trail (page and CSV) and the doors API."""

from __future__ import annotations

import csv
import io

from portal.dashboard.models import DoorRelease
from portal.dashboard.services import door_release

from .conftest import FRONT_DOOR, GARAGE, releases_at_sandbox


def test_managers_see_who_released_what_when_and_why(crimson, sandbox, client):
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="plumber")
    client.force_login(crimson.manager)

    page = client.get("/dashboard/audit/").content.decode()

    assert "plumber" in page and "Front door" in page and "Released" in page
    assert crimson.staff.display_name in page


def test_staff_and_residents_do_not_get_the_audit(crimson, client):
    for person in (crimson.staff, crimson.rosa):
        client.force_login(person)
        assert client.get("/dashboard/audit/").status_code == 404
        assert client.get("/dashboard/audit.csv").status_code == 404


def test_the_audit_filters_by_door_and_result(crimson, sandbox, client):
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="alpha-reason")
    sandbox.fault("/v4/door_release_requests", "POST", status=500)
    door_release(user=crimson.staff, door_id=crimson.doors[GARAGE].pk, reason="beta-reason")
    client.force_login(crimson.manager)

    by_door = client.get("/dashboard/audit/", {"door": crimson.doors[GARAGE].pk}).content.decode()
    failed = client.get("/dashboard/audit/", {"status": "failed"}).content.decode()

    assert "beta-reason" in by_door and "alpha-reason" not in by_door
    assert "beta-reason" in failed and "alpha-reason" not in failed


def test_the_audit_csv_holds_exactly_the_filtered_rows(crimson, sandbox, client):
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="one")
    door_release(user=crimson.manager, door_id=crimson.doors[GARAGE].pk, reason="two")
    client.force_login(crimson.manager)

    response = client.get("/dashboard/audit.csv", {"person": "desk@"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert [r["reason"] for r in rows] == ["one"]
    assert rows[0]["door"] == "Front door" and rows[0]["result"] == "Released"
    assert rows[0]["time_zone"] == "America/New_York" and rows[0]["confirmed"] == "no"


def test_the_api_lists_the_doors_a_person_may_see_with_their_state(crimson, sandbox, client):
    client.force_login(crimson.rosa)

    doors = client.get("/api/doors/").json()

    assert sorted(d["name"] for d in doors) == ["Front door", "Garage", "Package room"]
    assert {d["state"] for d in doors} == {"idle"}


def test_the_api_releases_through_the_same_service_and_limits(crimson, sandbox, client):
    client.force_login(crimson.staff)
    url = f"/api/doors/{crimson.doors[FRONT_DOOR].pk}/release/"

    first = client.post(url, {"reason": "api"}, content_type="application/json")
    second = client.post(url, {"reason": "api again"}, content_type="application/json")

    assert first.status_code == 201 and first.json()["status"] == "succeeded"
    assert second.status_code == 409 and "just released" in second.json()["detail"]
    assert releases_at_sandbox(sandbox) == 1
    assert DoorRelease.objects.count() == 1


def test_the_api_answers_404_for_a_door_out_of_scope(crimson, client):
    client.force_login(crimson.other_staff)

    assert client.get(f"/api/doors/{crimson.doors[FRONT_DOOR].pk}/").status_code == 404
    assert client.get("/api/doors/").json() == []
