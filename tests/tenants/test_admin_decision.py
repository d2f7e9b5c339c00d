"""Telling a building admin from a tenant without a documented signal: 401, 403 and 404 alike say "not an
admin here", never "re-link"; the pages say what was decided.

ButterflyMX's document has no role or "who am I" operation. The portal reads a building's webhook list
(the building admin's, per the webhooks guide; the document declares only 200 and 401 for it), so every
refusal a server might give, 401, 403 or 404, must lead to the same decision.
"""

from __future__ import annotations

import pytest

from portal.butterflymx import BmxClient
from portal.butterflymx.errors import TokenRefused
from tenants.models import BmxLink, Building, RosterSync
from tenants.roster import roster_sync_run
from tenants.services import NotABuildingAdmin, buildings_administered
from tests import factories as f

from .helpers import callback_path, link_by_password, sandbox_sign_in, start_link

CRIMSON, PACIFIC = 11743, 11744


@pytest.mark.parametrize("status", [401, 403, 404])
def test_each_refusal_of_the_admin_read_means_not_an_admin(sandbox, status):
    sandbox.fault(f"/v4/buildings/{PACIFIC}/integrations", "GET", status=status)
    client = BmxClient(sandbox.password_token("admin@sandbox.test"), base_url=sandbox.url)

    assert client.building_admin_answer(CRIMSON) == 200
    assert client.building_admin_answer(PACIFIC) == status


def test_a_tenant_account_is_refused_the_admin_read(sandbox):
    client = BmxClient(sandbox.password_token("resident@sandbox.test"), base_url=sandbox.url)

    assert client.building_admin_answer(CRIMSON) in (401, 403, 404)
    assert not client.is_building_admin(CRIMSON)


def test_a_refused_token_refresh_is_a_dead_link_not_a_tenant(sandbox):
    token = sandbox.password_token("admin@sandbox.test")

    def provider(force_refresh: bool) -> str:
        if force_refresh:  # what tenants.services.link_access_token raises when the refresh is refused
            raise TokenRefused(status=401, code="needs_relink", message="re-link required")
        return token

    sandbox.fault(f"/v4/buildings/{CRIMSON}/integrations", "GET", status=401)

    with pytest.raises(TokenRefused):
        BmxClient(provider, base_url=sandbox.url).building_admin_answer(CRIMSON)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [401, 403, 404])
def test_linking_an_account_refused_everywhere_says_why_and_links_nothing(sandbox, client, status):
    person = f.UserFactory(email="ada@example.test")
    client.defaults["SERVER_NAME"] = "127.0.0.1"
    client.force_login(person)
    sandbox.fault("/v4/buildings/*/integrations", "GET", status=status)

    location = sandbox_sign_in(start_link(client, "building_admin"), "admin@sandbox.test")
    page = client.get(callback_path(location), follow=True).content.decode()

    assert "does not administer any building" in page
    assert f"Crimson Tower: HTTP {status}" in page and "treats it as a tenant account" in page
    assert not BmxLink.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_a_401_to_one_buildings_admin_read_skips_that_building_and_keeps_the_link(sandbox):
    link = link_by_password(f.UserFactory(), "admin@sandbox.test", BmxLink.Kind.BUILDING_ADMIN, sync=False)
    sandbox.fault(f"/v4/buildings/{PACIFIC}/integrations", "GET", status=401)

    sync = roster_sync_run(sync_id=RosterSync.objects.create(link=link).pk)

    link.refresh_from_db()
    assert sync.status == "done", sync.error
    assert link.status == BmxLink.Status.ACTIVE  # not "needs re-linking"
    assert Building.objects.filter(bmx_id=CRIMSON, admin_link=link).exists()
    assert not Building.objects.filter(bmx_id=PACIFIC).exists()
    # the building refused is counted, and the sync status shows it
    assert sync.counters["buildings_not_administered"] == 1
    assert ("buildings not administered", 1) in sync.counter_items


def test_the_decision_lists_managed_and_refused_buildings(sandbox):
    sandbox.fault(f"/v4/buildings/{PACIFIC}/integrations", "GET", status=404)
    client = BmxClient(sandbox.password_token("admin@sandbox.test"), base_url=sandbox.url)

    decision = buildings_administered(client=client)

    assert [b["id"] for b in decision.managed] == [CRIMSON]
    assert [(b["id"], status) for b, status in decision.refused] == [(PACIFIC, 404)]
    assert "HTTP 404" in NotABuildingAdmin([("Pacific", 404)]).explanation


def test_connecting_stops_probing_at_the_first_administered_building(sandbox):
    # Pacific would be refused if it were probed: with enough=1 it is not, the roster sync probes it later
    sandbox.fault(f"/v4/buildings/{PACIFIC}/integrations", "GET", status=404)
    client = BmxClient(sandbox.password_token("admin@sandbox.test"), base_url=sandbox.url)

    decision = buildings_administered(client=client, enough=1)

    assert [b["id"] for b in decision.managed] == [CRIMSON]
    assert decision.refused == []
