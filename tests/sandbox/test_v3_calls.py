"""The sandbox's two v3 routes (contract §7): a person's own calls with their guid and panel, and the
notification that tells the panel a call was handled. Outside the v4 document: not checked, not counted."""

from __future__ import annotations

MAIN_ENTRANCE, ROSA, NINA = 58801, 129201, 129205


def open_door_body(guid, source_id, **extra):
    attributes = {"call_guid": guid, "source_id": source_id, "video": False, "audio": False, **extra}
    return {"data": {"type": "notifications", "attributes": attributes}}


def test_my_calls_lists_the_persons_own_calls_with_guid_and_panel(sandbox):
    mine = sandbox.call(MAIN_ENTRANCE, ROSA)
    sandbox.call(MAIN_ENTRANCE, NINA)

    response = sandbox.api("GET", "/v3/me/calls", sandbox.password_token("resident@sandbox.test"))

    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/vnd.api+json")
    data = response.json()["data"]
    assert [item["id"] for item in data] == [str(mine["id"])]  # not the neighbour's call; the same id as v4
    assert data[0]["attributes"]["guid"] == mine["guid"]
    assert data[0]["relationships"]["panel"]["data"] == {"id": str(MAIN_ENTRANCE), "type": "panels"}
    assert response.json()["links"]["next"] is None


def test_my_calls_needs_a_token(sandbox):
    assert sandbox.api("GET", "/v3/me/calls").status_code == 401


def test_open_door_is_recorded_for_the_callers_own_call(sandbox):
    call = sandbox.call(MAIN_ENTRANCE, ROSA)
    token = sandbox.password_token("resident@sandbox.test")

    response = sandbox.api(
        "POST", "/v3/notifications/open_door", token, json=open_door_body(call["guid"], MAIN_ENTRANCE)
    )

    assert response.status_code == 204
    told = sandbox.state()["panel_notifications"]
    assert [(n["kind"], n["call_id"], n["source_id"]) for n in told] == [("open_door", call["id"], MAIN_ENTRANCE)]
    assert sandbox.state()["latest_calls"][0]["status"] == "initializing"  # what the panel does then is not public


def test_open_door_refuses_another_persons_call_a_wrong_panel_and_a_bad_body(sandbox):
    neighbours = sandbox.call(MAIN_ENTRANCE, NINA)
    own = sandbox.call(MAIN_ENTRANCE, ROSA)
    token = sandbox.password_token("resident@sandbox.test")

    def send(body):
        return sandbox.api("POST", "/v3/notifications/open_door", token, json=body).status_code

    assert send(open_door_body(neighbours["guid"], MAIN_ENTRANCE)) == 404
    assert send(open_door_body(own["guid"], 58802)) == 422  # not the panel of this call
    assert send({"data": {"type": "door_release_requests", "attributes": {}}}) == 422
    assert send(open_door_body("", MAIN_ENTRANCE)) == 422
    assert (
        sandbox.api("POST", "/v3/notifications/open_door", json=open_door_body(own["guid"], MAIN_ENTRANCE)).status_code
        == 401
    )
    assert sandbox.state()["counts"]["panel_notifications"] == 0


def test_v3_requests_are_outside_the_v4_conformance_count(sandbox):
    before = sandbox.contract_stats(details=False)
    token = sandbox.password_token("resident@sandbox.test")
    sandbox.api("GET", "/v3/me/calls", token)
    sandbox.api("POST", "/v3/notifications/call_ended", token, json={"data": {}})

    after = sandbox.contract_stats(details=False)
    assert (after["conformant"], after["refused"]) == (before["conformant"], before["refused"])
