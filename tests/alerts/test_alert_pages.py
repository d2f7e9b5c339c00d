"""The Alerts page and the pass's arrival switch: each person's own choices, within their scope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from passes.models import Pass
from portal.alerts.categories import REFUSED, RELEASE
from portal.alerts.models import AlertChoice, AlertIncident, ArrivalDefault
from portal.alerts.selectors import alert_choices
from tests.passes.conftest import make_pass


@pytest.fixture
def alices_pass(world):
    return make_pass(world.alice.residencies.get(), name="Dog walker")


def test_a_resident_sets_the_default_and_the_pass_form_starts_with_it(world, client_for):
    client = client_for(world.alice)
    page = client.get("/alerts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-arrival-default" in html and "data-manager-alerts" not in html

    assert client.post("/alerts/", {"section": "arrivals", "push": "on"}).status_code == 302
    assert ArrivalDefault.objects.filter(user=world.alice, push=True, email=False).exists()
    form = client.get("/passes/new/").context["form"]
    assert form.initial["arrival_push"] is True and form.initial["arrival_email"] is False


def test_a_manager_chooses_alerts_for_their_own_buildings_only(world, client_for):
    client = client_for(world.manager)
    html = client.get("/alerts/").content.decode()
    assert f'data-alert-building="{world.building_a.pk}"' in html
    assert f'data-alert-building="{world.building_b.pk}"' not in html
    assert "data-arrival-default" not in html  # not a resident

    posted = {
        "section": "alerts",
        f"alert-{world.building_a.pk}-{RELEASE}": "on",  # on (default off); refused: unticked, so off
        f"alert-{world.building_b.pk}-{RELEASE}": "on",  # another building's box: ignored
    }
    assert client.post("/alerts/", posted).status_code == 302
    chosen = alert_choices(world.manager, [world.building_a])
    assert chosen[(world.building_a.pk, RELEASE)] is True and chosen[(world.building_a.pk, REFUSED)] is False
    assert not AlertChoice.objects.filter(building=world.building_b).exists()


def test_residents_and_staff_see_no_incidents_and_cannot_set_manager_alerts(world, client_for):
    AlertIncident.objects.create(
        building=world.building_a,
        category=REFUSED,
        subject="door:1",
        title="5 refused credentials at A Front Door",
        last_seen_at=timezone.now(),
    )
    assert "refused credentials" in client_for(world.manager).get("/alerts/").content.decode()
    for persona in (world.alice, world.bob, world.charlie, world.staff):
        client = client_for(persona)
        assert "refused credentials" not in client.get("/alerts/").content.decode()
        client.post("/alerts/", {"section": "alerts", f"alert-{world.building_a.pk}-{RELEASE}": "on"})
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


def test_the_switch_and_the_alerts_page_need_the_csrf_token(world, alices_pass):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    assert client.post(f"/passes/{alices_pass.pk}/arrivals/", {"arrival_push": "on"}).status_code == 403
    assert client.post("/alerts/", {"section": "arrivals", "push": "on"}).status_code == 403
    assert not ArrivalDefault.objects.exists()
