"""A portfolio of buildings on the control surface and the command line, paged through the v4 API."""

import json
import subprocess
import sys

import requests

from tests.plugins.sandbox import ROOT


def _all_pages(sandbox, path, token, per=50, params=None):
    ids, page, infos = [], 1, []
    while page:
        response = sandbox.api("GET", path, token, params={**(params or {}), "page": page, "per": per})
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [row["id"] for row in body["data"]]
        infos.append(body["page_info"])
        page = body["page_info"]["next_page"]
    return ids, infos


def test_a_portfolio_is_administered_by_one_account_and_pages_through_v4_buildings(sandbox):
    result = sandbox.portfolio(buildings=120, units=4, doors=2, access_logs=30, calls=5, days=3, seed=7)
    assert result["counts"]["buildings"] == 120 and len(result["building_ids"]) == 120
    assert result["counts"]["access_logs"] == 120 * 30 and result["counts"]["calls"] == 120 * 5
    admin = result["admin"]
    assert admin["email"] == "portfolio-admin@sandbox.test" and admin["building_count"] == 120
    token = sandbox.password_token(admin["email"], admin["password"])

    ids, infos = _all_pages(sandbox, "/v4/buildings", token, per=50)
    assert sorted(ids) == sorted(result["building_ids"]) and len(ids) == len(set(ids))
    assert [i["page_item_count"] for i in infos] == [50, 50, 20]
    assert infos[0]["total_item_count"] == 120 and infos[0]["total_pages"] == 3
    assert infos[-1]["last_page"] is True and infos[-1]["next_page"] is None

    # The demo admin does not see them; the portfolio admin does not see the demo buildings.
    demo_ids, _ = _all_pages(sandbox, "/v4/buildings", sandbox.password_token("admin@sandbox.test"))
    assert sorted(demo_ids) == [11743, 11744]

    building = result["building_ids"][17]
    units, _ = _all_pages(sandbox, "/v4/units", token, params={"q[building_id_eq]": building})
    assert len(units) == 4
    doors = sandbox.api("GET", "/v4/access_points", token, params={"q[building_id_eq]": building}).json()
    assert doors["page_info"]["total_item_count"] == 2
    logs = sandbox.api("GET", f"/v4/buildings/{building}/access_logs", token, params={"per": 100}).json()
    assert logs["page_info"]["total_item_count"] == 30
    assert all(row["unit"] is None or row["unit"] in units for row in logs["data"])
    stamps = [row["logged_at"] for row in logs["data"]]
    assert stamps == sorted(stamps, reverse=True)
    calls = sandbox.api("GET", f"/v4/buildings/{building}/calls", token).json()
    assert calls["page_info"]["total_item_count"] == 5
    state = sandbox.state()
    assert sum(1 for g in state["access_groups"] if g["building_id"] == building) == 2
    assert sum(1 for d in state["devices"] if d["building_id"] == building) == 2


def test_a_large_building_and_the_demo_admin(sandbox):
    result = sandbox.portfolio(
        buildings=2, units=2, access_logs=10, days=1, large_access_logs=5000, admin_email="admin@sandbox.test"
    )
    large = result["large_building_id"]
    assert large == result["building_ids"][-1] and result["admin"]["created"] is False
    token = sandbox.password_token("admin@sandbox.test")
    page = sandbox.api("GET", f"/v4/buildings/{large}/access_logs", token, params={"per": 1}).json()
    assert page["page_info"]["total_item_count"] == 5000
    ids, _ = _all_pages(sandbox, "/v4/buildings", token)
    assert set(ids) == {11743, 11744, *result["building_ids"]}
    sandbox.reset()  # a portfolio lives until the reset
    assert sorted(_all_pages(sandbox, "/v4/buildings", sandbox.password_token("admin@sandbox.test"))[0]) == [
        11743,
        11744,
    ]


def test_bad_portfolio_requests_are_refused_and_write_nothing(sandbox):
    before = len(sandbox.state()["buildings"])
    for body in (
        {"buildings": -1},
        {"buildings": "many"},
        {"buildings": 2, "colour": "red"},
        {"buildings": 0},
        {"buildings": 2, "admin_email": "nobody"},
    ):
        response = requests.post(f"{sandbox.url}/_sandbox/portfolio", json=body, timeout=10)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert len(sandbox.state()["buildings"]) == before


def test_the_command_line_creates_a_portfolio_in_a_running_sandbox(sandbox):
    out = subprocess.run(
        [sys.executable, "-m", "sandbox", "portfolio", "--url", sandbox.url, "--buildings", "3", "--ids"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout)
    assert len(result["building_ids"]) == 3
    token = sandbox.password_token(result["admin"]["email"], result["admin"]["password"])
    ids, _ = _all_pages(sandbox, "/v4/buildings", token)
    assert sorted(ids) == sorted(result["building_ids"])
