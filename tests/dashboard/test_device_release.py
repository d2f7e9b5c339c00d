"""A unit's smart lock is released by its device (``device_id``), as the contract says ("Devices are used
for granting access to unit-level smart locks"), every other door by its access point. Audited like
every release, rate limited, never retried, and ButterflyMX records exactly one release."""

from __future__ import annotations

import csv
import io

from portal.dashboard.models import DoorRelease
from tenants.models import Building, Device

from .conftest import FRONT_DOOR, GARAGE, ROOFTOP, ROSA_TENANT, releases_at_sandbox

UNIT_4B, UNIT_4B_LOCK = 3906, 58808  # Rosa's apartment door and its one "remote_lock" device
RELEASES = "/v4/door_release_requests"


def with_unit_door(crimson):
    door = crimson.doors[UNIT_4B]
    crimson.rosa_residency.doors.add(door)
    return door


def test_a_resident_opens_their_smart_lock_by_device_once(crimson, sandbox, client, bmx_requests):
    door = with_unit_door(crimson)
    client.force_login(crimson.rosa)

    card = client.get("/doors/").content.decode()
    form = client.get(f"/doors/{door.pk}/release/", HTTP_HX_REQUEST="true").content.decode()
    response = client.post(f"/doors/{door.pk}/release/")

    assert "Smart lock: released through its device, 4B Door Lock" in card
    assert "opens it through its device, 4B Door Lock." in form
    assert response.status_code == 302
    assert [s.body for s in bmx_requests.find("POST", RELEASES)] == [
        {"door_release_request": {"tenant_id": ROSA_TENANT, "device_id": UNIT_4B_LOCK}}
    ]
    state = sandbox.state()
    assert state["counts"]["door_release_requests"] == 1
    at_bmx = state["latest_door_release_requests"][0]
    assert at_bmx["device_id"] == UNIT_4B_LOCK and at_bmx["access_point_id"] is None
    assert at_bmx["tenant_id"] == ROSA_TENANT
    release = DoorRelease.objects.get()
    assert release.status == DoorRelease.Status.SUCCEEDED and release.bmx_release_id == at_bmx["id"]
    assert release.door == door and release.device.bmx_id == UNIT_4B_LOCK and release.device_doors == "Unit 4B"
    # ButterflyMX logged the opening at the door, for Rosa: the release's confirmation can match it.
    entry = state["latest_access_logs"][0]
    assert entry["access_point"] == UNIT_4B and entry["tenant_id"] == ROSA_TENANT
    # The doors API says the same: the lock goes through its device, and the release went by it.
    listed = {d["name"]: d for d in client.get("/api/doors/").json()}
    assert listed["Unit 4B"]["release_device"] == "4B Door Lock" and listed["Front door"]["release_device"] is None
    assert listed["Unit 4B"]["last_release"]["device"] == "4B Door Lock"
    assert listed["Front door"]["open_hours"] == [
        {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "18:00"}
    ]
    assert listed["Front door"]["open_hours_now"].startswith(("Unlocked until", "Locked · unlocks"))


def test_a_second_click_is_refused_by_the_cooldown_and_nothing_more_is_sent(crimson, sandbox, client, bmx_requests):
    door = with_unit_door(crimson)
    client.force_login(crimson.rosa)

    first = client.post(f"/doors/{door.pk}/release/", HTTP_HX_REQUEST="true")
    second = client.post(f"/doors/{door.pk}/release/", HTTP_HX_REQUEST="true")

    assert first.status_code == 200 and second.status_code == 409
    assert "was just released" in second.content.decode()
    assert len(bmx_requests.find("POST", RELEASES)) == 1 and releases_at_sandbox(sandbox) == 1
    assert DoorRelease.objects.count() == 1


def test_a_refused_device_release_is_shown_and_never_retried(crimson, sandbox, client, bmx_requests):
    door = with_unit_door(crimson)
    sandbox.fault(RELEASES, "POST", status=503)
    client.force_login(crimson.rosa)

    response = client.post(f"/doors/{door.pk}/release/", HTTP_HX_REQUEST="true")

    assert response.status_code == 502
    assert [f["fired"] for f in sandbox.state()["faults"]] == [1]
    assert len(bmx_requests.find("POST", RELEASES)) == 1 and releases_at_sandbox(sandbox) == 0
    release = DoorRelease.objects.get()
    assert release.status == DoorRelease.Status.FAILED and release.device.bmx_id == UNIT_4B_LOCK


def test_staff_release_a_shown_unit_door_by_device_with_a_reason_and_the_audit_says_so(
    crimson, sandbox, client, bmx_requests
):
    Building.objects.filter(pk=crimson.building.pk).update(unit_doors_on_board=True)
    door = crimson.doors[UNIT_4B]
    client.force_login(crimson.manager)

    board = client.get(f"/dashboard/{crimson.building.pk}/doors/").content.decode()
    response = client.post(f"/doors/{door.pk}/release/", {"reason": "water leak below 4B"})

    assert "Smart lock: released through its device, 4B Door Lock" in board
    assert response.status_code == 302
    body = bmx_requests.find("POST", RELEASES)[0].body["door_release_request"]
    assert body["device_id"] == UNIT_4B_LOCK and "access_point_id" not in body
    assert releases_at_sandbox(sandbox) == 1
    audit = client.get("/dashboard/audit/").content.decode()
    assert "By device 4B Door Lock (opens Unit 4B)" in audit
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get("/dashboard/audit.csv").streaming_content).decode())))
    assert rows[0]["released_by_device"] == "4B Door Lock" and rows[0]["device_doors"] == "Unit 4B"
    assert rows[0]["reason"] == "water leak below 4B"


def test_an_entrance_still_goes_by_its_access_point(crimson, sandbox, client, bmx_requests):
    client.force_login(crimson.staff)

    assert client.post(f"/doors/{crimson.doors[FRONT_DOOR].pk}/release/").status_code == 302

    body = bmx_requests.find("POST", RELEASES)[0].body["door_release_request"]
    assert body == {"tenant_id": body["tenant_id"], "access_point_id": FRONT_DOOR}
    assert DoorRelease.objects.get().device is None
    assert sandbox.state()["latest_door_release_requests"][0]["access_point_id"] == FRONT_DOOR


def test_a_lock_that_also_opens_a_door_not_the_residents_goes_by_access_point(crimson, sandbox, client, bmx_requests):
    """A device release opens every access point of the device: when one of them is not the person's to
    open (here the lock, as the portal knows it, also serves the rooftop), the portal releases the one
    door by its access point instead, and never offers the device."""
    door = with_unit_door(crimson)
    Device.objects.get(building=crimson.building, bmx_id=UNIT_4B_LOCK).access_points.add(crimson.doors[ROOFTOP])
    client.force_login(crimson.rosa)

    form = client.get(f"/doors/{door.pk}/release/", HTTP_HX_REQUEST="true").content.decode()
    assert client.post(f"/doors/{door.pk}/release/").status_code == 302

    assert "opens it through its device" not in form
    assert [s.body for s in bmx_requests.find("POST", RELEASES)] == [
        {"door_release_request": {"tenant_id": ROSA_TENANT, "access_point_id": UNIT_4B}}
    ]
    assert DoorRelease.objects.get().device is None and releases_at_sandbox(sandbox) == 1


def test_staff_are_told_every_door_a_shared_lock_opens(crimson, sandbox, client, bmx_requests):
    """When the lock (as the roster knows it) also serves another door the person may release, the device
    release stands, and the dialog and the audit say which doors it opens."""
    Building.objects.filter(pk=crimson.building.pk).update(unit_doors_on_board=True)
    Device.objects.get(building=crimson.building, bmx_id=UNIT_4B_LOCK).access_points.add(crimson.doors[GARAGE])
    door = crimson.doors[UNIT_4B]
    client.force_login(crimson.staff)

    form = client.get(f"/doors/{door.pk}/release/", HTTP_HX_REQUEST="true").content.decode()
    assert client.post(f"/doors/{door.pk}/release/", {"reason": "smoke alarm in 4B"}).status_code == 302

    assert "That device opens every one of its doors: <strong>Garage, Unit 4B</strong>" in form
    assert bmx_requests.find("POST", RELEASES)[0].body["door_release_request"]["device_id"] == UNIT_4B_LOCK
    assert DoorRelease.objects.get().device_doors == "Garage, Unit 4B" and releases_at_sandbox(sandbox) == 1
