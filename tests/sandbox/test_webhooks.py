"""Webhook deliveries (§6) reach a local receiver: both payload styles, retries, drops and duplicates."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """A loopback HTTP server that records POSTs and answers the configured statuses in turn."""

    def __init__(self, statuses=None):
        self.received: list[dict] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"body": json.loads(body), "headers": dict(self.headers)})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def register(sandbox, token, url, resource_type, actions=("create",), style=None, tenant_id=None):
    attributes = {
        "integrator": "webhook",
        "configuration": {"url": url, "method": "post"},
        "bindings": [{"actions": list(actions), "resource_type": resource_type, "resource_id": None}],
    }
    if style:
        attributes["payload_style"] = style
    owner = f"/v4/tenants/{tenant_id}" if tenant_id else "/v4/buildings/11743"
    response = sandbox.api(
        "POST",
        f"{owner}/integrations",
        token,
        json={"data": {"type": "integrations", "attributes": attributes}},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def wait_deliveries(sandbox, predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sandbox.deliveries()
        if predicate(rows):
            return rows
        time.sleep(0.05)
    return sandbox.deliveries()


def test_a_door_release_is_delivered_in_the_documented_envelope(sandbox, receiver):
    admin = sandbox.password_token("admin@sandbox.test")
    register(sandbox, admin, receiver.url, "door_release")
    sandbox.api(
        "POST",
        "/v4/door_release_requests",
        admin,
        json={"door_release_request": {"tenant_id": 129201, "access_point_id": 3901}},
    )
    got = receiver.wait_for(1)
    event = got[0]["body"]["event"]
    assert event["resource_type"] == "door_release" and event["action"] == "create"
    assert event["data"]["entry_method"] == "API" and event["data"]["access_point"] == 3901
    assert got[0]["headers"]["Content-Type"] == "application/json"


def test_a_call_and_its_status_update_are_delivered_in_the_legacy_style(sandbox, receiver):
    admin = sandbox.password_token("admin@sandbox.test")
    register(sandbox, admin, receiver.url, "call", actions=("create", "status_update"), style="legacy")
    call = sandbox.call(58801, tenant_id=129201, then=["opened_door"])
    got = receiver.wait_for(2)
    bodies = sorted((r["body"] for r in got), key=lambda b: "call" in b)
    assert bodies[0]["guid"] == call["guid"] and bodies[0]["unit"] == {"id": 101308, "label": "4B"}
    assert bodies[1] == {"call": bodies[1]["call"], "status": "opened_door"}


def test_a_tenant_integration_receives_only_its_own_units_events(sandbox, receiver):
    token = sandbox.password_token("resident@sandbox.test")
    register(sandbox, token, receiver.url, "access_log", tenant_id=129201)
    sandbox.swipe(129205, 3901)  # Nina: not Rosa's unit
    sandbox.swipe(129201, 3901)  # Rosa
    got = receiver.wait_for(1)
    time.sleep(0.3)
    assert [r["body"]["event"]["data"]["tenant_id"] for r in got] == [129201]


def test_a_failing_receiver_gets_retries_and_every_attempt_is_logged(sandbox):
    flaky = Receiver(statuses=[500, 503])
    try:
        admin = sandbox.password_token("admin@sandbox.test")
        register(sandbox, admin, flaky.url, "access_log")
        sandbox.swipe(129201, 3901)
        assert len(flaky.wait_for(3)) == 3
        rows = wait_deliveries(sandbox, lambda rows: len(rows) >= 3)
        assert [(r["attempt"], r["outcome"], r["status_code"]) for r in rows] == [
            (1, "failed", 500),
            (2, "failed", 503),
            (3, "delivered", 200),
        ]
        assert len({r["delivery_id"] for r in rows}) == 1
    finally:
        flaky.server.shutdown()


def test_dropped_and_duplicated_deliveries_can_be_injected(sandbox, receiver):
    admin = sandbox.password_token("admin@sandbox.test")
    register(sandbox, admin, receiver.url, "access_log")
    sandbox.webhook_faults(drop_next=1, duplicate_next=1)
    sandbox.swipe(129201, 3901)  # dropped
    sandbox.swipe(129201, 3902)  # delivered twice
    got = receiver.wait_for(2)
    time.sleep(0.3)
    assert [r["body"]["event"]["data"]["access_point"] for r in got] == [3902, 3902]
    outcomes = sorted(r["outcome"] for r in sandbox.deliveries())
    assert outcomes == ["delivered", "delivered", "dropped"]
