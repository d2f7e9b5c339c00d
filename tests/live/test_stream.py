"""The live stream under a real ASGI server (uvicorn), read by a plain HTTP client as EventSource reads it.

"Never hears" is proven without waiting for a timeout: after the event in question, the test publishes
a marker to the listener alone; the server delivers in outbox order, so an event meant for that stream
would have arrived before the marker.
"""

from __future__ import annotations

import time

import pytest

from portal.live import bus
from tests import factories as f

from .conftest import with_totp

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def marker(user) -> None:
    bus.publish("notice", {"marker": True}, [bus.person(user.pk)])


def kinds(messages) -> list[str]:
    return [m.kind for m in messages]


def test_a_signed_out_page_gets_401_and_no_stream(open_stream, world):
    stream = open_stream(None)
    assert stream.status == 401
    assert "event-stream" not in stream.content_type


def test_alice_hears_her_unit_and_bob_never_does(open_stream, world):
    alice, bob = open_stream(world.alice), open_stream(world.bob)
    assert alice.status == bob.status == 200
    assert alice.content_type.startswith("text/event-stream")
    assert alice.retry_ms == 2000  # the browser reconnects this soon (LIVE_RETRY_MS)

    bus.publish("door.released", {"door": world.door_a.pk, "release": 1}, [bus.unit(world.unit_a1.pk)])
    bus.publish(
        "logs.new",
        {"building": world.building_a.pk, "stream": "access", "unit": world.unit_a1.pk},
        [bus.unit(world.unit_a1.pk)],
    )
    marker(world.alice)
    marker(world.bob)

    heard = alice.until("notice")
    assert kinds(heard) == ["door.released", "logs.new", "notice"]
    assert heard[0].payload == {"door": world.door_a.pk, "release": 1}
    assert kinds(bob.until("notice")) == ["notice"]  # nothing of unit 101, only his own marker


def test_a_resident_never_hears_the_front_desk_and_staff_do(open_stream, world):
    with_totp(world.staff)
    alice, staff = open_stream(world.alice), open_stream(world.staff)
    assert staff.status == 200

    bus.publish("door.released", {"door": world.door_a.pk, "release": 2}, [bus.desk(world.building_a.pk)])
    marker(world.alice)
    marker(world.staff)

    assert kinds(alice.until("notice")) == ["notice"]
    assert kinds(staff.until("notice")) == ["door.released", "notice"]


def test_charlie_of_another_building_hears_nothing_of_building_a(open_stream, world):
    charlie = open_stream(world.charlie)
    bus.publish("logs.new", {"building": world.building_a.pk, "stream": "calls"}, [bus.desk(world.building_a.pk)])
    bus.publish("passes.changed", {"unit": world.unit_a2.pk}, [bus.unit(world.unit_a2.pk)])
    bus.publish("notice", {"title": "for bob"}, [bus.person(world.bob.pk)])
    marker(world.charlie)
    assert [m.payload for m in charlie.until("notice")] == [{"marker": True}]


def test_a_reconnecting_page_replays_what_it_missed_once(open_stream, world):
    first = open_stream(world.alice)
    bus.publish("passes.changed", {"unit": world.unit_a1.pk, "n": 1}, [bus.unit(world.unit_a1.pk)])
    got = first.next_message()
    assert got.payload["n"] == 1 and got.id is not None
    first.close()

    # while the page is away
    bus.publish("passes.changed", {"unit": world.unit_a1.pk, "n": 2}, [bus.unit(world.unit_a1.pk)])
    bus.publish("passes.changed", {"unit": world.unit_a2.pk, "n": 99}, [bus.unit(world.unit_a2.pk)])  # bob's
    bus.publish("passes.changed", {"unit": world.unit_a1.pk, "n": 3}, [bus.unit(world.unit_a1.pk)])

    again = open_stream(world.alice, last_event_id=got.id)
    bus.publish("passes.changed", {"unit": world.unit_a1.pk, "n": 4}, [bus.unit(world.unit_a1.pk)])
    marker(world.alice)
    heard = again.until("notice")
    assert [m.payload.get("n") for m in heard] == [2, 3, 4, None]  # not 1 again, not bob's, 4 once
    ids = [m.id for m in heard]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_a_page_hears_what_was_published_between_its_rendering_and_its_stream(open_stream, world):
    rendered = time.time()  # the page's data-live-since
    bus.publish("passes.changed", {"unit": world.unit_a1.pk, "n": 1}, [bus.unit(world.unit_a1.pk)])
    bus.publish("passes.changed", {"unit": world.unit_a2.pk, "n": 2}, [bus.unit(world.unit_a2.pk)])  # bob's
    stream = open_stream(world.alice, query=f"?since={rendered:.0f}")
    marker(world.alice)
    assert [m.payload.get("n") for m in stream.until("notice")] == [1, None]


def test_a_new_eventsource_resumes_from_the_id_in_its_url(open_stream, world):
    first = open_stream(world.alice)
    bus.publish("passes.changed", {"unit": world.unit_a1.pk, "n": 1}, [bus.unit(world.unit_a1.pk)])
    got = first.next_message()
    first.close()
    bus.publish("passes.changed", {"unit": world.unit_a1.pk, "n": 2}, [bus.unit(world.unit_a1.pk)])
    # live.js opens a new EventSource after the browser gave up: the id goes in the URL, not a header
    again = open_stream(world.alice, query=f"?last={got.id}&since=0")
    marker(world.alice)
    assert [m.payload.get("n") for m in again.until("notice")] == [2, None]


def test_one_event_for_two_of_a_persons_audiences_arrives_once(open_stream, world):
    # A manager of building A who also lives in unit 101 (desk and unit both hear a release for 101).
    both = with_totp(f.UserFactory(email="both@example.test"))
    f.MembershipFactory(user=both, building=world.building_a, role="manager")
    f.ResidencyFactory(user=both, unit=world.unit_a1)
    stream = open_stream(both)
    payload = {"building": world.building_a.pk, "door": world.door_a.pk, "release": 3, "status": "succeeded"}
    bus.publish("door.released", payload, [bus.desk(world.building_a.pk), bus.unit(world.unit_a1.pk)])
    marker(both)
    assert kinds(stream.until("notice")) == ["door.released", "notice"]


def test_staff_without_two_factor_get_no_stream(open_stream, world):
    stream = open_stream(world.staff)  # two-factor required (as in production), none set up
    assert stream.status == 302  # sent to set it up, as on every page
    assert "event-stream" not in stream.content_type


def test_a_quiet_stream_sends_heartbeats(open_stream, world):
    stream = open_stream(world.alice)  # the server under test beats every second (LIVE_HEARTBEAT_S=1)
    stream.heartbeat()
    assert stream.comments == 1
