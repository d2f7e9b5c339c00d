"""The sandbox's access groups and units follow ButterflyMX's document (contract §4.2, §4.9), and group
membership decides the doors a tenant's own token lists and may release, as the portal relies on.

Crimson Tower: "Rooftop access" (7702) holds Rosa (129201) and opens the Rooftop (3904); Nina (129205,
unit 4C 101309) is only in "Default". Pacific Lofts' tenant 129203 belongs to another building.
"""

from __future__ import annotations

import pytest

CRIMSON = 11743
ROOFTOP_GROUP, ROOFTOP = 7702, 3904
NINA, PACIFIC_TENANT, UNIT_4C = 129205, 129203, 101309


@pytest.fixture
def admin(sandbox):
    return sandbox.password_token("admin@sandbox.test")


def tenant_doors(sandbox, email: str) -> set[int]:
    token = sandbox.password_token(email)
    answer = sandbox.api("GET", "/v4/access_points", token=token)
    assert answer.status_code == 200, answer.text
    return {d["id"] for d in answer.json()["data"]}


def change(sandbox, token, kind: str, ids: list, add: bool = True, group: int = ROOFTOP_GROUP):
    field = "tenant_ids" if kind == "tenants" else "unit_ids"
    path = f"/v4/access_groups/{group}/{kind}" + ("" if add else "/bulk_destroy")
    return sandbox.api("POST" if add else "DELETE", path, token=token, json={"access_group": {field: ids}})


def group(sandbox, token, group_id: int = ROOFTOP_GROUP) -> dict:
    return sandbox.api("GET", f"/v4/access_groups/{group_id}", token=token).json()["data"]


def test_a_tenant_put_in_a_group_gets_its_doors_and_loses_them_when_taken_out(sandbox, admin):
    assert ROOFTOP not in tenant_doors(sandbox, "neighbor@sandbox.test")

    added = change(sandbox, admin, "tenants", [NINA])

    assert (added.status_code, added.json()) == (200, {"message": "Tenants added successfully"})
    assert NINA in group(sandbox, admin)["tenants_ids"]
    assert ROOFTOP in tenant_doors(sandbox, "neighbor@sandbox.test")

    removed = change(sandbox, admin, "tenants", [NINA], add=False)

    assert (removed.status_code, removed.json()) == (200, {"message": "Tenants removed successfully"})
    assert NINA not in group(sandbox, admin)["tenants_ids"]
    assert ROOFTOP not in tenant_doors(sandbox, "neighbor@sandbox.test")


def test_a_unit_put_in_a_group_gives_its_doors_to_everyone_living_there(sandbox, admin):
    added = change(sandbox, admin, "units", [UNIT_4C])

    assert (added.status_code, added.json()) == (200, {"message": "Units added successfully"})
    assert group(sandbox, admin)["units_ids"] == [UNIT_4C]
    assert ROOFTOP in tenant_doors(sandbox, "neighbor@sandbox.test")
    token = sandbox.password_token("neighbor@sandbox.test")  # and she may release it herself
    release = {"door_release_request": {"tenant_id": NINA, "access_point_id": ROOFTOP}}
    assert sandbox.api("POST", "/v4/door_release_requests", token=token, json=release).status_code == 201

    assert change(sandbox, admin, "units", [UNIT_4C], add=False).json() == {"message": "Units removed successfully"}
    assert ROOFTOP not in tenant_doors(sandbox, "neighbor@sandbox.test")


@pytest.mark.parametrize("kind", ["tenants", "units"])
def test_ids_of_no_tenant_or_unit_of_the_groups_building_are_the_documented_422(sandbox, admin, kind):
    foreign = [PACIFIC_TENANT] if kind == "tenants" else [101321]  # Pacific Lofts' tenant / unit 101
    before = group(sandbox, admin)

    for ids in (foreign, [999999999], []):
        answer = change(sandbox, admin, kind, ids)
        field = "tenant_ids" if kind == "tenants" else "unit_ids"
        label = "tenants" if kind == "tenants" else "units"
        assert answer.status_code == 422, ids
        assert answer.json()["errors"] == [{"field": field, "code": "not_found", "message": f"No valid {label} found"}]
    assert group(sandbox, admin) == before


def test_an_unknown_group_is_a_404_and_a_tenant_cannot_change_membership(sandbox, admin):
    assert change(sandbox, admin, "tenants", [NINA], group=999999999).status_code == 404
    tenant = sandbox.password_token("resident@sandbox.test")  # Rosa sees the group (she is in it) ...
    assert sandbox.api("GET", f"/v4/access_groups/{ROOFTOP_GROUP}", token=tenant).status_code == 200
    assert change(sandbox, tenant, "tenants", [NINA]).status_code == 403  # ... but is no admin
    assert NINA not in group(sandbox, admin)["tenants_ids"]


def test_units_are_added_renamed_and_removed_as_documented(sandbox, admin):
    made = sandbox.api(
        "POST", f"/v4/buildings/{CRIMSON}/units", token=admin, json={"unit": {"label": "C404", "floor": "4"}}
    )
    assert made.status_code == 201
    unit = made.json()["data"]
    assert (unit["label"], unit["floor"], unit["building_id"]) == ("C404", "4", CRIMSON)

    path = f"/v4/buildings/{CRIMSON}/units/{unit['id']}"
    renamed = sandbox.api("PUT", path, token=admin, json={"unit": {"label": "C405"}})
    assert renamed.status_code == 200
    assert (renamed.json()["data"]["label"], renamed.json()["data"]["floor"]) == ("C405", "4")  # only what was sent

    assert sandbox.api("DELETE", path, token=admin).status_code == 204
    assert unit["id"] not in {u["id"] for u in sandbox.state()["units"]}


def test_a_taken_label_and_a_missing_floor_are_refused_and_nothing_is_made(sandbox, admin):
    before = len(sandbox.state()["units"])
    taken = sandbox.api(
        "POST", f"/v4/buildings/{CRIMSON}/units", token=admin, json={"unit": {"label": "4b", "floor": "4"}}
    )
    assert taken.status_code == 422
    assert taken.json()["errors"][0]["field"] == "label"
    no_floor = sandbox.api(
        "POST", f"/v4/buildings/{CRIMSON}/units", token=admin, json={"unit": {"label": "C406"}}, expect_refusal=True
    )
    assert no_floor.status_code == 422
    assert len(sandbox.state()["units"]) == before


def test_a_unit_of_another_building_cannot_be_renamed_or_removed_through_this_one(sandbox, admin):
    path = f"/v4/buildings/{CRIMSON}/units/101321"  # Pacific Lofts' unit 101
    assert sandbox.api("PUT", path, token=admin, json={"unit": {"label": "X"}}).status_code == 404
    assert sandbox.api("DELETE", path, token=admin).status_code == 404
    assert any(u["id"] == 101321 and u["label"] == "101" for u in sandbox.state()["units"])
