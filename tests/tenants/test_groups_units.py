"""Managers add, rename and remove units, and put tenants and units in and out of access groups, at
ButterflyMX (the sandbox), from the portal; ButterflyMX's state is read back through the sandbox after
every step, and the portal's copies (units, residents' doors) follow at once.

Crimson Tower (sandbox seed): Rosa (tenant 129201, unit 4B) is in "Default" and "Rooftop access"; Nina
(129205, 4C) only in "Default". "Rooftop access" (7702) opens the Rooftop (3904); Pacific Lofts' "Bike
room" (7712) is the same admin's, in another building.
"""

from __future__ import annotations

import html

import pytest
from django.test import Client

from passes.forms import PassForm
from tenants.models import Residency, RosterSync, Unit
from tenants.roster import roster_sync_run
from tests import factories as f
from tests.bmx_fixtures import NINA_DOORS, make_bmx_world

pytestmark = pytest.mark.django_db

CRIMSON = 11743
ROOFTOP_GROUP, ROOFTOP, BIKE_ROOM_GROUP = 7702, 3904, 7712
ROSA, NINA, PACIFIC_TENANT = 129201, 129205, 129203
UNIT_4B, UNIT_4C = 101308, 101309


@pytest.fixture
def bmx(sandbox):
    world = make_bmx_world()
    sync = roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    assert sync.status == "done", sync.error
    return world


@pytest.fixture
def manager(bmx, client):
    client.force_login(bmx.manager)
    return client


def units_url(bmx) -> str:
    return f"/link/buildings/{bmx.crimson.pk}/units/"


def group_url(bmx, group_id: int) -> str:
    return f"/link/buildings/{bmx.crimson.pk}/access-groups/{group_id}/"


def bmx_units(sandbox) -> dict[int, dict]:
    return {u["id"]: u for u in sandbox.state()["units"] if u["building_id"] == CRIMSON}


def bmx_group(sandbox, group_id: int) -> dict:
    return next(g for g in sandbox.state()["access_groups"] if g["id"] == group_id)


def page_text(response) -> str:
    """The page as read (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


def member(kind: str, action: str, bmx_id: int) -> dict:
    return {"kind": kind, "action": action, "member": bmx_id}


# --- Units -------------------------------------------------------------------------------------------


def test_a_manager_adds_renames_and_removes_a_unit_and_the_mirror_follows_each_step(bmx, sandbox, manager):
    before = set(bmx_units(sandbox))

    answer = manager.post(units_url(bmx), {"label": "6A", "floor": "6"}, follow=True)

    assert "Unit 6A added at ButterflyMX." in page_text(answer)
    (new_id,) = set(bmx_units(sandbox)) - before
    assert (bmx_units(sandbox)[new_id]["label"], bmx_units(sandbox)[new_id]["floor"]) == ("6A", "6")
    unit = Unit.objects.get(building=bmx.crimson, bmx_id=new_id)
    assert (unit.label, unit.floor, unit.is_active) == ("6A", "6", True)
    assert 'data-unit="6A"' in page_text(answer)

    answer = manager.post(f"{units_url(bmx)}{unit.pk}/change/", {"label": "6B", "floor": "6"}, follow=True)

    assert "Unit 6B saved at ButterflyMX." in page_text(answer)
    assert bmx_units(sandbox)[new_id]["label"] == "6B"
    unit.refresh_from_db()
    assert unit.label == "6B"

    answer = manager.post(f"{units_url(bmx)}{unit.pk}/remove/", follow=True)

    assert "Unit 6B removed at ButterflyMX." in page_text(answer)
    assert new_id not in bmx_units(sandbox)
    unit.refresh_from_db()
    assert unit.is_active is False  # kept, inactive, like the roster sync keeps what disappears
    assert 'data-unit="6B"' not in page_text(answer)
    # the next roster sync agrees with what the portal already shows
    sync = roster_sync_run(sync_id=RosterSync.objects.create(link=bmx.crimson.admin_link).pk)
    assert not {k: v for k, v in sync.counters.items() if k.startswith("units_")}, sync.counters


def test_a_label_the_building_already_has_is_refused_and_nothing_changes(bmx, sandbox, manager):
    before = bmx_units(sandbox)
    count = Unit.objects.count()

    answer = manager.post(units_url(bmx), {"label": "4b", "floor": "4"})

    assert answer.status_code == 400
    assert "Another unit of this building already has that label" in page_text(answer)
    assert bmx_units(sandbox) == before and Unit.objects.count() == count


def test_the_form_asks_for_a_label_and_a_floor_before_calling_butterflymx(bmx, sandbox, manager):
    before = bmx_units(sandbox)

    answer = manager.post(units_url(bmx), {"label": " ", "floor": ""})

    assert answer.status_code == 400 and page_text(answer).count("This field is required.") == 2
    assert bmx_units(sandbox) == before


def test_saving_a_unit_unchanged_sends_nothing(bmx, sandbox, manager):
    unit_4c = Unit.objects.get(building=bmx.crimson, bmx_id=UNIT_4C)
    before = bmx_units(sandbox)[UNIT_4C]

    answer = manager.post(f"{units_url(bmx)}{unit_4c.pk}/change/", {"label": "4C", "floor": "4"}, follow=True)

    assert "already has that label and floor: nothing to change" in page_text(answer)
    assert bmx_units(sandbox)[UNIT_4C] == before  # updated_at too: no PUT was sent


def test_a_unit_where_someone_lives_is_not_removed(bmx, sandbox, manager):
    unit_4b = Unit.objects.get(building=bmx.crimson, bmx_id=UNIT_4B)

    answer = manager.post(f"{units_url(bmx)}{unit_4b.pk}/remove/", follow=True)

    text = page_text(answer)
    assert "Unit 4B was not removed: ButterflyMX still lists 1 resident living there (Rosa Resident)" in text
    assert "Move them out first" in text
    assert UNIT_4B in bmx_units(sandbox)
    unit_4b.refresh_from_db()
    assert unit_4b.is_active


def test_a_unit_whose_residents_moved_out_can_be_removed(bmx, sandbox, manager):
    token = sandbox.password_token("admin@sandbox.test")
    assert sandbox.api("DELETE", f"/v4/tenants/{NINA}", token=token).status_code == 204  # Nina moved out
    unit_4c = Unit.objects.get(building=bmx.crimson, bmx_id=UNIT_4C)

    manager.post(f"{units_url(bmx)}{unit_4c.pk}/remove/")

    assert UNIT_4C not in bmx_units(sandbox)
    unit_4c.refresh_from_db()
    assert not unit_4c.is_active


def test_when_butterflymx_fails_the_portal_keeps_its_units_as_they_were(bmx, sandbox, manager):
    sandbox.fault(f"/v4/buildings/{CRIMSON}/units", "POST", status=500, count=1)
    count = Unit.objects.count()

    answer = manager.post(units_url(bmx), {"label": "7A", "floor": "7"})

    assert answer.status_code == 400 and "Nothing was changed" in page_text(answer)
    assert Unit.objects.count() == count
    assert "7A" not in {u["label"] for u in bmx_units(sandbox).values()}


def test_a_manager_without_a_working_admin_link_is_told_to_connect_first(bmx, sandbox, manager):
    bmx.crimson.admin_link.status = "needs_relink"
    bmx.crimson.admin_link.save(update_fields=["status"])
    before = bmx_units(sandbox)

    answer = manager.post(units_url(bmx), {"label": "8A", "floor": "8"})

    assert answer.status_code == 400 and "no working ButterflyMX building-admin link" in page_text(answer)
    assert bmx_units(sandbox) == before


def test_changes_are_limited_per_manager(bmx, sandbox, manager, settings):
    settings.SETUP_CHANGES_LIMIT = 1
    manager.post(units_url(bmx), {"label": "9A", "floor": "9"})
    before = bmx_units(sandbox)

    answer = manager.post(units_url(bmx), {"label": "9B", "floor": "9"})

    assert answer.status_code == 400 and "You made many changes in a short time" in page_text(answer)
    assert bmx_units(sandbox) == before


# --- Access groups ---------------------------------------------------------------------------------------


def test_the_groups_page_lists_the_buildings_groups_and_says_what_the_api_cannot_do(bmx, sandbox, manager):
    text = page_text(manager.get(f"/link/buildings/{bmx.crimson.pk}/access-groups/"))

    for name in ("Default", "Rooftop access", "Unit 4B"):
        assert f">{name}</a>" in text
    assert "Bike room" not in text  # Pacific Lofts' group, same admin account
    assert "no way to create, rename or delete a group" in text
    assert "Nor does it say which doors a group opens" in text


def pass_may_open_rooftop(bmx) -> bool:
    """Whether Nina's pass form accepts the Rooftop: a resident's pass opens only their own doors."""
    residency = bmx.nina_residency
    data = {"residency": residency.pk, "kind": "one_time", "name": "Gym buddy", "doors": [bmx.doors[ROOFTOP].pk]}
    form = PassForm(data, residencies=Residency.objects.filter(pk=residency.pk), actor=bmx.nina)
    form.is_valid()
    return "Choose doors the resident may use." not in form.errors.get("doors", [])


def test_putting_a_tenant_in_an_amenity_group_gives_them_its_doors_and_taking_them_out_takes_them(
    bmx, sandbox, manager
):
    assert NINA not in bmx_group(sandbox, ROOFTOP_GROUP)["tenants_ids"]
    nina = Client()
    nina.force_login(bmx.nina)
    assert "Rooftop" not in page_text(nina.get("/doors/"))
    assert not pass_may_open_rooftop(bmx)

    answer = manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("tenants", "add", NINA), follow=True)

    text = page_text(answer)
    assert "Nina Neighbor added at ButterflyMX." in text
    assert "The doors of 1 resident with a portal account were updated." in text
    assert NINA in bmx_group(sandbox, ROOFTOP_GROUP)["tenants_ids"]
    doors = sorted(bmx.nina_residency.doors.values_list("bmx_id", flat=True))
    assert doors == sorted([*NINA_DOORS, ROOFTOP])
    assert "Rooftop" in text.split('data-tenant="129205"')[1].split("</li>")[0]  # her doors, next to her name
    # My doors, and the doors her passes may open (the pass form accepts only the resident's own doors,
    # residency.doors), follow at once
    assert "Rooftop" in page_text(nina.get("/doors/"))
    assert pass_may_open_rooftop(bmx)

    answer = manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("tenants", "remove", NINA), follow=True)

    assert "Nina Neighbor removed at ButterflyMX." in page_text(answer)
    assert NINA not in bmx_group(sandbox, ROOFTOP_GROUP)["tenants_ids"]
    assert sorted(bmx.nina_residency.doors.values_list("bmx_id", flat=True)) == NINA_DOORS
    assert "Rooftop" not in page_text(nina.get("/doors/"))
    assert not pass_may_open_rooftop(bmx)


def test_putting_a_unit_in_a_group_opens_its_doors_to_everyone_living_there(bmx, sandbox, manager):
    manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("units", "add", UNIT_4C))

    assert bmx_group(sandbox, ROOFTOP_GROUP)["units_ids"] == [UNIT_4C]
    assert ROOFTOP in set(bmx.nina_residency.doors.values_list("bmx_id", flat=True))
    text = page_text(manager.get(group_url(bmx, ROOFTOP_GROUP)))
    assert 'data-unit="101309"' in text

    manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("units", "remove", UNIT_4C))

    assert bmx_group(sandbox, ROOFTOP_GROUP)["units_ids"] == []
    assert ROOFTOP not in set(bmx.nina_residency.doors.values_list("bmx_id", flat=True))


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (member("tenants", "add", ROSA), "Rosa Resident is already in Rooftop access."),
        (member("tenants", "remove", NINA), "Nina Neighbor is not in Rooftop access."),
        (member("tenants", "add", PACIFIC_TENANT), "Choose one of this building's tenants or units."),
        (member("units", "add", 424242), "Choose one of this building's tenants or units."),
        ({"kind": "tenants", "action": "add", "member": "x"}, "Choose a tenant or a unit."),
        ({"kind": "pets", "action": "add", "member": NINA}, "Select a valid choice."),
    ],
)
def test_a_change_the_rules_refuse_is_explained_and_nothing_is_sent(bmx, sandbox, manager, change, refusal):
    before = bmx_group(sandbox, ROOFTOP_GROUP)

    answer = manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", change, follow=True)

    assert answer.status_code == 200 and refusal in page_text(answer)
    assert bmx_group(sandbox, ROOFTOP_GROUP) == before


def test_another_buildings_group_and_an_unknown_group_are_404s(bmx, sandbox, manager):
    for group_id in (BIKE_ROOM_GROUP, 999999, 2**63):
        assert manager.get(group_url(bmx, group_id)).status_code == 404, group_id
    answer = manager.post(f"{group_url(bmx, BIKE_ROOM_GROUP)}members/", member("tenants", "add", NINA))
    assert answer.status_code == 404
    assert NINA not in bmx_group(sandbox, BIKE_ROOM_GROUP)["tenants_ids"]


def test_only_the_buildings_managers_reach_these_pages_and_changes_need_csrf(bmx, sandbox):
    desk = f.UserFactory()
    bmx.crimson.memberships.create(user=desk, role="staff")
    for person in (desk, bmx.nina, bmx.other_manager):
        browser = Client()
        browser.force_login(person)
        for url in (units_url(bmx), group_url(bmx, ROOFTOP_GROUP), f"/link/buildings/{bmx.crimson.pk}/access-groups/"):
            assert browser.get(url).status_code == 404, (person, url)
        assert (
            browser.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("tenants", "add", NINA)).status_code == 404
        )
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(bmx.manager)
    assert strict.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("tenants", "add", NINA)).status_code == 403
    assert strict.post(units_url(bmx), {"label": "6C", "floor": "6"}).status_code == 403
    assert NINA not in bmx_group(sandbox, ROOFTOP_GROUP)["tenants_ids"]


def test_without_a_working_admin_link_the_groups_page_says_why_and_changes_go_nowhere(bmx, sandbox, manager):
    bmx.crimson.admin_link.status = "needs_relink"
    bmx.crimson.admin_link.save(update_fields=["status"])
    groups = f"/link/buildings/{bmx.crimson.pk}/access-groups/"

    answer = manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("tenants", "add", NINA), follow=True)

    assert answer.redirect_chain[-1][0] == groups
    assert "no working ButterflyMX building-admin link" in page_text(answer)
    assert manager.get(group_url(bmx, ROOFTOP_GROUP)).status_code == 404
    assert NINA not in bmx_group(sandbox, ROOFTOP_GROUP)["tenants_ids"]


def test_managers_need_two_factor_first(bmx, sandbox, manager, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    answer = manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("tenants", "add", NINA))

    assert (answer.status_code, answer.url) == (302, "/accounts/2fa/totp/activate/")
    assert NINA not in bmx_group(sandbox, ROOFTOP_GROUP)["tenants_ids"]


def test_each_change_is_audited(bmx, sandbox, manager, caplog):
    caplog.set_level("INFO", logger="tenants.groups_units.services")

    manager.post(f"{group_url(bmx, ROOFTOP_GROUP)}members/", member("tenants", "add", NINA))
    manager.post(units_url(bmx), {"label": "6D", "floor": "6"})

    lines = [r.getMessage() for r in caplog.records if r.name == "tenants.groups_units.services"]
    who = f"by user={bmx.manager.pk} building={bmx.crimson.pk}"
    assert f"setup group_add {who} subject=tenant:{NINA} group={ROOFTOP_GROUP}" in lines
    assert any(line.startswith(f"setup unit_create {who} subject=unit:") and "label=6D" in line for line in lines)
