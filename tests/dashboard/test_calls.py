"""Visitor calls: the sandbox places a call, the portal rings the right people once, and "Open door" /
"Decline" act on it once (logs.calls, portal.dashboard.calls).

Crimson Tower as connected for real (tests/dashboard/conftest.py): Rosa lives in 4B, Nina in 4C (her own
ButterflyMX link), Ray shares 4B with Rosa (no link of his own). The pass that a call webhook queues is
run here in the test's process (``calls_pass``, what ``logs.tasks.calls_pass_task`` runs); the calls,
their statuses and the door releases are the sandbox's.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logs import calls as calls_module
from logs.calls import calls_pass, intercom_tell_handled, ring_request
from logs.models import CallRecord, CallWatch, RingState, WebhookEndpoint
from logs.webhooks import secret_hash
from portal.butterflymx import oauth
from portal.dashboard.models import DoorRelease
from portal.dashboard.services import door_release
from portal.live.models import LiveEvent
from portal.notifications.action_tokens import action_token_mint
from portal.notifications.models import NotificationPreference, PushSubscription
from portal.notifications.webpush import push_deliver
from tenants.models import Residency, Unit
from tenants.services import link_tenant_connect
from tests import factories as f
from tests.notifications.conftest import browser_keys, push_service, webpush_on  # noqa: F401 - the fixtures
from tests.notifications.test_webpush import decrypt

from .conftest import DESK_TENANT, FRONT_DOOR, ROSA_TENANT, releases_at_sandbox

pytestmark = pytest.mark.django_db

MAIN_ENTRANCE = 58801  # Crimson's panel; it opens the Front door (3901)
NINA_TENANT = 129205


@pytest.fixture
def world(crimson):
    nina = f.UserFactory(email="nina@crimson.test", first_name="Nina")
    link_tenant_connect(user=nina, tokens=oauth.password_grant("neighbor@sandbox.test", "sandbox-pass"))
    crimson.nina = nina
    crimson.unit_4b = crimson.rosa_residency.unit
    crimson.unit_4c = Unit.objects.get(building=crimson.building, label="4C")
    crimson.ray = f.UserFactory(email="ray@crimson.test", first_name="Ray")
    Residency.objects.create(user=crimson.ray, unit=crimson.unit_4b)
    return crimson


@pytest.fixture
def ring(sandbox, world, django_capture_on_commit_callbacks):
    """Place a call at the sandbox and run the building's ring pass; the portal's CallRecord."""

    def place(tenant_id: int | None = ROSA_TENANT, device_id: int = MAIN_ENTRANCE) -> CallRecord:
        placed = sandbox.call(device_id, tenant_id)
        run_pass(world, django_capture_on_commit_callbacks)
        return CallRecord.objects.get(building=world.building, remote_id=placed["id"])

    return place


def run_pass(world, capture) -> int:
    with capture(execute=True):  # live events are written after commit
        return calls_pass(building_id=world.building.pk)


def events(kind: str | None = None) -> list[tuple[str, str, dict]]:
    rows = LiveEvent.objects.order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    return [(e.audience, e.kind, e.payload) for e in rows]


def audiences(kind: str) -> list[str]:
    return [audience for audience, _, _ in events(kind)]


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST as ``user`` as the panel's script does: (status, JSON answer); live events written."""

    def send(user, url):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, HTTP_ACCEPT="application/json")
        is_json = response.headers["Content-Type"] == "application/json"
        return response.status_code, response.json() if is_json else None

    return send


# --- ringing --------------------------------------------------------------------------------------


def test_a_call_to_rosas_unit_rings_her_unit_and_tells_its_residents_only(world, ring):
    call = ring()

    assert call.ring_state == RingState.RINGING
    assert audiences("call.ringing") == [f"unit:{world.unit_4b.pk}"]  # not 4C, not the desk
    _, _, payload = events("call.ringing")[0]
    assert payload["call"] == call.pk and payload["panel"] == "Main Entrance" and payload["title"] == "Visitor"
    assert payload["snapshot_url"] == reverse("logs:call_snapshot", args=[call.pk])  # the portal's scoped redirect
    assert "/uploads/store/" not in json.dumps(payload)  # never ButterflyMX's public snapshot link
    assert payload["open_url"] == reverse("dashboard:call_open", args=[call.pk])
    ends = timezone.datetime.fromisoformat(payload["ring_until"])
    assert ends == call.logged_at + timedelta(seconds=40)  # ButterflyMX's ring window (contract §4.11)
    # the notice (Web Push's input) goes to Rosa and Ray, with the actions, and to nobody else
    notices = {audience: p for audience, _, p in events("notice")}
    assert set(notices) == {f"user:{world.rosa.pk}", f"user:{world.ray.pk}"}
    notice = notices[f"user:{world.rosa.pk}"]
    assert notice["category"] == "call" and notice["tag"] == f"call-{call.pk}"
    assert [a["action"] for a in notice["actions"]] == ["open-door", "decline"]


def test_each_resident_reads_the_calls_notice_in_their_own_language(world, ring):
    """The same call, one notice per language: Rosa chose Spanish, Ray kept the portal's English; the
    live payload carries codes and data only (each page's script says it in its own words)."""
    type(world.rosa).objects.filter(pk=world.rosa.pk).update(language="es")

    ring()

    notices = {audience: p for audience, _, p in events("notice")}
    spanish, english = notices[f"user:{world.rosa.pk}"], notices[f"user:{world.ray.pk}"]
    assert spanish["title"] == "Visitante en Main Entrance" and english["title"] == "Visitor at Main Entrance"
    assert [a["title"] for a in spanish["actions"]] == ["Abrir la puerta", "Rechazar"]
    assert [a["title"] for a in english["actions"]] == ["Open door", "Decline"]
    _, _, payload = events("call.ringing")[0]
    assert payload["kind"] == "visitor" and payload["zone"] == world.building.time_zone


def test_ninas_page_learns_nothing_of_rosas_call(world, ring, client):
    ring()

    assert not [a for a in audiences("call.ringing") + audiences("notice") if a.endswith(f":{world.unit_4c.pk}")]
    assert f"user:{world.nina.pk}" not in audiences("notice")
    client.force_login(world.nina)
    assert client.get(reverse("dashboard:calls_ringing")).json() == {"calls": []}
    client.force_login(world.rosa)
    assert [c["panel"] for c in client.get(reverse("dashboard:calls_ringing")).json()["calls"]] == ["Main Entrance"]


def test_a_repeated_delivery_and_a_second_pass_ring_once(world, ring, client, django_capture_on_commit_callbacks):
    call = ring()
    WebhookEndpoint.objects.create(building=world.building, secret_hash=secret_hash("s3cret-value"))
    url = reverse("logs_webhooks:receive", kwargs={"building_id": world.building.pk, "secret": "s3cret-value"})
    body = {"event": {"resource_type": "call", "action": "create", "data": {"id": call.remote_id}}}

    # the same delivery again, twice, and the passes they would queue
    for _ in range(2):
        client.post(url, data=json.dumps(body), content_type="application/json")
        run_pass(world, django_capture_on_commit_callbacks)

    assert len(events("call.ringing")) == 1
    assert len(events("notice")) == 2  # Rosa and Ray, once each


def test_a_burst_of_call_deliveries_queues_one_ring_pass(world, client, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(building=world.building, secret_hash=secret_hash("s3cret-value"))
    url = reverse("logs_webhooks:receive", kwargs={"building_id": world.building.pk, "secret": "s3cret-value"})

    with django_capture_on_commit_callbacks() as callbacks:
        for ident in (1, 2, 3):
            body = {"event": {"resource_type": "call", "action": "create", "data": {"id": ident}}}
            assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 200

    # one (debounced) sync and one ring pass for the three deliveries; the pass clears the claim as it starts
    assert len(callbacks) == 2
    assert CallWatch.objects.get(building=world.building).ring_claimed_at is not None
    assert not ring_request(building_id=world.building.pk)
    calls_module.pass_started(building_id=world.building.pk, kind=calls_module.RING)
    assert ring_request(building_id=world.building.pk)


def test_a_call_answered_elsewhere_ends_its_panel(world, ring, sandbox, django_capture_on_commit_callbacks):
    call = ring()

    sandbox.call_status(call.remote_id, "canceled")  # the visitor gave up (ButterflyMX's status)
    run_pass(world, django_capture_on_commit_callbacks)

    assert events("call.ended") == [(f"unit:{world.unit_4b.pk}", "call.ended", {"call": call.pk, "reason": "canceled"})]
    assert CallRecord.objects.get(pk=call.pk).ring_state == RingState.ENDED


def test_the_panel_ends_with_the_ring_window(world, ring, monkeypatch, django_capture_on_commit_callbacks):
    call = ring()  # still "initializing" at ButterflyMX: nobody answered
    later = timezone.now() + timedelta(seconds=41)
    monkeypatch.setattr(calls_module.timezone, "now", lambda: later)

    run_pass(world, django_capture_on_commit_callbacks)

    assert [p for _, _, p in events("call.ended")] == [{"call": call.pk, "reason": "timeout"}]
    assert len(events("call.ringing")) == 1  # and it does not ring again


def test_a_call_reported_after_its_ring_window_does_not_ring(
    world, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
    later = timezone.now() + timedelta(seconds=45)
    monkeypatch.setattr(calls_module.timezone, "now", lambda: later)

    run_pass(world, django_capture_on_commit_callbacks)

    assert not events()


def test_a_front_desk_call_rings_on_the_desk_for_staff(world, ring):
    call = ring(tenant_id=None)  # a visitor presses "Front desk" on the panel

    assert audiences("call.ringing") == [f"desk:{world.building.pk}"]
    assert events("call.ringing")[0][2]["desk"] is True
    assert set(audiences("notice")) == {f"user:{world.staff.pk}", f"user:{world.manager.pk}"}
    assert call.unit_id is None


# --- Open door and Decline ------------------------------------------------------------------------


def test_open_door_releases_the_panels_door_once_even_when_posted_twice(world, ring, sandbox, post):
    call = ring()
    before = releases_at_sandbox(sandbox)
    url = reverse("dashboard:call_open", args=[call.pk])

    first = post(world.rosa, url)
    again = post(world.rosa, url)  # a double click, or the browser retrying the POST

    assert first == (200, {"ok": True, "message": "Front door released."})
    assert again[0] == 409 and "already opened the door" in again[1]["message"]
    assert releases_at_sandbox(sandbox) == before + 1  # exactly one POST /v4/door_release_requests
    release = DoorRelease.objects.get()
    assert (release.door.bmx_id, release.bmx_tenant_id, release.requested_by) == (FRONT_DOOR, ROSA_TENANT, world.rosa)
    # every panel of the call closes: Ray's page gets "answered"
    assert events("call.answered") == [
        (f"unit:{world.unit_4b.pk}", "call.answered", {"call": call.pk, "by": world.rosa.display_name})
    ]


def test_a_call_taken_by_one_resident_cannot_be_opened_by_the_other(world, ring, sandbox, post):
    call = ring()
    assert post(world.rosa, reverse("dashboard:call_open", args=[call.pk]))[0] == 200

    status, answer = post(world.ray, reverse("dashboard:call_open", args=[call.pk]))

    assert status == 409 and answer["message"].startswith(world.rosa.display_name)
    assert DoorRelease.objects.count() == 1


def test_decline_closes_the_call_for_the_other_member(world, ring, post):
    call = ring()

    status, answer = post(world.rosa, reverse("dashboard:call_decline", args=[call.pk]))

    assert (status, answer["ok"]) == (200, True)
    assert audiences("call.declined") == [f"unit:{world.unit_4b.pk}"]  # Ray's page too
    assert post(world.ray, reverse("dashboard:call_open", args=[call.pk])) == (
        409,
        {"ok": False, "message": "This call was declined."},
    )
    assert not DoorRelease.objects.exists()


def test_nobody_else_may_open_or_decline_a_units_call(world, ring, post):
    call = ring()

    for person in (world.nina, world.staff, world.other_staff):  # a neighbour; the desk: a unit's call is not theirs
        for name in ("dashboard:call_open", "dashboard:call_decline"):
            assert post(person, reverse(name, args=[call.pk]))[0] == 404
    assert CallRecord.objects.get(pk=call.pk).ring_state == RingState.RINGING
    assert not DoorRelease.objects.exists()


def test_open_and_decline_need_the_csrf_token(world, ring, post):
    call = ring()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.rosa)

    assert strict.post(reverse("dashboard:call_open", args=[call.pk])).status_code == 403
    assert strict.post(reverse("dashboard:call_decline", args=[call.pk])).status_code == 403
    assert CallRecord.objects.get(pk=call.pk).ring_state == RingState.RINGING


def test_the_push_notifications_open_door_works_once_with_its_action_token_and_only_for_its_person(
    world, ring, sandbox, django_capture_on_commit_callbacks
):
    # the service worker has the session but no CSRF token: it sends the action's one-use token instead
    call = ring()
    url = reverse("dashboard:call_open", args=[call.pk])
    before = releases_at_sandbox(sandbox)
    worker = Client(enforce_csrf_checks=True)
    worker.force_login(world.rosa)

    def press(token):
        with django_capture_on_commit_callbacks(execute=True):
            return worker.post(url, HTTP_ACCEPT="application/json", HTTP_X_NOTICE_TOKEN=token)

    assert press("forged").status_code == 403  # a bad token is refused, never a fallback to CSRF
    assert press(action_token_mint(user_id=world.ray.pk, url=url)).status_code == 403  # Ray's token, Rosa's session
    token = action_token_mint(user_id=world.rosa.pk, url=url)
    assert press(token).json() == {"ok": True, "message": "Front door released."}
    assert press(token).status_code == 403  # spent
    assert releases_at_sandbox(sandbox) == before + 1


def test_a_refused_release_gives_the_call_back(world, ring, sandbox, post):
    call = ring()
    door_release(user=world.rosa, door_id=world.doors[FRONT_DOOR].pk)  # the door is in its cooldown now
    before = releases_at_sandbox(sandbox)

    status, answer = post(world.rosa, reverse("dashboard:call_open", args=[call.pk]))

    assert status == 409 and "just released" in answer["message"]
    assert releases_at_sandbox(sandbox) == before
    assert CallRecord.objects.get(pk=call.pk).ring_state == RingState.RINGING  # Ray may still answer
    assert not events("call.answered")


def test_staff_open_the_door_for_a_front_desk_call_as_the_front_desk(world, ring, sandbox, post):
    call = ring(tenant_id=None)
    before = releases_at_sandbox(sandbox)

    assert post(world.rosa, reverse("dashboard:call_open", args=[call.pk]))[0] == 404  # not a resident's
    status, answer = post(world.staff, reverse("dashboard:call_open", args=[call.pk]))

    assert (status, answer["ok"]) == (200, True)
    assert releases_at_sandbox(sandbox) == before + 1
    assert DoorRelease.objects.get().bmx_tenant_id == DESK_TENANT
    assert audiences("call.answered") == [f"desk:{world.building.pk}"]


def test_a_ringing_call_is_listed_for_a_page_opened_during_it_and_not_after(world, ring, client, post):
    call = ring()
    client.force_login(world.rosa)
    url = reverse("dashboard:calls_ringing")
    assert [c["call"] for c in client.get(url).json()["calls"]] == [call.pk]

    post(world.rosa, reverse("dashboard:call_decline", args=[call.pk]))

    assert client.get(url).json() == {"calls": []}


def test_the_intercom_is_told_that_the_call_was_handled(world, sandbox, post, django_capture_on_commit_callbacks):
    placed = sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
    run_pass(world, django_capture_on_commit_callbacks)
    call = CallRecord.objects.get(building=world.building, remote_id=placed["id"])
    assert post(world.rosa, reverse("dashboard:call_open", args=[call.pk]))[0] == 200

    # what logs.tasks.call_intercom_task runs once the answer is committed, with Rosa's own link
    assert intercom_tell_handled(call_id=call.pk, link_id=world.rosa_residency.link_id)

    told = sandbox.state()["panel_notifications"]
    assert [(n["kind"], n["call_guid"], n["source_id"]) for n in told] == [("open_door", placed["guid"], MAIN_ENTRANCE)]


# --- the call's notification closes on every device (Web Push) ------------------------------------

PUSH_TASK = "portal.notifications.tasks.push_notice_task"


def pushes(callbacks) -> list[tuple[list[int], dict]]:
    """The Web Push tasks a block queued after commit: (people, notice)."""
    return [
        (callback.args[1], callback.args[2])
        for callback in callbacks
        if isinstance(callback, partial) and callback.args[:1] == (PUSH_TASK,)
    ]


@pytest.fixture
def end(world, sandbox, client, monkeypatch, django_capture_on_commit_callbacks, webpush_on):  # noqa: F811
    """``end(how, call)``: end ``call`` one way, with Web Push on; the callbacks queued after commit
    meanwhile (run, as a commit would)."""

    def end_the_call(how: str, call) -> list:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            if how in ("canceled", "opened_door"):  # at ButterflyMX: the visitor gave up, or the app opened
                sandbox.call_status(call.remote_id, how)
                calls_pass(building_id=world.building.pk)
            elif how == "timeout":  # the ring window passed with nobody answering
                later = timezone.now() + timedelta(seconds=41)
                monkeypatch.setattr(calls_module.timezone, "now", lambda: later)
                calls_pass(building_id=world.building.pk)
            else:  # Rosa presses "Decline" or "Open door" on her page
                client.force_login(world.rosa)
                name = "dashboard:call_decline" if how == "declined" else "dashboard:call_open"
                assert client.post(reverse(name, args=[call.pk]), HTTP_ACCEPT="application/json").status_code == 200
        return callbacks

    return end_the_call


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("canceled", "Canceled"),
        ("opened_door", "Opened the door"),
        ("timeout", "Not answered"),
        ("declined", "Declined by Rosa"),
        ("answered", "Door opened by Rosa"),
    ],
)
def test_a_call_that_stops_ringing_withdraws_its_notification_from_every_device_that_was_rung(
    world, ring, end, django_capture_on_commit_callbacks, how, says
):
    for person in (world.rosa, world.ray, world.nina):
        f_device(person)
    with django_capture_on_commit_callbacks() as rung:
        call = ring()
    [(people, notice)] = pushes(rung)
    assert sorted(people) == sorted([world.rosa.pk, world.ray.pk]) and notice["withdraw"] is False

    callbacks = end(how, call)

    # then: one withdrawal, by push, to the unit's two residents (Nina's device was never rung)
    [(people, withdrawal)] = pushes(callbacks)
    assert sorted(people) == sorted([world.rosa.pk, world.ray.pk])
    assert withdrawal["withdraw"] is True and withdrawal["tag"] == notice["tag"] == f"call-{call.pk}"
    assert withdrawal["title"] == notice["title"] and not withdrawal["actions"]
    assert withdrawal["body"].startswith(says) and "call at " in withdrawal["body"]
    # and the open pages are not sent a second notice: their panels close from the call's own live event
    assert len(events("notice")) == 2


def test_the_withdrawal_reaches_each_device_encrypted_like_any_push_and_replaces_one_still_waiting(
    world,
    ring,
    end,
    push_service,  # noqa: F811
    browser_keys,  # noqa: F811
):
    rosa_phone = PushSubscription.objects.create(
        user=world.rosa, endpoint=push_service.endpoint("rosa"), p256dh=browser_keys.p256dh, auth=browser_keys.auth
    )
    call = ring()
    callbacks = end("declined", call)
    [(people, withdrawal)] = pushes(callbacks)

    assert push_deliver(user_ids=people, notice=withdrawal) == {"sent": 1}

    [received] = push_service.received
    assert received.path.endswith("/rosa")
    # the same Topic as the ring's: a phone offline during the call gets only this, never a stale ring
    assert received.headers["topic"] == f"call-{call.pk}" and received.headers["urgency"] == "high"
    shown = decrypt(received, browser_keys)
    assert shown["withdraw"] is True and shown["tag"] == f"call-{call.pk}" and shown["actions"] == []
    assert rosa_phone.pk in PushSubscription.objects.values_list("pk", flat=True)


def test_nobody_is_sent_a_withdrawal_for_a_call_they_were_not_pushed(world, ring, end):
    f_device(world.rosa)
    f_device(world.ray)
    NotificationPreference.objects.create(user=world.ray, channels={"call": []})  # Ray: calls on open pages only
    call = ring()

    callbacks = end("timeout", call)

    assert [people for people, _ in pushes(callbacks)] == [[world.rosa.pk]]


def f_device(user) -> PushSubscription:
    return PushSubscription.objects.create(
        user=user, endpoint=f"https://fcm.googleapis.com/fcm/send/{user.pk}", p256dh="k" * 87, auth="a" * 22
    )
