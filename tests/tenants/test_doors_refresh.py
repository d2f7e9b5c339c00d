"""A resident's doors follow ButterflyMX: on the roster cycle and on their "Refresh", not only at link time.

The building admin changes Rosa's access at the sandbox with the documented access-group calls, as a
property manager does in ButterflyMX's dashboard.
"""

from __future__ import annotations

import pytest

from tenants.roster import roster_sync_run
from tenants.services import residency_doors_refresh, roster_sync_start
from tests.bmx_fixtures import ROSA_DOORS, make_bmx_world

ROOFTOP_GROUP, ROOFTOP = 7702, 3904
ROSA_TENANT = 129201


@pytest.fixture
def bmx(sandbox, db):
    return make_bmx_world()


@pytest.fixture
def rosa_loses_the_rooftop(sandbox):
    def act():
        token = sandbox.password_token("admin@sandbox.test")
        response = sandbox.api(
            "DELETE",
            f"/v4/access_groups/{ROOFTOP_GROUP}/tenants/bulk_destroy",
            token=token,
            json={"access_group": {"tenant_ids": [ROSA_TENANT]}},
        )
        assert response.status_code == 200, response.text

    return act


def rosas_doors(bmx) -> list[int]:
    return sorted(bmx.rosa_residency.doors.values_list("bmx_id", flat=True))


def test_the_roster_cycle_refreshes_a_residents_doors(bmx, sandbox, rosa_loses_the_rooftop):
    assert rosas_doors(bmx) == ROSA_DOORS
    rosa_loses_the_rooftop()

    sync = roster_sync_start(link=bmx.crimson.admin_link)
    roster_sync_run(sync_id=sync.pk)

    sync.refresh_from_db()
    assert sync.status == "done", sync.error
    assert ROOFTOP not in rosas_doors(bmx)
    assert sync.counters.get("resident_doors_updated") == 1
    # Nina's doors did not change, and a second cycle changes nothing
    assert sorted(bmx.nina_residency.doors.values_list("bmx_id", flat=True)) == [3901, 3902, 3903, 3905]
    assert residency_doors_refresh(link=bmx.rosa_residency.link) == 0


def test_a_residents_refresh_reads_their_doors_now(bmx, sandbox, client, rosa_loses_the_rooftop):
    client.force_login(bmx.rosa)
    assert "Rooftop" in client.get("/doors/").content.decode()
    rosa_loses_the_rooftop()

    response = client.post("/profile/doors/refresh/", {"next": "doors"})

    assert response.status_code == 302 and response["Location"] == "/doors/"
    assert ROOFTOP not in rosas_doors(bmx)
    page = client.get("/doors/").content.decode()
    assert "Your doors are up to date." in page
    assert "Rooftop" not in page


def test_a_door_given_at_butterflymx_appears_after_the_refresh(bmx, sandbox, client):
    bmx.rosa_residency.doors.set([bmx.doors[3901]])  # as if linked before the other doors were given
    client.force_login(bmx.rosa)

    client.post("/profile/doors/refresh/")

    assert rosas_doors(bmx) == ROSA_DOORS


def test_the_refresh_is_rate_limited_per_person(bmx, sandbox, client, settings):
    settings.DOORS_REFRESH_LIMIT = 2
    client.force_login(bmx.rosa)
    for _ in range(2):
        client.post("/profile/doors/refresh/")
    bmx.rosa_residency.doors.set([bmx.doors[3901]])

    response = client.post("/profile/doors/refresh/", follow=True)

    assert "were refreshed a moment ago" in response.content.decode()
    assert rosas_doors(bmx) == [3901]  # nothing was read
    client.force_login(bmx.nina)  # another person has their own allowance
    assert "up to date" in client.post("/profile/doors/refresh/", follow=True).content.decode()


def test_the_refresh_needs_a_post_with_csrf_and_a_link(bmx, sandbox, client):
    from django.test import Client

    client.force_login(bmx.rosa)
    assert client.get("/profile/doors/refresh/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(bmx.rosa)
    assert strict.post("/profile/doors/refresh/").status_code == 403
    client.force_login(bmx.manager)  # no tenant link
    response = client.post("/profile/doors/refresh/", follow=True)
    assert "Link your ButterflyMX account first" in response.content.decode()
