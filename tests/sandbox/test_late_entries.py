"""Late (a panel's buffered upload) and future-dated (a wrong clock) entries from the control surface."""

import datetime as dt
import time

import requests

from tests.sandbox.test_webhooks import Receiver, register, wait_deliveries

CRIMSON = 11743


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _newest_id(sandbox, token, kind="access_logs"):
    return sandbox.api("GET", f"/v4/buildings/{CRIMSON}/{kind}", token, params={"per": 1}).json()["data"][0]["id"]


def test_late_access_entries_get_new_ids_and_old_times_and_are_in_the_api_at_once(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    before = max(row["id"] for row in sandbox.state()["latest_access_logs"])
    now = _parse(sandbox.now())
    result = sandbox.late_entries(CRIMSON, "access", age_s=1200, count=3, spread_s=60)
    assert len(result["ids"]) == 3 and min(result["ids"]) > before
    assert _parse(result["first_logged_at"]) - (now - dt.timedelta(seconds=1200)) < dt.timedelta(seconds=2)
    window = {
        "q[logged_at_gteq]": result["first_logged_at"],
        "q[logged_at_lteq]": result["last_logged_at"],
        "per": 100,
    }
    rows = sandbox.api("GET", f"/v4/buildings/{CRIMSON}/access_logs", token, params=window).json()["data"]
    assert set(result["ids"]) <= {row["id"] for row in rows}
    times = sorted(_parse(row["logged_at"]) for row in rows if row["id"] in result["ids"])
    assert times[0] == _parse(result["first_logged_at"]) and times[-1] == _parse(result["last_logged_at"])
    assert times[-1] - times[0] == dt.timedelta(seconds=40)  # three entries, 20 s apart


def test_a_future_dated_entry_and_late_calls(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    now = _parse(sandbox.now())
    ahead = sandbox.late_entries(CRIMSON, "access", age_s=-3600)
    assert _parse(ahead["first_logged_at"]) > now + dt.timedelta(minutes=59)
    assert _newest_id(sandbox, token) == ahead["ids"][0]  # the newest-first list starts in the future
    when = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    calls = sandbox.late_entries(CRIMSON, "call", logged_at=when, count=2, status="canceled")
    for call_id in calls["ids"]:
        row = sandbox.api("GET", f"/v4/buildings/{CRIMSON}/calls/{call_id}", token).json()["data"]
        assert row["logged_at"] == when and row["status"] == "canceled"


def test_probes_across_many_buildings_in_one_request(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    sandbox.advance(hours=3)  # visible_at is on the sandbox's clock, not the machine's
    before = time.time() + sandbox.clock_offset()
    result = sandbox.late_entries(None, "access", building_ids=[11743, 11744], age_s=0, count=2)
    after = time.time() + sandbox.clock_offset()
    assert set(result["ids"]) == {"11743", "11744"} and all(len(v) == 2 for v in result["ids"].values())
    # each building is committed on its own, one after the other, and says when its entries could be seen
    assert before <= result["visible_at"]["11743"] <= result["visible_at"]["11744"] <= after
    for building, ids in result["ids"].items():
        rows = sandbox.api("GET", f"/v4/buildings/{building}/access_logs", token, params={"per": 10}).json()["data"]
        assert set(ids) <= {row["id"] for row in rows}
    refused = requests.post(
        f"{sandbox.url}/_sandbox/logs/late", json={"building_ids": [11743, 999], "age_s": 0}, timeout=10
    )
    assert refused.status_code == 404


def test_a_request_for_many_buildings_writes_all_or_nothing_when_one_is_refused(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    newest = _newest_id(sandbox, token)
    refused = requests.post(  # 3901 is Crimson's front door: the second building has no such door
        f"{sandbox.url}/_sandbox/logs/late",
        json={"building_ids": [CRIMSON, 11744], "age_s": 0, "access_point_id": 3901},
        timeout=10,
    )
    assert refused.status_code == 404
    assert _newest_id(sandbox, token) == newest


def test_late_entries_fire_webhooks_only_when_asked(sandbox):
    receiver = Receiver()
    try:
        admin = sandbox.password_token("admin@sandbox.test")
        register(sandbox, admin, receiver.url, "access_log")
        quiet = sandbox.late_entries(CRIMSON, "access", age_s=7200, count=2)
        loud = sandbox.late_entries(CRIMSON, "access", age_s=86400, webhooks=True)
        live = sandbox.swipe(129201, 3901)  # a normal new entry still fires, as before
        rows = wait_deliveries(sandbox, lambda rows: len(rows) >= 1 + len(live["access_log_ids"]))
        delivered = {r["payload"]["event"]["data"]["id"] for r in rows}
        assert delivered == {loud["ids"][0], *live["access_log_ids"]}
        assert not delivered & set(quiet["ids"])
    finally:
        receiver.server.shutdown()


def test_bad_late_entry_requests_are_refused(sandbox):
    url = f"{sandbox.url}/_sandbox/logs/late"
    for body, status in (
        ({"building_id": CRIMSON}, 400),  # neither logged_at nor age_s
        ({"building_id": CRIMSON, "age_s": 10, "logged_at": "2026-01-01T00:00:00Z"}, 400),
        ({"building_id": CRIMSON, "age_s": 10, "kind": "door"}, 400),
        ({"building_id": CRIMSON, "age_s": 10, "count": 0}, 400),
        ({"building_id": CRIMSON, "age_s": 10, "kind": "call", "status": "exploded"}, 400),
        ({"building_id": 999, "age_s": 10}, 404),
    ):
        assert requests.post(url, json=body, timeout=10).status_code == status, body
