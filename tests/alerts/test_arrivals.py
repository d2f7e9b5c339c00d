"""Arrivals: a visitor uses a pass at the sandbox's door; its host (only) is told, once."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logs.models import AccessLogEntry, Stream
from logs.retention import batch_delete
from logs.sync import stream_sync
from passes import services
from passes.models import Pass
from passes.sharing import qr_payload
from portal.alerts.arrivals import arrival_channels, arrivals_tell
from portal.alerts.incidents import alerts_scan
from portal.alerts.models import ArrivalNotice
from portal.notifications.models import NotificationPreference
from tests.passes.helpers import pass_input, window_for_kind

from .conftest import notices

NY = ZoneInfo("America/New_York")
FRONT_DOOR = 3901


def make_pass(bmx, name: str, *, push=False, email=False, kind="custom") -> Pass:
    data = pass_input(kind, tz=NY, name=name, **window_for_kind(kind, NY))
    data = replace(data, arrival_push=push, arrival_email=email)
    return services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)


def synced(bmx, capture) -> None:
    """One sync of Crimson's access log, its after-commit work (the notices) run."""
    with capture(execute=True):
        stream_sync(building_id=bmx.crimson.pk, stream=Stream.ACCESS)


def test_a_pass_used_at_the_door_tells_its_host_once_and_nobody_else(
    bmx, sandbox, settings, django_capture_on_commit_callbacks
):
    settings.LOGS_BACKFILL_DAYS = 0
    synced(bmx, django_capture_on_commit_callbacks)  # the log as it stands
    walker = make_pass(bmx, "Dog walker", push=True)
    make_pass(bmx, "Plumber")  # another pass of Rosa's, without the choice

    # When the dog walker types their PIN at the front door and the log syncs (twice: a nudge and beat)
    used = sandbox.use_key(access_point_id=FRONT_DOOR, pin=walker.keys.get().pin)
    synced(bmx, django_capture_on_commit_callbacks)
    synced(bmx, django_capture_on_commit_callbacks)

    # Then Rosa (the host) is told once, with the pass's name, the door and the building's local time
    entry = AccessLogEntry.objects.get(building=bmx.crimson, remote_id=used["access_log_ids"][0])
    told = notices("arrival")
    assert [audience for audience, _ in told] == [f"user:{bmx.rosa.pk}"]  # not Nina, not the manager
    payload = told[0][1]
    local = timezone.localtime(entry.logged_at, NY)
    assert payload["title"] == "Dog walker arrived"
    assert payload["body"] == f"Front door, {local:%H:%M}"
    assert payload["tag"] == f"arrival-{entry.pk}"
    # push only, as the pass says (notify()'s per-notice channels: the push and e-mail part honours them)
    assert arrival_channels([walker]) == ("push",)
    assert payload["url"] == f"/passes/{walker.pk}/"
    # the snapshot through the portal's scoped redirect, never the public S3 link
    assert payload["image_url"] == f"/logs/{entry.pk}/snapshot"
    assert ArrivalNotice.objects.get().entry == entry

    # and the logs' retention deletes the entry in one statement (the claim does not cascade); the claim
    # itself goes with the alerts' scan once it is a day old
    with CaptureQueriesContext(connection) as queries:
        assert batch_delete(AccessLogEntry, before=timezone.now() + timedelta(days=1), batch=10_000) > 0
    assert [q["sql"].split()[0].upper() for q in queries.captured_queries] == ["DELETE"]
    assert ArrivalNotice.objects.exists()
    ArrivalNotice.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert alerts_scan()["arrival_claims_pruned"] == 1 and not ArrivalNotice.objects.exists()


def test_an_entry_told_once_is_never_told_again_by_another_run(
    bmx, sandbox, settings, django_capture_on_commit_callbacks
):
    # Two workers (or a re-scan) handing the same stored entry to the arrivals: the claim decides
    settings.LOGS_BACKFILL_DAYS = 0
    synced(bmx, django_capture_on_commit_callbacks)
    walker = make_pass(bmx, "Dog walker", email=True)
    used = sandbox.use_key(access_point_id=FRONT_DOOR, qr=qr_payload(walker.keys.get()))
    synced(bmx, django_capture_on_commit_callbacks)
    entry = AccessLogEntry.objects.get(building=bmx.crimson, remote_id=used["access_log_ids"][0])

    with django_capture_on_commit_callbacks(execute=True):
        again = arrivals_tell(building_id=bmx.crimson.pk, remote_ids=[entry.remote_id])

    assert again == 0
    assert len(notices("arrival")) == 1 and arrival_channels([walker]) == ("email",)


def test_a_pass_without_the_choice_tells_nobody(bmx, sandbox, settings, django_capture_on_commit_callbacks):
    settings.LOGS_BACKFILL_DAYS = 0
    synced(bmx, django_capture_on_commit_callbacks)
    plumber = make_pass(bmx, "Plumber")
    used = sandbox.use_key(access_point_id=FRONT_DOOR, pin=plumber.keys.get().pin)

    synced(bmx, django_capture_on_commit_callbacks)

    assert AccessLogEntry.objects.filter(building=bmx.crimson, remote_id=used["access_log_ids"][0]).exists()
    assert notices() == [] and not ArrivalNotice.objects.exists()


def test_an_old_entry_first_seen_by_a_backfill_tells_nobody(bmx, sandbox, settings, django_capture_on_commit_callbacks):
    # An arrival older than ALERTS_ARRIVAL_MAX_AGE_S when the portal first stores it is history: here
    # the building's first sync backfills a day, after the visit has aged past the (shortened) limit.
    settings.LOGS_BACKFILL_DAYS = 1
    settings.ALERTS_ARRIVAL_MAX_AGE_S = 1
    walker = make_pass(bmx, "Dog walker", push=True, email=True)
    used = sandbox.use_key(access_point_id=FRONT_DOOR, pin=walker.keys.get().pin)
    time.sleep(2)  # the visit is now older than the limit

    synced(bmx, django_capture_on_commit_callbacks)

    assert AccessLogEntry.objects.filter(building=bmx.crimson, remote_id=used["access_log_ids"][0]).exists()
    assert notices() == [] and not ArrivalNotice.objects.exists()


def test_the_visitors_name_picks_the_pass_among_the_hosts_passes(
    bmx, sandbox, settings, django_capture_on_commit_callbacks
):
    # The entry names the pass's owner (tenant) and the visitor key's name, not the keychain: with two
    # passes told, the one whose key was used is the one named.
    settings.LOGS_BACKFILL_DAYS = 0
    synced(bmx, django_capture_on_commit_callbacks)
    make_pass(bmx, "Cleaner", push=True)
    tutor = make_pass(bmx, "Tutor", push=True)
    assert sandbox.use_key(access_point_id=FRONT_DOOR, pin=tutor.keys.get().pin)["granted"]

    synced(bmx, django_capture_on_commit_callbacks)

    assert [p["title"] for _, p in notices("arrival")] == ["Tutor arrived"]


def test_the_hosts_choice_decides_whoever_fills_in_the_form(bmx, client):
    # Rosa's default (her channels for guest arrivals) is "by push"; a manager making her a pass cannot
    # choose for her
    NotificationPreference.objects.create(user=bmx.rosa, channels={"arrival": ["push"]})
    client.force_login(bmx.manager)
    form = {"residency": bmx.rosa_residency.pk, "kind": "delivery", "arrival_email": "on"}
    assert client.post("/passes/new/", {**form, "name": "Grocer"}).status_code == 302
    grocer = Pass.objects.get(name="Grocer")
    assert (grocer.arrival_push, grocer.arrival_email) == (True, False)
    # Rosa's own form is hers to choose
    client.force_login(bmx.rosa)
    assert client.post("/passes/new/", {**form, "name": "Florist"}).status_code == 302
    florist = Pass.objects.get(name="Florist")
    assert (florist.arrival_push, florist.arrival_email) == (False, True)
