"""Use counts follow the access-log sync: a visitor's entry updates their pass without the list page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from logs.models import Stream
from logs.sync import stream_sync
from passes import services
from passes.models import Pass
from passes.sharing import qr_payload
from passes.usage import passes_used_by
from tests.passes.helpers import pass_input, window_for_kind

NY = ZoneInfo("America/New_York")


def make_pass(bmx, name="Tutor", kind="custom") -> Pass:
    data = pass_input(kind, tz=NY, name=name, **window_for_kind(kind, NY))
    return services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)


def test_the_log_sync_updates_a_passs_use_count_and_last_use(bmx, sandbox, settings):
    settings.LOGS_BACKFILL_DAYS = 0
    stream_sync(building_id=bmx.crimson.pk, stream=Stream.ACCESS)  # the building's log, up to now
    tutor = make_pass(bmx)
    other = make_pass(bmx, name="Untouched")
    key = tutor.keys.get()

    # When the visitor opens the front door three times (PIN, QR, PIN) and the log sync runs
    assert sandbox.use_key(access_point_id=3901, pin=key.pin)["granted"]
    assert sandbox.use_key(access_point_id=3901, qr=qr_payload(key))["granted"]
    assert sandbox.use_key(access_point_id=3901, pin=key.pin)["granted"]
    outcome = stream_sync(building_id=bmx.crimson.pk, stream=Stream.ACCESS)

    # Then the pass's counts are ButterflyMX's, with no page opened
    tutor.refresh_from_db()
    assert tutor.use_count == 3
    assert tutor.last_used_at is not None and tutor.first_used_at <= tutor.last_used_at
    assert tutor.keys.get().usage_count == 3
    # Both of Rosa's live passes were candidates (the entry names its owner, not its keychain); the one
    # nobody used keeps zero.
    assert outcome.details["passes_recounted"] == 2
    other.refresh_from_db()
    assert other.use_count == 0

    # And the next sync re-reads the overlap without reading the counts again
    again = stream_sync(building_id=bmx.crimson.pk, stream=Stream.ACCESS)
    assert again.details["passes_recounted"] == 0


def test_a_one_time_pass_shows_used_after_the_log_sync_and_its_grace(bmx, sandbox, settings):
    settings.LOGS_BACKFILL_DAYS = 0
    stream_sync(building_id=bmx.crimson.pk, stream=Stream.ACCESS)
    once = make_pass(bmx, name="Courier", kind="one_time")
    assert sandbox.use_key(access_point_id=3901, pin=once.keys.get().pin)["granted"]

    stream_sync(building_id=bmx.crimson.pk, stream=Stream.ACCESS)

    once.refresh_from_db()
    assert once.use_count == 1
    assert once.state(timezone.now() + dt.timedelta(minutes=16)) == "used"


def test_an_entry_naming_the_keychain_points_at_that_pass_only(bmx, sandbox):
    # The documented object form: {"keychain": id}
    first, second = make_pass(bmx, name="A"), make_pass(bmx, name="B")
    later = timezone.now() + dt.timedelta(seconds=5)

    assert passes_used_by(building_id=bmx.crimson.pk, uses=[(129201, second.bmx_keychain_id, later)]) == [second.pk]
    # An entry older than the last reading of the counts points at nothing
    earlier = first.usage_refreshed_at - dt.timedelta(minutes=1)
    assert passes_used_by(building_id=bmx.crimson.pk, uses=[(129201, first.bmx_keychain_id, earlier)]) == []
    # Another tenant's entry never points at Rosa's passes
    assert passes_used_by(building_id=bmx.crimson.pk, uses=[(129205, None, later)]) == []
