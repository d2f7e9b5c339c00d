"""Access tools (PINs, fobs) at the sandbox: a manager lists, adds and revokes them; a resident revokes
their own. After each step ButterflyMX's state is read back through the sandbox, and each change is
audited. A PIN's code never reaches a manager's page; a resident never acts on another tenant's tool."""

from __future__ import annotations

import re

import pytest

from tenants.models import AccessToolChange, TenantRecord
from tests.dashboard.conftest import FRONT_DOOR, build_crimson

pytestmark = pytest.mark.django_db

# The sandbox's seed (sandbox/seed.py ACCESS_TOOLS): Crimson Tower's tools, and one of Pacific Lofts.
ROSA_PIN, ROSA_PROTECTED_FOB, TOMAS_PIN, NINA_PIN = 843201, 843207, 843202, 843204
DUNCAN_FOB, ALIA_VEHICLE, PACIFIC_PIN = 843205, 843206, 843203
CRIMSON_CODES = ("483920", "572913", "4821", "25c064d101", "123ABCD", "E66CBDF31E")


@pytest.fixture
def crimson(sandbox):
    return build_crimson(sandbox)


def page_url(crimson, query: str = "") -> str:
    return f"/link/buildings/{crimson.building.pk}/access-tools/{query}"


def revoke_url(crimson, tool_id: int) -> str:
    return f"/link/buildings/{crimson.building.pk}/access-tools/{tool_id}/revoke/"


def tools_at(sandbox) -> dict[int, dict]:
    return {t["id"]: t for t in sandbox.state()["access_tools"]}


def listed(response) -> set[int]:
    return {int(n) for n in re.findall(r'data-tool="(\d+)"', response.content.decode())}


def test_a_manager_sees_every_pin_and_fob_of_the_building_but_no_pin_code(crimson, client):
    client.force_login(crimson.manager)

    page = client.get(page_url(crimson))

    text = page.content.decode()
    assert page.status_code == 200
    assert listed(page) == {ROSA_PIN, TOMAS_PIN, NINA_PIN, DUNCAN_FOB, ALIA_VEHICLE, ROSA_PROTECTED_FOB}
    assert PACIFIC_PIN not in listed(page)  # another building of the same admin account
    for code in CRIMSON_CODES:  # no code in full: PINs not at all, fobs and tags by their last characters
        assert code not in text, code
    assert "••••••" in text and "••••d101" in text and "••••ABCD" in text
    assert "Rosa Resident" in text and "Duncan Idaho" in text


def test_the_documented_filters_narrow_the_list_to_a_tenant_or_a_kind(crimson, client):
    client.force_login(crimson.manager)

    rosas = client.get(page_url(crimson, "?tenant=129201"))
    fobs = client.get(page_url(crimson, "?type=rfid_tag"))
    nonsense = client.get(page_url(crimson, "?tenant=999999999999999999999&type=%00"))

    assert listed(rosas) == {ROSA_PIN, ROSA_PROTECTED_FOB}
    assert listed(fobs) == {DUNCAN_FOB, ROSA_PROTECTED_FOB}
    assert nonsense.status_code == 200 and len(listed(nonsense)) == 6  # an unknown filter is no filter


def test_a_manager_revokes_a_lost_fob_it_stops_opening_the_door_and_the_change_is_audited(crimson, client, sandbox):
    assert sandbox.use_key(access_point_id=FRONT_DOOR, rfid="25c064d101")["granted"]
    client.force_login(crimson.manager)

    answer = client.post(revoke_url(crimson, DUNCAN_FOB), follow=True)

    assert "revoked: it no longer opens any door" in answer.content.decode()
    assert DUNCAN_FOB not in tools_at(sandbox)
    assert not sandbox.use_key(access_point_id=FRONT_DOOR, rfid="25c064d101")["granted"]
    change = AccessToolChange.objects.get()
    assert (change.action, change.status, change.actor, change.actor_role) == (
        "revoked",
        "done",
        crimson.manager,
        "manager",
    )
    assert (change.bmx_tool_id, change.bmx_tenant_id, change.tool_type) == (DUNCAN_FOB, 129207, "rfid_tag")
    assert change.code_hint == "d101" and "Duncan Idaho" in change.tenant_label
    assert "Duncan Idaho" in answer.content.decode() and "••••d101" in answer.content.decode()  # the audit list


def test_a_manager_revokes_a_compromised_pin(crimson, client, sandbox):
    client.force_login(crimson.manager)

    client.post(revoke_url(crimson, TOMAS_PIN))

    assert TOMAS_PIN not in tools_at(sandbox)
    assert not sandbox.use_key(access_point_id=FRONT_DOOR, pin="572913")["granted"]
    change = AccessToolChange.objects.get()
    assert change.code_hint == "" and "572913" not in str(vars(change))  # no part of a PIN is kept


def test_a_tool_butterflymx_refuses_to_delete_stays_and_the_refusal_is_shown_and_audited(crimson, client, sandbox):
    client.force_login(crimson.manager)

    answer = client.post(revoke_url(crimson, ROSA_PROTECTED_FOB), follow=True)

    assert "ButterflyMX refused to revoke" in answer.content.decode()
    assert ROSA_PROTECTED_FOB in tools_at(sandbox)
    assert AccessToolChange.objects.get().status == "refused"


def test_a_revoke_that_fails_changes_nothing_and_says_so(crimson, client, sandbox):
    sandbox.fault(f"/v4/access_tools/{DUNCAN_FOB}", method="DELETE", status=503)
    client.force_login(crimson.manager)

    answer = client.post(revoke_url(crimson, DUNCAN_FOB), follow=True)

    assert "was not revoked" in answer.content.decode()
    assert DUNCAN_FOB in tools_at(sandbox)
    assert AccessToolChange.objects.get().status == "failed"


def test_another_buildings_tool_and_a_residents_attempts_are_404s_and_change_nothing(crimson, client, sandbox):
    before = tools_at(sandbox)
    client.force_login(crimson.manager)
    elsewhere = client.post(revoke_url(crimson, PACIFIC_PIN))
    client.force_login(crimson.rosa)
    page = client.get(page_url(crimson))
    revoke = client.post(revoke_url(crimson, ROSA_PIN))
    add = client.post(f"/link/buildings/{crimson.building.pk}/access-tools/fobs/", {"identifier": "ab12"})
    client.force_login(crimson.staff)
    staff_page = client.get(page_url(crimson))

    assert [elsewhere.status_code, page.status_code, revoke.status_code, add.status_code] == [404, 404, 404, 404]
    assert staff_page.status_code == 404  # managers only
    assert tools_at(sandbox) == before
    assert not AccessToolChange.objects.exists()


def test_a_manager_adds_a_fob_that_opens_the_tenants_doors(crimson, client, sandbox):
    rosa = TenantRecord.objects.get(building=crimson.building, bmx_id=129201)
    client.force_login(crimson.manager)

    answer = client.post(
        f"/link/buildings/{crimson.building.pk}/access-tools/fobs/",
        {"tenant": rosa.pk, "identifier": " 0a:1b:2c:3d:4e "},
        follow=True,
    )

    made = [t for t in tools_at(sandbox).values() if t["code"].lower() == "0a1b2c3d4e"]
    assert len(made) == 1 and made[0]["tenant_id"] == 129201 and made[0]["type"] == "rfid_tag"
    assert sandbox.use_key(access_point_id=FRONT_DOOR, rfid="0a1b2c3d4e")["granted"]
    assert "Fob ••••3d4e added for Rosa Resident" in answer.content.decode()
    change = AccessToolChange.objects.get()
    assert (change.action, change.status, change.bmx_tool_id) == ("added", "done", made[0]["id"])
    assert made[0]["id"] in listed(answer)  # back on the list, of Rosa (the page keeps her filter)


def test_a_bad_fob_identifier_is_a_field_error_and_nothing_is_sent(crimson, client, sandbox):
    rosa = TenantRecord.objects.get(building=crimson.building, bmx_id=129201)
    before = tools_at(sandbox)
    client.force_login(crimson.manager)

    bad = client.post(
        f"/link/buildings/{crimson.building.pk}/access-tools/fobs/", {"tenant": rosa.pk, "identifier": "fob#12"}
    )
    blank = client.post(
        f"/link/buildings/{crimson.building.pk}/access-tools/fobs/", {"tenant": rosa.pk, "identifier": " "}
    )

    assert bad.status_code == 400 and "only the digits 0-9 and the letters a-f" in bad.content.decode()
    assert blank.status_code == 400
    assert tools_at(sandbox) == before and not AccessToolChange.objects.exists()


def test_changes_are_limited_per_person(crimson, client, sandbox, settings):
    settings.ACCESS_TOOL_CHANGE_LIMIT = 1
    client.force_login(crimson.manager)

    client.post(revoke_url(crimson, DUNCAN_FOB))
    refused = client.post(revoke_url(crimson, TOMAS_PIN), follow=True)

    assert "Too many changes to PINs and fobs" in refused.content.decode()
    assert DUNCAN_FOB not in tools_at(sandbox) and TOMAS_PIN in tools_at(sandbox)
    assert AccessToolChange.objects.count() == 1


def test_the_people_page_links_each_tenant_to_their_pins_and_fobs(crimson, client):
    client.force_login(crimson.manager)

    page = client.get(f"/link/buildings/{crimson.building.pk}/people/").content.decode()

    assert f'href="{page_url(crimson)}?tenant=129201"' in page


# --- A resident's own ---------------------------------------------------------------------------


def test_a_resident_sees_their_own_pin_and_fob_masked_and_nobody_elses(crimson, client):
    client.force_login(crimson.rosa)

    card = client.get("/profile/access-tools/")

    assert listed(card) == {ROSA_PIN, ROSA_PROTECTED_FOB}
    assert "483920" not in card.content.decode() and "E66CBDF31E" not in card.content.decode()
    assert 'hx-get="/profile/access-tools/"' in client.get("/profile/").content.decode()


def test_a_resident_revokes_their_own_pin_and_sets_a_new_one_after(crimson, client, sandbox):
    client.force_login(crimson.rosa)

    answer = client.post(f"/profile/access-tools/{ROSA_PIN}/revoke/", follow=True)

    assert "Your PIN is revoked" in answer.content.decode()
    assert ROSA_PIN not in tools_at(sandbox)
    assert not sandbox.use_key(access_point_id=FRONT_DOOR, pin="483920")["granted"]
    change = AccessToolChange.objects.get()
    assert (change.actor, change.actor_role, change.bmx_tenant_id) == (crimson.rosa, "resident", 129201)
    client.post("/profile/pin/", {"code": "502718"})
    assert [t["code"] for t in tools_at(sandbox).values() if t["tenant_id"] == 129201 and t["type"] == "pin"] == [
        "502718"
    ]
    client.force_login(crimson.manager)  # the manager's audit list shows the resident's own change
    assert "the resident" in client.get(page_url(crimson)).content.decode()


def test_a_resident_cannot_revoke_a_neighbours_pin(crimson, client, sandbox):
    client.force_login(crimson.rosa)

    neighbour = client.post(f"/profile/access-tools/{NINA_PIN}/revoke/")
    huge = client.post("/profile/access-tools/99999999999999999999999/revoke/")

    assert neighbour.status_code == 404 and huge.status_code == 404
    assert NINA_PIN in tools_at(sandbox)
    assert not AccessToolChange.objects.exists()
