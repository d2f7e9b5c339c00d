"""The managers' audit trail (page and CSV) and the doors API."""

from __future__ import annotations

import csv
import io

from logs.models import AccessLogEntry, ReleaseMethod
from logs.sync import stream_sync
from portal.dashboard.models import DoorRelease
from portal.dashboard.selectors import confirming_entry
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


def _audit_rows(client) -> list[dict]:
    response = client.get("/dashboard/audit.csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_audit_confirms_a_release_by_the_entry_butterflymx_logged_for_it(crimson, sandbox, client):
    # given a release through the sandbox, and its access-log entry synced back from it
    release = door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="courier")
    stream_sync(building_id=crimson.building.pk, stream="access")
    entry = AccessLogEntry.objects.get(door=crimson.doors[FRONT_DOOR], tenant_bmx_id=release.bmx_tenant_id)
    client.force_login(crimson.manager)

    # then the audit says confirmed: door, tenant and time matched, whatever entry_method the log shows
    assert [(r["reason"], r["confirmed"]) for r in _audit_rows(client)] == [("courier", "yes")]
    assert confirming_entry(release) == entry


def test_a_guest_entry_at_the_same_door_and_time_does_not_confirm_in_the_audit(crimson, sandbox, client):
    sandbox.fault("/v4/door_release_requests", "POST", status=500)  # nothing opens, nothing is logged
    release = door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="guest")
    DoorRelease.objects.filter(pk=release.pk).update(status=DoorRelease.Status.UNKNOWN)
    AccessLogEntry.objects.create(
        building=crimson.building,
        remote_id=42,
        logged_at=release.requested_at,
        release_method=ReleaseMethod.VISITOR_QR,
        release_type="Visitor",
        release_status="Unlocked",
        door=crimson.doors[FRONT_DOOR],
        tenant_bmx_id=release.bmx_tenant_id,
        synced_at=release.requested_at,
    )
    client.force_login(crimson.manager)

    assert [(r["reason"], r["confirmed"]) for r in _audit_rows(client)] == [("guest", "no")]
