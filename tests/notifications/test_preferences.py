"""notify(): the open page always gets the live notice; push and e-mail follow the person's channels,
quiet hours (in their building's zone), a mute, and ButterflyMX's "do not disturb" for calls."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from portal.live.models import LiveEvent
from portal.notifications import preferences as p
from portal.notifications.models import NotificationPreference, PushSubscription
from portal.notifications.notices import Notice
from portal.notifications.services import notify
from tenants.models import TenantRecord
from tenants.roster import _tenant_fields
from tests.notifications.conftest import run_live_only

pytestmark = pytest.mark.django_db

# Building A is in America/New_York: 03:30 UTC on 15 January is 22:30 there (EST, UTC-5).
LATE_EVENING_IN_A = datetime(2026, 1, 15, 3, 30, tzinfo=UTC)
AFTERNOON_IN_A = datetime(2026, 1, 15, 19, 0, tzinfo=UTC)


def notice(category: str = "arrival") -> Notice:
    return Notice(category=category, title="Dog walker arrived", body="Front door, 14:21", url="/logs/")


def with_device(user) -> None:
    PushSubscription.objects.create(
        user=user, endpoint=f"https://fcm.googleapis.com/fcm/send/{user.pk}", p256dh="k" * 87, auth="a" * 22
    )


def quiet(user, *, allowed=("call",)) -> NotificationPreference:
    pref, _ = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "quiet_enabled": True,
            "quiet_start": time(22, 0),
            "quiet_end": time(7, 0),
            "quiet_allowed": list(allowed),
        },
    )
    return pref


def in_dnd(world) -> None:
    residency = world.alice.residencies.get()
    residency.bmx_tenant_id = 377389742
    residency.save()
    TenantRecord.objects.create(
        building=world.building_a, unit=world.unit_a1, bmx_id=377389742, first_name="Alice", do_not_disturb=True
    )


@pytest.mark.parametrize(
    ("start", "end", "now", "quiet_now"),
    [
        (time(22), time(7), time(23, 30), True),
        (time(22), time(7), time(6, 59), True),
        (time(22), time(7), time(7, 0), False),
        (time(22), time(7), time(12, 0), False),
        (time(13), time(15), time(14, 0), True),
        (time(13), time(15), time(15, 0), False),
        (time(9), time(9), time(9, 0), False),  # an empty window is no window
    ],
)
def test_quiet_hours_may_wrap_midnight(start, end, now, quiet_now):
    assert p.in_quiet_hours(start, end, now) is quiet_now


def test_by_default_a_person_with_a_device_is_pushed_and_one_without_is_not(world):
    with_device(world.alice)
    plan = p.delivery_plan([world.alice.pk, world.bob.pk], notice("call"))
    assert plan.push == [world.alice.pk] and plan.email == []
    assert plan.held == {world.bob.pk: p.NO_DEVICE}


def test_the_persons_channels_are_respected(world):
    with_device(world.alice)
    with_device(world.bob)
    NotificationPreference.objects.create(user=world.alice, channels={"arrival": ["email"]})
    NotificationPreference.objects.create(user=world.bob, channels={"arrival": []})

    plan = p.delivery_plan([world.alice.pk, world.bob.pk], notice("arrival"))

    assert plan.push == [] and plan.email == [world.alice.pk]
    assert world.bob.pk not in plan.held  # chose nothing: nothing held back, nothing sent


def test_quiet_hours_hold_back_what_the_person_did_not_allow_in_their_buildings_zone(world):
    with_device(world.alice)
    quiet(world.alice)

    evening = p.delivery_plan([world.alice.pk], notice("arrival"), now=LATE_EVENING_IN_A)
    afternoon = p.delivery_plan([world.alice.pk], notice("arrival"), now=AFTERNOON_IN_A)

    assert evening.push == [] and evening.held == {world.alice.pk: p.QUIET_HOURS}
    assert afternoon.push == [world.alice.pk]  # 14:00 in New York, though 19:00 UTC


def test_calls_still_ring_in_quiet_hours_unless_the_person_says_otherwise(world):
    with_device(world.alice)
    with_device(world.bob)
    quiet(world.alice)  # calls allowed (the default)
    quiet(world.bob, allowed=())

    plan = p.delivery_plan([world.alice.pk, world.bob.pk], notice("call"), now=LATE_EVENING_IN_A)

    assert plan.push == [world.alice.pk] and plan.held == {world.bob.pk: p.QUIET_HOURS}


def test_butterflymx_do_not_disturb_holds_calls_back_but_not_arrivals(world):
    with_device(world.alice)
    in_dnd(world)

    assert p.delivery_plan([world.alice.pk], notice("call")).held == {world.alice.pk: p.DO_NOT_DISTURB}
    assert p.delivery_plan([world.alice.pk], notice("arrival")).push == [world.alice.pk]


def test_a_mute_holds_everything_back_until_it_ends(world):
    with_device(world.alice)
    NotificationPreference.objects.create(user=world.alice, snoozed_until=timezone.now() + timedelta(minutes=30))
    assert p.delivery_plan([world.alice.pk], notice("call")).held == {world.alice.pk: p.SNOOZED}
    NotificationPreference.objects.filter(user=world.alice).update(snoozed_until=timezone.now() - timedelta(minutes=1))
    assert p.delivery_plan([world.alice.pk], notice("call")).push == [world.alice.pk]


def test_notify_always_publishes_the_live_notice_even_when_push_is_held(
    world, settings, django_capture_on_commit_callbacks
):
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = "public", "private"
    with_device(world.alice)
    in_dnd(world)

    with django_capture_on_commit_callbacks() as callbacks:
        plan = notify([world.alice.pk], notice("call"))
    queued = run_live_only(callbacks)

    assert plan.held == {world.alice.pk: p.DO_NOT_DISTURB}
    assert queued == []
    event = LiveEvent.objects.get(audience=f"user:{world.alice.pk}")
    assert event.kind == "notice" and event.payload["title"] == "Dog walker arrived"


def test_notify_queues_push_for_all_and_one_email_per_person_after_commit(
    world, settings, django_capture_on_commit_callbacks
):
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = "public", "private"
    for person in (world.alice, world.bob):
        with_device(person)
        NotificationPreference.objects.create(user=person, channels={"arrival": ["push", "email"]})

    with django_capture_on_commit_callbacks() as callbacks:
        notify([world.bob.pk, world.alice.pk, world.alice.pk], notice("arrival"))
    queued = run_live_only(callbacks)

    payload = notice("arrival").as_payload()
    assert queued == [
        ("portal.notifications.tasks.push_notice_task", sorted([world.alice.pk, world.bob.pk]), payload),
        ("portal.notifications.tasks.email_notice_task", min(world.alice.pk, world.bob.pk), payload),
        ("portal.notifications.tasks.email_notice_task", max(world.alice.pk, world.bob.pk), payload),
    ]
    assert LiveEvent.objects.filter(kind="notice").count() == 2


def test_without_vapid_keys_notify_queues_no_push(world, settings, django_capture_on_commit_callbacks):
    settings.WEBPUSH_VAPID_PUBLIC_KEY = settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    with_device(world.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        notify([world.alice.pk], notice("call"))
    assert run_live_only(callbacks) == []


def test_the_roster_keeps_butterflymx_do_not_disturb():
    item = {"id": 1, "first_name": "Duncan", "unit": None}
    on = {**item, "notification_preference": {"email": True, "sms": False, "do_not_disturb": True}}
    assert _tenant_fields(on, units={})["do_not_disturb"] is True
    assert _tenant_fields({**item, "notification_preference": None}, units={})["do_not_disturb"] is False
    assert _tenant_fields(item, units={})["do_not_disturb"] is False


def test_a_passs_own_channels_replace_the_persons_choice_but_not_quiet_hours(world):
    """alerts18's per-pass "tell me when a visitor uses this pass": its channels win for that notice."""
    with_device(world.alice)
    NotificationPreference.objects.create(user=world.alice, channels={"arrival": []})
    assert p.channels_chosen(world.alice, "arrival") == set()
    assert p.channels_chosen(world.bob, "arrival") == {"push"}  # the default

    plan = p.delivery_plan([world.alice.pk], notice("arrival"), channels={world.alice.pk: ["push", "email"]})
    assert plan.push == [world.alice.pk] and plan.email == [world.alice.pk]

    quiet(world.alice)
    held = p.delivery_plan(
        [world.alice.pk], notice("arrival"), channels={world.alice.pk: ["push"]}, now=LATE_EVENING_IN_A
    )
    assert held.push == [] and held.held == {world.alice.pk: p.QUIET_HOURS}
