"""Manager alerts: each fires once per incident, only to the managers of that building who want it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from logs.models import ReleaseMethod, WebhookEndpoint
from logs.signals import access_entries_stored
from logs.webhooks import base_url
from portal.alerts.categories import REFUSED, RELEASE, RELINK, WEBHOOKS
from portal.alerts.incidents import alerts_scan, refusal_bursts_close
from portal.alerts.models import AlertIncident
from portal.alerts.services import alert_choices_set
from portal.dashboard.services import door_release
from tenants.models import BmxLink, Membership
from tenants.services import LinkNeedsRelink, link_access_token
from tests import factories as f
from tests.dashboard.conftest import FRONT_DOOR, GARAGE, build_crimson
from tests.logs.factories import entry_for

from .conftest import notices


def audiences(category: str) -> list[str]:
    return [audience for audience, _ in notices(category)]


# --- a door released by staff ----------------------------------------------------------------------


@pytest.fixture
def desk(sandbox, db):
    """Crimson connected for real (roster sync), with a second manager, and a manager elsewhere."""
    crimson = build_crimson(sandbox)
    crimson.second_manager = f.UserFactory(email="mia@crimson.test", first_name="Mia")
    Membership.objects.create(user=crimson.second_manager, building=crimson.building, role="manager")
    crimson.elsewhere_manager = f.UserFactory(email="leo@elsewhere.test")
    Membership.objects.create(user=crimson.elsewhere_manager, building=f.BuildingFactory(name="Else"), role="manager")
    return crimson


def want_releases(*managers, building) -> None:
    for manager in managers:
        alert_choices_set(user=manager, choices={(building.pk, RELEASE): True})


def test_a_staff_release_tells_the_buildings_managers_who_asked_once(desk, sandbox, django_capture_on_commit_callbacks):
    want_releases(desk.manager, desk.second_manager, desk.elsewhere_manager, building=desk.building)
    with django_capture_on_commit_callbacks(execute=True):
        release = door_release(user=desk.staff, door_id=desk.doors[FRONT_DOOR].pk, reason="courier")

    assert sorted(audiences(RELEASE)) == sorted([f"user:{desk.manager.pk}", f"user:{desk.second_manager.pk}"])
    payload = notices(RELEASE)[0][1]
    assert payload["title"] == f"Front door released by {desk.staff.display_name}"
    assert "courier" in payload["body"] and payload["tag"] == f"release-{release.pk}"
    assert payload["url"] == f"/dashboard/audit/?building={desk.building.pk}"


def test_a_managers_release_tells_the_other_managers_not_the_releaser(
    desk, sandbox, django_capture_on_commit_callbacks
):
    want_releases(desk.manager, desk.second_manager, building=desk.building)
    with django_capture_on_commit_callbacks(execute=True):
        door_release(user=desk.manager, door_id=desk.doors[FRONT_DOOR].pk)
    assert audiences(RELEASE) == [f"user:{desk.second_manager.pk}"]


def test_release_alerts_are_off_until_a_manager_asks_and_never_for_residents_releases(
    desk, sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        door_release(user=desk.staff, door_id=desk.doors[FRONT_DOOR].pk)
    assert audiences(RELEASE) == []  # the default: off
    want_releases(desk.manager, building=desk.building)
    with django_capture_on_commit_callbacks(execute=True):
        door_release(user=desk.rosa, door_id=desk.doors[GARAGE].pk)  # a door she is assigned, her own link
    assert audiences(RELEASE) == []


# --- a burst of refused credentials ------------------------------------------------------------------


def refusals(bmx, first_id: int, count: int, *, door=3901, at=None, **fields) -> list:
    at = at or timezone.now()
    return [
        entry_for(
            bmx.crimson,
            remote_id=first_id + i,
            door=bmx.doors[door],
            door_bmx_id=door,
            logged_at=at + timedelta(seconds=10 * i),
            release_status="Locked",
            release_method=ReleaseMethod.ACCESS_TOOL,
            entry_method_text="access_tool",
            **fields,
        )
        for i in range(count)
    ]


def stored(bmx, entries, capture) -> None:
    """What the log sync does after an upsert: tell the receivers which rows it stored."""
    with capture(execute=True):
        access_entries_stored.send_robust(
            sender="access",
            building_id=bmx.crimson.pk,
            entries=[(e.remote_id, e.logged_at, e.release_method, e.release_status) for e in entries],
            source="walk",
        )


def test_a_burst_of_refusals_at_one_door_alerts_its_managers_once(bmx, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    first = refusals(bmx, 900, 4)
    stored(bmx, first, capture)
    assert audiences(REFUSED) == []  # four: not yet a burst
    fifth = refusals(bmx, 904, 1, at=first[-1].logged_at + timedelta(seconds=5))
    stored(bmx, fifth, capture)
    assert audiences(REFUSED) == [f"user:{bmx.manager.pk}"]  # Ada; not Leo (Lakeshore), no resident
    payload = notices(REFUSED)[0][1]
    assert payload["title"] == "5 refused credentials at Front door"
    assert payload["url"].startswith("/logs/?") and "status=Locked" in payload["url"]
    # more refusals in the same burst: no more notices
    stored(bmx, refusals(bmx, 905, 3, at=timezone.now() + timedelta(seconds=60)), capture)
    assert len(audiences(REFUSED)) == 1
    # the burst ends (a window without refusals); the next one is a new incident
    refusal_bursts_close(now=timezone.now() + timedelta(minutes=5))
    stored(bmx, refusals(bmx, 920, 5, at=timezone.now() + timedelta(minutes=6)), capture)
    assert len(audiences(REFUSED)) == 2
    assert AlertIncident.objects.filter(category=REFUSED).count() == 2


def test_refusals_spread_over_doors_or_schedule_locks_are_no_burst(bmx, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    stored(bmx, refusals(bmx, 950, 3, door=3901) + refusals(bmx, 960, 3, door=3902), capture)
    schedule = [
        entry_for(
            bmx.crimson,
            remote_id=970 + i,
            door=bmx.doors[3901],
            door_bmx_id=3901,
            logged_at=timezone.now() + timedelta(seconds=i),
            release_status="Locked",
            release_method=ReleaseMethod.SCHEDULE,
        )
        for i in range(5)
    ]
    stored(bmx, schedule, capture)
    assert audiences(REFUSED) == []


def test_a_manager_who_turned_refusals_off_is_not_told(bmx, django_capture_on_commit_callbacks):
    alert_choices_set(user=bmx.manager, choices={(bmx.crimson.pk, REFUSED): False})
    stored(bmx, refusals(bmx, 980, 5), django_capture_on_commit_callbacks)
    assert audiences(REFUSED) == []
    assert AlertIncident.objects.filter(category=REFUSED, told=[]).count() == 1


# --- webhooks gone quiet -------------------------------------------------------------------------------


def quiet_webhooks(bmx) -> WebhookEndpoint:
    """Crimson's webhooks registered an hour ago, the last delivery 30 min ago, an entry found since by
    polling alone (logs.health judges that "gone quiet")."""
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(
        building=bmx.crimson,
        secret_hash="0" * 64,
        integrations={"call": "1", "access_log": "2"},
        registered_at=now - timedelta(hours=1),
        base_url=base_url(),
        last_delivery_at=now - timedelta(minutes=30),
    )
    entry_for(bmx.crimson, remote_id=990, logged_at=now - timedelta(minutes=5))
    return endpoint


def test_webhooks_gone_quiet_alert_once_per_incident(bmx, django_capture_on_commit_callbacks):
    endpoint = quiet_webhooks(bmx)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan()
        alerts_scan()  # the next beat tick: the same incident, told once
    assert audiences(WEBHOOKS) == [f"user:{bmx.manager.pk}"]
    assert notices(WEBHOOKS)[0][1]["url"] == "/logs/health/"
    # deliveries resume: the incident is over
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_delivery_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan()
    assert AlertIncident.objects.get(category=WEBHOOKS).closed_at is not None
    # and quiet again later: a new incident, told again
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_delivery_at=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan()
    assert len(audiences(WEBHOOKS)) == 2


# --- a link that needs re-linking ----------------------------------------------------------------------


def test_a_refused_building_admin_link_alerts_its_managers_once(bmx, sandbox, django_capture_on_commit_callbacks):
    link = bmx.crimson.admin_link
    # ButterflyMX (the sandbox) refuses a refresh token it never issued: the link needs re-linking
    BmxLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    link.refresh_from_db()
    link.refresh_token = "not-a-token-the-sandbox-issued"
    link.save(update_fields=["refresh_token"])
    with pytest.raises(LinkNeedsRelink):
        link_access_token(link_id=link.pk)

    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan()
        alerts_scan()

    assert audiences(RELINK) == [f"user:{bmx.manager.pk}"]  # Ada only: not Leo, not Rosa or Nina
    assert notices(RELINK)[0][1]["url"] == f"/link/buildings/{bmx.crimson.pk}/"
    # re-linked: the incident closes
    BmxLink.objects.filter(pk=link.pk).update(status=BmxLink.Status.ACTIVE)
    alerts_scan()
    assert AlertIncident.objects.get(category=RELINK).closed_at is not None
