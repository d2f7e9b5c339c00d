"""Releasing a door: scope, limits, the audit row, and exactly one request to ButterflyMX."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from portal.dashboard.models import DoorRelease
from portal.dashboard.services import ReleaseRefused, door_release
from portal.live.models import LiveEvent
from tenants.models import AccessPoint, TenantRecord

from .conftest import FRONT_DOOR, GARAGE, ROOFTOP, ROSA_TENANT, releases_at_sandbox


def release_url(door) -> str:
    return f"/doors/{door.pk}/release/"


def test_staff_release_reaches_the_sandbox_once_and_is_audited(crimson, sandbox, client):
    client.force_login(crimson.staff)
    door = crimson.doors[FRONT_DOOR]

    response = client.post(release_url(door), {"reason": "courier"})

    assert response.status_code == 302
    release = DoorRelease.objects.get()
    assert release.status == DoorRelease.Status.SUCCEEDED
    assert (release.door, release.requested_by, release.reason) == (door, crimson.staff, "courier")
    assert release.for_label == "Front Desk" and release.bmx_release_id
    assert releases_at_sandbox(sandbox) == 1
    newest = sandbox.state()["latest_access_logs"][0]
    assert newest["access_point"] == FRONT_DOOR and newest["release_method"] == "api"


def test_staff_can_release_for_a_resident_and_the_log_names_them(crimson, sandbox, client):
    client.force_login(crimson.staff)

    rosa = TenantRecord.objects.get(bmx_id=ROSA_TENANT)

    client.post(release_url(crimson.doors[GARAGE]), {"for_tenant": rosa.pk})

    release = DoorRelease.objects.get()
    assert release.bmx_tenant_id == ROSA_TENANT and release.for_label == "Rosa Resident (4B)"
    assert sandbox.state()["latest_access_logs"][0]["tenant_id"] == ROSA_TENANT


def test_a_resident_releases_an_assigned_door_through_their_own_link(crimson, sandbox, client):
    client.force_login(crimson.rosa)

    response = client.post(release_url(crimson.doors[GARAGE]))

    assert response.status_code == 302 and response.url == "/doors/"
    assert DoorRelease.objects.get().status == DoorRelease.Status.SUCCEEDED
    assert releases_at_sandbox(sandbox) == 1


def test_a_resident_cannot_release_a_door_they_are_not_assigned(crimson, sandbox, client):
    client.force_login(crimson.rosa)

    assert client.get(release_url(crimson.doors[ROOFTOP])).status_code == 404
    assert client.post(release_url(crimson.doors[ROOFTOP])).status_code == 404
    assert releases_at_sandbox(sandbox) == 0 and not DoorRelease.objects.exists()


def test_staff_of_another_building_cannot_see_or_release_its_doors(crimson, sandbox, client):
    client.force_login(crimson.other_staff)

    assert client.get(f"/dashboard/{crimson.building.pk}/").status_code == 404
    assert client.post(release_url(crimson.doors[FRONT_DOOR])).status_code == 404
    assert client.post(f"/api/doors/{crimson.doors[FRONT_DOOR].pk}/release/").status_code == 404
    assert releases_at_sandbox(sandbox) == 0


def test_a_5xx_answer_is_shown_in_words_and_never_retried(crimson, sandbox, client):
    sandbox.fault("/v4/door_release_requests", "POST", status=503)
    client.force_login(crimson.staff)

    response = client.post(release_url(crimson.doors[FRONT_DOOR]), HTTP_HX_REQUEST="true")

    assert response.status_code == 502
    assert "problem on its side" in response.content.decode()
    assert [f["fired"] for f in sandbox.state()["faults"]] == [1]  # one request reached ButterflyMX
    assert DoorRelease.objects.get().status == DoorRelease.Status.FAILED


def test_a_timeout_is_recorded_as_unknown_and_never_resent(crimson, sandbox, client, settings):
    settings.DOOR_RELEASE_TIMEOUT_S = 0.5
    sandbox.fault("/v4/door_release_requests", "POST", latency_ms=1500)
    client.force_login(crimson.staff)

    response = client.post(release_url(crimson.doors[FRONT_DOOR]), HTTP_HX_REQUEST="true")
    time.sleep(1.5)  # the sandbox finishes the one request it got

    assert response.status_code == 504
    assert "may or may not have opened" in response.content.decode()
    release = DoorRelease.objects.get()
    assert release.status == DoorRelease.Status.UNKNOWN
    assert releases_at_sandbox(sandbox) == 1


def test_a_slow_answer_within_the_timeout_makes_exactly_one_release(crimson, sandbox, client):
    sandbox.fault("/v4/door_release_requests", "POST", latency_ms=400)
    client.force_login(crimson.staff)

    client.post(release_url(crimson.doors[FRONT_DOOR]))

    assert DoorRelease.objects.get().status == DoorRelease.Status.SUCCEEDED
    assert releases_at_sandbox(sandbox) == 1


def test_a_second_click_inside_the_cooldown_is_refused(crimson, sandbox, client):
    client.force_login(crimson.staff)
    door = crimson.doors[FRONT_DOOR]

    first = client.post(release_url(door), HTTP_HX_REQUEST="true")
    second = client.post(release_url(door), HTTP_HX_REQUEST="true")

    assert (first.status_code, second.status_code) == (200, 409)
    assert "was just released" in second.content.decode()
    assert int(second["Retry-After"]) >= 1
    assert releases_at_sandbox(sandbox) == 1


def test_the_cooldown_is_per_door(crimson, sandbox):
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk)
    door_release(user=crimson.staff, door_id=crimson.doors[GARAGE].pk)

    assert releases_at_sandbox(sandbox) == 2


def start_of_a_fresh_minute(margin_s: float = 5.0) -> None:
    """The release limits count per clock minute: two releases a test expects in one minute must not
    straddle its end (the second would start a new count, and the run fail by chance)."""
    left = 60 - time.time() % 60
    if left < margin_s:
        time.sleep(left + 0.05)


def test_a_person_is_rate_limited_across_doors(crimson, sandbox, settings):
    settings.DOOR_RELEASE_USER_LIMIT = 2
    start_of_a_fresh_minute()
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk)
    door_release(user=crimson.staff, door_id=crimson.doors[GARAGE].pk)

    with pytest.raises(ReleaseRefused) as refused:
        door_release(user=crimson.staff, door_id=crimson.doors[ROOFTOP].pk)

    assert refused.value.status == 429
    assert releases_at_sandbox(sandbox) == 2


def test_a_door_is_rate_limited_across_people(crimson, sandbox, settings):
    settings.DOOR_RELEASE_DOOR_LIMIT = 1
    settings.DOOR_RELEASE_COOLDOWN_S = 0
    start_of_a_fresh_minute()
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk)

    with pytest.raises(ReleaseRefused) as refused:
        door_release(user=crimson.manager, door_id=crimson.doors[FRONT_DOOR].pk)

    assert refused.value.status == 429 and "too often" in str(refused.value)


def test_staff_must_say_who_a_release_is_for_when_the_building_has_no_front_desk(crimson, sandbox):
    crimson.building.front_desk.delete()

    with pytest.raises(ReleaseRefused) as refused:
        door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk)

    assert "Choose who the release is for" in str(refused.value)
    assert releases_at_sandbox(sandbox) == 0


def test_an_unconnected_building_says_so_and_sends_nothing(crimson, sandbox, client):
    crimson.building.admin_link = None
    crimson.building.save()
    client.force_login(crimson.staff)

    response = client.post(release_url(crimson.doors[FRONT_DOOR]), HTTP_HX_REQUEST="true")

    assert response.status_code == 409
    assert "not connected to ButterflyMX" in response.content.decode()
    assert releases_at_sandbox(sandbox) == 0 and not DoorRelease.objects.exists()


def test_releasing_needs_a_post_with_a_csrf_token(crimson, sandbox):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(crimson.staff)

    response = strict.post(release_url(crimson.doors[FRONT_DOOR]))

    assert response.status_code == 403
    assert releases_at_sandbox(sandbox) == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_clicks_on_one_door_make_one_release(crimson, sandbox):
    door_id = crimson.doors[FRONT_DOOR].pk
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def click():
        try:
            barrier.wait()
            release = door_release(user=crimson.staff, door_id=door_id)
            outcomes.append(release.status)
        except ReleaseRefused as refused:
            outcomes.append(f"refused {refused.status}")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # one release; the others meet the cooldown (409) or, past ten, the per-person limit (429)
    assert outcomes.count("succeeded") == 1
    assert len(outcomes) == 20 and set(outcomes) <= {"succeeded", "refused 409", "refused 429"}
    assert releases_at_sandbox(sandbox) == 1
    assert DoorRelease.objects.count() == 1


def test_an_inactive_door_cannot_be_released(crimson, sandbox):
    door = crimson.doors[FRONT_DOOR]
    AccessPoint.objects.filter(pk=door.pk).update(is_active=False)

    with pytest.raises(AccessPoint.DoesNotExist):
        door_release(user=crimson.staff, door_id=door.pk)


def test_a_manager_sets_the_front_desk_account_and_staff_cannot(crimson, client):
    other = TenantRecord.objects.get(bmx_id=ROSA_TENANT)
    url = f"/dashboard/{crimson.building.pk}/front-desk/"

    client.force_login(crimson.staff)
    assert client.post(url, {"tenant": other.pk}).status_code == 404
    client.force_login(crimson.manager)
    response = client.post(url, {"tenant": other.pk})

    assert response.status_code == 302
    crimson.building.front_desk.refresh_from_db()
    assert crimson.building.front_desk.bmx_tenant_id == ROSA_TENANT


def test_without_a_front_desk_the_release_form_asks_for_a_resident(crimson, sandbox, client):
    crimson.building.front_desk.delete()
    client.force_login(crimson.staff)

    response = client.post(release_url(crimson.doors[FRONT_DOOR]), HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert releases_at_sandbox(sandbox) == 0


def test_a_release_for_a_resident_is_pushed_to_the_desk_and_to_that_unit_only(
    crimson, sandbox, django_capture_on_commit_callbacks
):
    rosa = TenantRecord.objects.get(bmx_id=ROSA_TENANT)
    with django_capture_on_commit_callbacks(execute=True):
        release = door_release(user=crimson.staff, door_id=crimson.doors[GARAGE].pk, for_tenant_id=rosa.pk)
    b, door = crimson.building.pk, crimson.doors[GARAGE].pk
    payload = {"building": b, "door": door, "release": release.pk, "status": "succeeded"}
    assert sorted(LiveEvent.objects.values_list("audience", "kind", "payload")) == [
        (f"desk:{b}", "door.released", payload),
        (f"unit:{rosa.unit_id}", "door.released", payload),
    ]
