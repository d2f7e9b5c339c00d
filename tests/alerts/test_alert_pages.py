"""Alert settings on the Notifications page, the old /alerts/ address, and the pass's arrival switch:
each person's own choices, within their scope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from passes.models import Pass
from portal.alerts.categories import REFUSED, RELEASE
from portal.alerts.models import AlertChoice, AlertIncident
from portal.alerts.selectors import alert_choices
from portal.notifications.models import NotificationPreference
from tests.passes.conftest import make_pass

SETTINGS_URL = "/profile/notifications/"
# What the Notifications page posts when nothing is changed on it (quiet hours off, their default times).
UNCHANGED = {"quiet_start": "22:00", "quiet_end": "07:00", "call__push": "on", "call__quiet": "on"}


@pytest.fixture
def alices_pass(world):
    return make_pass(world.alice.residencies.get(), name="Dog walker")


def test_the_old_alerts_address_opens_the_notifications_pages_alerts_section(world, client_for):
    for persona in (world.alice, world.staff, world.manager):
        response = client_for(persona).get("/alerts/")
        assert response.status_code == 302 and response["Location"] == f"{SETTINGS_URL}#building-alerts"
    posted = {f"alert-{world.building_a.pk}-{RELEASE}": "on"}
    assert client_for(world.manager).post("/alerts/", posted).status_code == 405  # nothing is saved there
    assert not AlertChoice.objects.exists()


def test_the_navigation_has_one_notifications_entry(world, client_for):
    for persona in (world.alice, world.manager):
        html = client_for(persona).get("/").content.decode()
        assert html.count(f'href="{SETTINGS_URL}"') == 1
        assert 'href="/alerts/"' not in html


def test_a_residents_arrival_default_is_the_arrival_channels_and_the_pass_form_starts_with_it(world, client_for):
    client = client_for(world.alice)
    # nothing chosen: arrivals' default channels (push)
    form = client.get("/passes/new/").context["form"]
    assert form.initial["arrival_push"] is True and form.initial["arrival_email"] is False
    html = client.get(SETTINGS_URL).content.decode()
    assert 'name="arrival__push"' in html and "data-manager-alerts" not in html

    assert client.post(SETTINGS_URL, {**UNCHANGED, "arrival__email": "on"}).status_code == 302
    assert NotificationPreference.objects.get(user=world.alice).channels_for("arrival") == {"email"}
    form = client.get("/passes/new/").context["form"]
    assert form.initial["arrival_push"] is False and form.initial["arrival_email"] is True
    assert f'href="{SETTINGS_URL}"' in client.get("/passes/new/").content.decode()


def test_a_manager_chooses_alerts_for_their_own_buildings_only(world, client_for):
    client = client_for(world.manager)
    html = client.get(SETTINGS_URL).content.decode()
    assert 'id="building-alerts"' in html
    assert f'data-alert-building="{world.building_a.pk}"' in html
    assert f'data-alert-building="{world.building_b.pk}"' not in html
    assert 'name="arrival__push"' not in html  # not a resident

    posted = {
        **UNCHANGED,
        f"alert-{world.building_a.pk}-{RELEASE}": "on",  # on (default off); refused: unticked, so off
        f"alert-{world.building_b.pk}-{RELEASE}": "on",  # another building's box: ignored
    }
    assert client.post(SETTINGS_URL, posted).status_code == 302
    chosen = alert_choices(world.manager, [world.building_a])
    assert chosen[(world.building_a.pk, RELEASE)] is True and chosen[(world.building_a.pk, REFUSED)] is False
    assert not AlertChoice.objects.filter(building=world.building_b).exists()
    html = client.get(SETTINGS_URL).content.decode()
    assert f'id="alert-{world.building_a.pk}-{RELEASE}" checked' in html
    assert f'id="alert-{world.building_a.pk}-{REFUSED}" checked' not in html


def test_a_bad_time_saves_no_alert_choice_and_shows_the_boxes_as_posted(world, client_for):
    client = client_for(world.manager)
    posted = {**UNCHANGED, "quiet_start": "25:99", f"alert-{world.building_a.pk}-{RELEASE}": "on"}
    response = client.post(SETTINGS_URL, posted)
    assert response.status_code == 200 and "Enter a valid time" in response.content.decode()
    assert f'id="alert-{world.building_a.pk}-{RELEASE}" checked' in response.content.decode()
    assert not AlertChoice.objects.exists() and not NotificationPreference.objects.exists()


def test_residents_and_staff_see_no_incidents_and_cannot_set_manager_alerts(world, client_for):
    AlertIncident.objects.create(
        building=world.building_a,
        category=REFUSED,
        subject="door:1",
        title="5 refused credentials at A Front Door",
        last_seen_at=timezone.now(),
    )
    assert "refused credentials at" in client_for(world.manager).get(SETTINGS_URL).content.decode()
    for persona in (world.alice, world.bob, world.charlie, world.staff):
        client = client_for(persona)
        html = client.get(SETTINGS_URL).content.decode()
        assert "refused credentials at" not in html and "data-manager-alerts" not in html
        client.post(SETTINGS_URL, {**UNCHANGED, f"alert-{world.building_a.pk}-{RELEASE}": "on"})
    assert not AlertChoice.objects.exists()


def test_only_the_host_switches_a_passs_arrivals(world, client_for, alices_pass):
    url = f"/passes/{alices_pass.pk}/arrivals/"
    for persona in (world.bob, world.charlie, world.staff, world.manager):
        assert client_for(persona).post(url, {"arrival_email": "on"}).status_code == 404
    alices_pass.refresh_from_db()
    assert not alices_pass.tells_arrivals

    client = client_for(world.alice)
    assert "data-pass-arrivals" in client.get(f"/passes/{alices_pass.pk}/").content.decode()
    assert client.post(url, {"arrival_email": "on"}).status_code == 302
    assert Pass.objects.filter(pk=alices_pass.pk, arrival_push=False, arrival_email=True).exists()
    # the manager sees the pass, but not the host's switch
    assert "data-pass-arrivals" not in client_for(world.manager).get(f"/passes/{alices_pass.pk}/").content.decode()


def test_the_switch_and_the_settings_page_need_the_csrf_token(world, alices_pass):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.manager)
    posted = {**UNCHANGED, f"alert-{world.building_a.pk}-{RELEASE}": "on"}
    assert client.post(SETTINGS_URL, posted).status_code == 403
    client.force_login(world.alice)
    assert client.post(f"/passes/{alices_pass.pk}/arrivals/", {"arrival_push": "on"}).status_code == 403
    assert client.post(SETTINGS_URL, {**UNCHANGED, "arrival__email": "on"}).status_code == 403
    assert not AlertChoice.objects.exists() and not NotificationPreference.objects.exists()
