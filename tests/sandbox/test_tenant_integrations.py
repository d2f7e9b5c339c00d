"""Tenant integrations (§4.12, tenant scope): a tenant manages their own, and receives only their unit's
events (§6.2), calls as well as door releases."""

import time

import pytest

from .test_webhooks import Receiver, register

ROSA, NINA = 129201, 129205


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def body(url: str, resource_type: str = "call") -> dict:
    return {
        "data": {
            "type": "integrations",
            "attributes": {
                "integrator": "webhook",
                "configuration": {"url": url, "method": "post"},
                "bindings": [{"actions": ["create"], "resource_type": resource_type, "resource_id": None}],
            },
        }
    }


def test_a_tenant_lists_updates_and_deletes_their_own_integrations_and_nobody_elses(sandbox):
    rosa = sandbox.password_token("resident@sandbox.test")
    nina = sandbox.password_token("neighbor@sandbox.test")
    created = sandbox.api("POST", f"/v4/tenants/{ROSA}/integrations", rosa, json=body("https://a.example/h"))
    assert created.status_code == 200  # the document's status for create, not 201
    integration_id = created.json()["data"]["id"]
    path = f"/v4/tenants/{ROSA}/integrations/{integration_id}"

    listed = sandbox.api("GET", f"/v4/tenants/{ROSA}/integrations", rosa).json()["data"]
    assert [i["id"] for i in listed] == [integration_id]
    moved = sandbox.api("PUT", path, rosa, json=body("https://b.example/h"))
    assert moved.status_code == 200
    assert moved.json()["data"]["attributes"]["configuration"]["url"] == "https://b.example/h"

    # a neighbour neither sees nor changes them, nor registers in Rosa's name
    assert sandbox.api("GET", f"/v4/tenants/{ROSA}/integrations", nina).status_code == 404
    assert sandbox.api("GET", path, nina).status_code == 404
    assert sandbox.api("DELETE", path, nina).status_code == 404
    in_her_name = sandbox.api("POST", f"/v4/tenants/{ROSA}/integrations", nina, json=body("https://x.example"))
    assert in_her_name.status_code == 404

    assert sandbox.api("DELETE", path, rosa).status_code == 204
    assert sandbox.api("GET", path, rosa).status_code == 404
    assert [i for i in sandbox.state()["integrations"] if i["tenant_id"] == ROSA] == []


def test_a_tenants_call_integration_hears_calls_to_their_unit_only(sandbox, receiver):
    register(sandbox, sandbox.password_token("resident@sandbox.test"), receiver.url, "call", tenant_id=ROSA)
    sandbox.call(58801, tenant_id=NINA)
    mine = sandbox.call(58801, tenant_id=ROSA)
    got = receiver.wait_for(1)
    time.sleep(0.3)
    assert [r["body"]["event"]["data"]["id"] for r in got] == [mine["id"]]
    assert got[0]["body"]["event"]["data"]["unit"] == {"id": 101308}
