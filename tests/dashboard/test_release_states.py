"""What "Confirmed open" means: only an access-log entry logged after *this* release, at its door, confirms
it; and every state (released, confirmed, not confirmed, failed) reads the same on the board, its
fragment, the API and the audit (portal.dashboard.confirmation is the one rule they all call)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from logs.models import AccessLogEntry, ReleaseMethod
from portal.dashboard.confirmation import ReleaseKind, confirming_entries, release_states
from portal.dashboard.models import DoorRelease

from .conftest import FRONT_DOOR, GARAGE, ROSA_TENANT

DESK = 129214
_remote_ids = iter(range(5000, 10**6))


@pytest.fixture(autouse=True)
def _window(settings):
    settings.DOOR_CONFIRM_WINDOW_S = 60


def release_at(crimson, at, *, status=DoorRelease.Status.SUCCEEDED, door=FRONT_DOOR, tenant=ROSA_TENANT, **fields):
    return DoorRelease.objects.create(
        building=crimson.building,
        door=crimson.doors[door],
        requested_by=crimson.staff,
        requested_by_role="staff",
        bmx_tenant_id=tenant,
        status=status,
        requested_at=at,
        completed_at=at,
        **fields,
    )


def entry_at(crimson, at, *, door=FRONT_DOOR, tenant=ROSA_TENANT):
    """An access-log entry as ButterflyMX writes one for an API release: whole seconds."""
    return AccessLogEntry.objects.create(
        building=crimson.building,
        remote_id=next(_remote_ids),
        logged_at=at.replace(microsecond=0),
        release_method=ReleaseMethod.API,
        release_type="Tenant",
        release_status="Unlocked",
        door=crimson.doors[door],
        door_bmx_id=door,
        tenant_bmx_id=tenant,
        person_name="Rosa Resident",
        synced_at=at,
    )


def kinds(releases, now):
    states = release_states(DoorRelease.objects.filter(pk__in=[r.pk for r in releases]).select_related("building"), now)
    return [states[r.pk].kind for r in releases]


def a_moment(seconds_ago: float = 300):
    """A request time with a fraction of a second, as the portal's clock gives it."""
    return (timezone.now() - timedelta(seconds=seconds_ago)).replace(microsecond=700_000)


# --- each state, as long as it is true ---------------------------------------------------------------


def test_released_waits_for_the_log_for_the_whole_window(crimson):
    at = a_moment()
    release = release_at(crimson, at)

    assert kinds([release], at + timedelta(seconds=1)) == [ReleaseKind.RELEASED]
    assert kinds([release], at + timedelta(seconds=59)) == [ReleaseKind.RELEASED]
    assert kinds([release], at + timedelta(seconds=61)) == [ReleaseKind.NOT_CONFIRMED]


def test_an_entry_of_the_same_second_confirms_and_stays_confirmed(crimson):
    at = a_moment()
    release = release_at(crimson, at)
    entry = entry_at(crimson, at)  # logged 12:00:00 for a request at 12:00:00.7

    for later in (1, 61, 3600, 86400 * 30):
        state = release_states([DoorRelease.objects.select_related("building").get()], at + timedelta(seconds=later))
        assert (state[release.pk].kind, state[release.pk].entry) == (ReleaseKind.CONFIRMED, entry)


def test_a_refused_release_is_failed_and_never_confirmed(crimson):
    at = a_moment()
    failed = release_at(crimson, at, status=DoorRelease.Status.FAILED, error="ButterflyMX refused it.")
    entry_at(crimson, at + timedelta(seconds=2))

    assert kinds([failed], at + timedelta(seconds=5)) == [ReleaseKind.FAILED]
    assert confirming_entries([failed]) == {}


def test_a_timed_out_release_waits_then_fails_without_an_entry(crimson):
    at = a_moment()
    silent = release_at(crimson, at, status=DoorRelease.Status.UNKNOWN)

    assert kinds([silent], at + timedelta(seconds=10)) == [ReleaseKind.UNKNOWN]
    assert kinds([silent], at + timedelta(seconds=61)) == [ReleaseKind.FAILED]


def test_a_timed_out_release_whose_door_did_open_is_confirmed(crimson):
    at = a_moment()
    silent = release_at(crimson, at, status=DoorRelease.Status.UNKNOWN)
    entry_at(crimson, at + timedelta(seconds=4))

    assert kinds([silent], at + timedelta(seconds=61)) == [ReleaseKind.CONFIRMED]


# --- the old false positives --------------------------------------------------------------------------


@pytest.mark.parametrize("seconds_before", [1, 30, 119])
def test_an_entry_logged_before_the_request_never_confirms_it(crimson, seconds_before):
    # Earlier, any API entry from up to two minutes before the request confirmed it.
    at = a_moment()
    entry_at(crimson, at - timedelta(seconds=seconds_before))
    release = release_at(crimson, at)

    assert kinds([release], at + timedelta(seconds=61)) == [ReleaseKind.NOT_CONFIRMED]


def test_another_releases_entry_does_not_confirm_a_later_release(crimson):
    at = a_moment()
    first = release_at(crimson, at)
    first_entry = entry_at(crimson, at + timedelta(seconds=1))
    second = release_at(crimson, at + timedelta(seconds=5))  # ButterflyMX accepted it, logged nothing

    assert confirming_entries([first, second]) == {first.pk: first_entry}
    assert kinds([first, second], at + timedelta(seconds=70)) == [ReleaseKind.CONFIRMED, ReleaseKind.NOT_CONFIRMED]


def test_a_timed_out_release_is_not_confirmed_by_the_release_made_just_after_it(crimson):
    # The case: a release that timed out without opening showed "Confirmed open" because
    # another release of that door had just happened.
    at = a_moment()
    silent = release_at(crimson, at, status=DoorRelease.Status.UNKNOWN)
    retry = release_at(crimson, at + timedelta(seconds=3))
    entry = entry_at(crimson, at + timedelta(seconds=3, milliseconds=400))

    assert confirming_entries([silent, retry]) == {retry.pk: entry}
    assert confirming_entries([silent]) == {}  # asked alone, too: the rival is found in the database
    assert kinds([silent, retry], at + timedelta(seconds=70)) == [ReleaseKind.FAILED, ReleaseKind.CONFIRMED]


def test_a_timed_out_release_is_not_confirmed_by_the_entry_of_the_release_before_it(crimson):
    at = a_moment()
    first = release_at(crimson, at)
    entry = entry_at(crimson, at + timedelta(seconds=1))
    silent = release_at(crimson, at + timedelta(seconds=4), status=DoorRelease.Status.UNKNOWN)

    assert confirming_entries([first, silent]) == {first.pk: entry}
    assert kinds([silent], at + timedelta(seconds=70)) == [ReleaseKind.FAILED]


def test_a_failed_release_does_not_take_the_entry_of_the_release_before_it(crimson):
    at = a_moment()
    first = release_at(crimson, at)
    release_at(crimson, at + timedelta(seconds=3), status=DoorRelease.Status.FAILED)
    entry = entry_at(crimson, at + timedelta(seconds=4))  # late, but only the first could have opened it

    assert confirming_entries([first]) == {first.pk: entry}


def test_the_tenant_of_the_entry_says_whose_release_it_was(crimson):
    at = a_moment()
    for_rosa = release_at(crimson, at, tenant=ROSA_TENANT)
    for_desk = release_at(crimson, at + timedelta(seconds=3), tenant=DESK)
    entry = entry_at(crimson, at + timedelta(seconds=4), tenant=ROSA_TENANT)

    assert confirming_entries([for_rosa, for_desk]) == {for_rosa.pk: entry}


def test_one_entry_never_confirms_two_releases_and_each_gets_its_own(crimson):
    at = a_moment()
    releases = [release_at(crimson, at + timedelta(seconds=4 * i)) for i in range(3)]
    entries = [entry_at(crimson, at + timedelta(seconds=4 * i + 1)) for i in range(3)]
    garage = release_at(crimson, at, door=GARAGE)

    assert confirming_entries([*releases, garage]) == {r.pk: e for r, e in zip(releases, entries, strict=True)}


# --- the same state everywhere ------------------------------------------------------------------------


def board_clock(moment, tz) -> str:
    """A release time as the board writes it: the time today, with the day before that (this year)."""
    local, today = moment.astimezone(tz), timezone.now().astimezone(tz)
    return f"{local:%H:%M}" if local.date() == today.date() else f"{local:%a %-d %b, %H:%M}"


def _states_everywhere(crimson, client, door):
    """The state of ``door``'s last release as the board fragment, the API and the audit CSV say it."""
    client.force_login(crimson.manager)
    fragment = client.get(f"/dashboard/{crimson.building.pk}/doors/").content.decode()
    mark = fragment.index(f'data-door-id="{door.pk}"')
    card = fragment[fragment.rindex("<article", 0, mark) : fragment.index("</article>", mark)]
    api = client.get(f"/api/doors/{door.pk}/").json()
    response = client.get("/dashboard/audit.csv", {"door": door.pk})
    audit = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    return card, api, audit[0]


@pytest.mark.parametrize(
    ("status", "seconds_ago", "with_entry", "kind", "label", "confirmed"),
    [
        ("succeeded", 5, False, "released", "Pending confirmation", "no"),
        ("succeeded", 20, True, "confirmed", "Confirmed open", "yes"),
        ("succeeded", 120, False, "not_confirmed", "Not confirmed", "no"),
        ("failed", 5, True, "failed", "Failed", "no"),
        ("unknown", 5, False, "unknown", "No answer, checking the log", "no"),
        ("unknown", 120, False, "failed", "Failed", "no"),
        # However long ago: a door's last release keeps its state on the board (no display timer).
        ("succeeded", 3 * 3600, True, "confirmed", "Confirmed open", "yes"),
        ("succeeded", 2 * 86400, False, "not_confirmed", "Not confirmed", "no"),
        ("failed", 40 * 86400, False, "failed", "Failed", "no"),
    ],
)
def test_board_api_and_audit_say_the_same(crimson, client, status, seconds_ago, with_entry, kind, label, confirmed):
    at = a_moment(seconds_ago)
    door = crimson.doors[FRONT_DOOR]
    release_at(crimson, at, status=status, error="ButterflyMX refused it." if status == "failed" else "")
    if with_entry:
        entry_at(crimson, at + timedelta(seconds=1))

    card, api, audit = _states_everywhere(crimson, client, door)

    clock = board_clock(at, crimson.building.tz)
    headline = f"Release failed {clock}" if kind == "failed" else f"Released {clock} · {label.lower()}"
    assert f"door-{kind}" in card and f'role="status">{headline}</span>' in card
    assert (api["state"], api["state_label"]) == (kind, label)
    assert (api["confirmed_at"] is not None) == (kind == "confirmed")
    assert (audit["state"], audit["confirmed"]) == (label, confirmed)


def test_the_audit_page_shows_each_releases_state_and_when_it_opened(crimson, client):
    at = a_moment(600)
    release_at(crimson, at, reason="opened-one")
    entry_at(crimson, at + timedelta(seconds=2))
    release_at(crimson, at + timedelta(seconds=30), reason="silent-one", status=DoorRelease.Status.UNKNOWN)
    client.force_login(crimson.manager)

    page = client.get("/dashboard/audit/").content.decode()
    opened = page.split("opened-one")[1].split("</tr>")[0]
    silent = page.split("silent-one")[1].split("</tr>")[0]

    local = (at + timedelta(seconds=2)).astimezone(crimson.building.tz)
    assert "Confirmed open" in opened and f"at {local:%H:%M}" in opened
    assert "Confirmed open" not in silent and "Failed" in silent and "nothing shows the door opened" in silent


# --- a release without a tenant (older rows; ButterflyMX logs it under whoever it names) ---------------


@pytest.mark.parametrize("entry_tenant", [ROSA_TENANT, DESK, None])
def test_a_release_without_a_tenant_is_confirmed_by_any_tenants_entry_on_every_surface(crimson, client, entry_tenant):
    """One rule (portal.dashboard.confirmation): with no tenant to match, the door's next non-guest entry
    in the window confirms it, on the board page, its fragment, the doors API (list and detail), the
    audit page and its CSV alike."""
    at = a_moment(600)
    door = crimson.doors[FRONT_DOOR]
    release_at(crimson, at, tenant=None, reason="tenantless-one")
    opened = entry_at(crimson, at + timedelta(seconds=2), tenant=entry_tenant)

    card, api, audit = _states_everywhere(crimson, client, door)
    board = client.get(f"/dashboard/{crimson.building.pk}/").content.decode()
    listed = {d["id"]: d for d in client.get("/api/doors/").json()}[door.pk]
    audit_page = client.get("/dashboard/audit/").content.decode().split("tenantless-one")[1].split("</tr>")[0]

    mark = board.index(f'data-door-id="{door.pk}"')
    board_card = board[board.rindex("<article", 0, mark) : board.index("</article>", mark)]
    assert "door-confirmed" in card and "door-confirmed" in board_card
    assert (api["state"], listed["state"]) == ("confirmed", "confirmed")
    assert api["confirmed_at"] == listed["confirmed_at"] is not None
    assert (audit["state"], audit["confirmed"]) == ("Confirmed open", "yes")
    local = opened.logged_at.astimezone(crimson.building.tz)
    assert "Confirmed open" in audit_page and f"at {local:%H:%M}" in audit_page


def test_a_release_without_a_tenant_is_not_confirmed_by_a_guests_entry_anywhere(crimson, client):
    at = a_moment(600)
    door = crimson.doors[FRONT_DOOR]
    release_at(crimson, at, tenant=None)
    AccessLogEntry.objects.filter(pk=entry_at(crimson, at + timedelta(seconds=2)).pk).update(release_type="Visitor")

    card, api, audit = _states_everywhere(crimson, client, door)

    assert "door-not_confirmed" in card
    assert api["state"] == "not_confirmed" and api["confirmed_at"] is None
    assert (audit["state"], audit["confirmed"]) == ("Not confirmed", "no")
