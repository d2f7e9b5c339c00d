"""The control surface and the API's conventions: reset, clock, faults, generation, calls, permissions,
pagination and Ransack filters."""

import json
import socket
import threading
import time

import requests


def test_reset_restores_the_seed(sandbox):
    admin = sandbox.password_token("admin@sandbox.test")
    sandbox.api("DELETE", "/v4/keychains/254302", admin)
    assert sandbox.api("GET", "/v4/keychains/254302", admin).status_code == 404
    sandbox.reset()
    assert sandbox.api("GET", "/v4/keychains/254302", sandbox.password_token("admin@sandbox.test")).status_code == 200


def test_the_clock_moves_and_can_be_set(sandbox):
    sandbox.set_clock("2030-01-02T03:04:05Z")
    assert sandbox.now() == "2030-01-02T03:04:05Z"
    sandbox.advance(hours=1)
    assert sandbox.now() == "2030-01-02T04:04:05Z"


def test_an_injected_429_carries_retry_after_and_is_counted(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    sandbox.fault("/v4/tenants", method="GET", status=429, retry_after=7, count=1)
    limited = sandbox.api("GET", "/v4/tenants", token)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["errors"][0]["code"] == "too_many_requests"
    assert sandbox.api("GET", "/v4/tenants", token).status_code == 200


def test_an_outage_and_a_5xx_fault_hit_only_their_routes(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    sandbox.fault("/v4/buildings/*/access_logs", status=500)
    assert sandbox.api("GET", "/v4/buildings/11743/access_logs", token).status_code == 500
    assert sandbox.api("GET", "/v4/buildings", token).status_code == 200
    sandbox.clear_faults()
    sandbox.fault(outage=True)
    assert sandbox.api("GET", "/v4/buildings", token).status_code == 503
    assert requests.get(f"{sandbox.url}/_sandbox/health", timeout=5).status_code == 200


def test_a_slow_request_does_not_block_others(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    sandbox.fault("/v4/devices", latency_ms=8000, count=1)
    slow = threading.Thread(target=sandbox.api, args=("GET", "/v4/devices", token))
    slow.start()
    time.sleep(0.2)
    assert sandbox.api("GET", "/v4/buildings", token).status_code == 200
    assert slow.is_alive()  # answered while the slow request was still being held
    slow.join()


def test_a_connection_stays_open_for_the_next_request(sandbox):
    # as ButterflyMX's servers do: a client's pooled connection pays one TCP connect, not one per request
    token = sandbox.password_token("admin@sandbox.test")
    host, port = sandbox.url.removeprefix("http://").split(":")
    request = (
        f"GET /v4/buildings HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as conn, conn.makefile("rb") as answers:
        for _ in range(3):  # the same socket, one request after the other
            conn.sendall(request)
            status = answers.readline()
            headers = {}
            while (line := answers.readline().decode()) not in ("\r\n", ""):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = answers.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200") and headers.get("connection", "").lower() != "close"
            assert json.loads(body)["data"]


def test_generate_adds_history_that_pages_newest_first_and_filters(sandbox):
    result = sandbox.generate(11744, access_logs=5000, calls=500, days=30, seed=1)
    assert result["access_logs"] == 5000
    token = sandbox.password_token("admin@sandbox.test")
    page = sandbox.api(
        "GET",
        "/v4/buildings/11744/access_logs?per=100&page=2"
        "&q[release_method_in][]=swipe_to_open&q[logged_at_gteq]=2000-01-01",
        token,
    ).json()
    stamps = [e["logged_at"] for e in page["data"]]
    assert len(stamps) == 100 and stamps == sorted(stamps, reverse=True)
    assert all(e["entry_method"] == "Swipe to open" for e in page["data"])
    assert page["page_info"]["current_page"] == 2 and page["page_info"]["next_page"] == 3
    assert page["page_info"]["prev_page"] == 1 and page["page_info"]["page_size"] == 100


def test_an_unparsable_documented_filter_is_ignored_an_unknown_key_is_refused(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    everything = sandbox.api("GET", "/v4/buildings/11743/access_logs", token).json()["page_info"]["total_item_count"]
    junk = sandbox.api("GET", "/v4/buildings/11743/access_logs?q[logged_at_gteq]=not-a-date", token)
    assert junk.json()["page_info"]["total_item_count"] == everything
    unknown = sandbox.api("GET", "/v4/buildings/11743/access_logs?q[bogus_eq]=1", token, expect_refusal=True)
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "q[bogus_eq]", "code": "unpermitted_parameter", "message": "is not a documented parameter"}
    ]


def test_per_defaults_to_50_and_beyond_100_is_refused(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    assert sandbox.api("GET", "/v4/buildings/11743/access_logs", token).json()["page_info"]["page_size"] == 50
    assert sandbox.api("GET", "/v4/buildings/11743/access_logs?per=100", token).json()["page_info"]["page_size"] == 100
    too_many = sandbox.api("GET", "/v4/buildings/11743/access_logs?per=500", token, expect_refusal=True)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "per"
    past = sandbox.api("GET", "/v4/units?page=99", token).json()
    assert past["data"] == [] and past["page_info"]["next_page"] is None


def test_a_tenant_sees_its_own_tenancy_doors_and_log_entries_only(sandbox):
    token = sandbox.password_token("resident@sandbox.test")
    tenants = sandbox.api("GET", "/v4/tenants", token).json()["data"]
    assert [t["id"] for t in tenants] == [129201]
    doors = [d["id"] for d in sandbox.api("GET", "/v4/access_points", token).json()["data"]]
    assert doors == [3901, 3902, 3903, 3904, 3905, 3906]
    logs = sandbox.api("GET", "/v4/buildings/11743/access_logs?per=100", token).json()["data"]
    assert logs and {e["tenant_id"] for e in logs} <= {129201, None}
    assert sandbox.api("GET", "/v4/buildings/11744", token).status_code == 404


def test_a_person_with_two_tenancies_sees_both_buildings(sandbox):
    token = sandbox.password_token("two-homes@sandbox.test")
    buildings = [b["id"] for b in sandbox.api("GET", "/v4/buildings", token).json()["data"]]
    assert buildings == [11743, 11744]


def test_a_building_admin_sees_the_buildings_it_manages_only(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    assert [b["id"] for b in sandbox.api("GET", "/v4/buildings", token).json()["data"]] == [11743, 11744]
    assert sandbox.api("GET", "/v4/buildings/11745/access_logs", token).status_code == 404
    tenant_token = sandbox.password_token("resident@sandbox.test")
    forbidden = sandbox.api(
        "POST", "/v4/buildings/11743/units", tenant_token, json={"unit": {"label": "Z", "floor": "9"}}
    )
    assert forbidden.status_code == 403


def test_a_simulated_call_changes_status_and_opens_the_door(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    call = sandbox.call(58801, tenant_id=129201)
    assert call["status"] == "initializing"
    updated = sandbox.call_status(call["id"], "opened_door")
    shown = sandbox.api("GET", f"/v4/buildings/11743/calls/{call['id']}", token).json()["data"]
    assert shown["status"] == "opened_door"
    entry = sandbox.api("GET", f"/v4/buildings/11743/access_logs/{updated['access_log_id']}", token).json()["data"]
    assert entry["entry_method"] == "App call"


def test_state_dumps_everything_small(sandbox):
    state = sandbox.state()
    assert len(state["buildings"]) == 3 and state["counts"]["access_logs"] > 0
    assert {"now", "faults", "config", "keychains", "virtual_keys"} <= set(state)
