"""The sandbox's tenant lifecycle, as the published document describes it (issue 19): ``POST /v4/tenants``
requires ``unit_id``, ``active_at`` and the user's e-mail and names and answers an invited tenant;
``DELETE /v4/tenants/{id}`` ends the tenant and everything of theirs (the contract's data model gives every
access tool and keychain exactly one tenant) but not their history; ``resend_confirmation`` only while
``invited``."""

from __future__ import annotations

import pytest

ADMIN = "admin@sandbox.test"
ROSA, IVY = 129201, 129204


@pytest.fixture
def admin(sandbox):
    return sandbox.password_token(ADMIN)


def codes(response, status=422):
    assert response.status_code == status, response.text
    return sorted((e["field"], e["code"]) for e in response.json()["errors"])


def new_tenant(**overrides) -> dict:
    user = {"email": "ana@example.test", "first_name": "Ana", "last_name": "Ortiz"}
    user.update(overrides.pop("user", {}))
    return {
        "tenant": {
            "unit_id": 101304,
            "active_at": "2026-12-01T05:00:00Z",
            "user_attributes": {**user, "sms_contact_attributes": {"phone_number": "+12125550123"}},
            **overrides,
        }
    }


def test_a_created_tenant_is_invited_in_its_unit_and_the_default_group(sandbox, admin):
    response = sandbox.api("POST", "/v4/tenants", admin, json=new_tenant())

    assert response.status_code == 201, response.text
    made = response.json()["data"]
    assert (made["email"], made["unit"]["id"], made["registration_status"]) == ("ana@example.test", 101304, "invited")
    assert made["invitation"]["confirmation_url"] and made["invitation"]["invited_at"]
    default = next(g for g in sandbox.state()["access_groups"] if g["id"] == 7701)
    assert made["id"] in default["tenants_ids"]


def test_creates_the_document_refuses_are_refused(sandbox, admin):
    no_active_at = new_tenant()
    del no_active_at["tenant"]["active_at"]
    no_unit = new_tenant()
    del no_unit["tenant"]["unit_id"]
    before = len(sandbox.state()["tenants"])

    refused = sandbox.api("POST", "/v4/tenants", admin, json=no_active_at, expect_refusal=True)
    assert codes(refused) == [("active_at", "blank")]
    refused = sandbox.api("POST", "/v4/tenants", admin, json=no_unit, expect_refusal=True)
    assert codes(refused) == [("unit_id", "blank")]
    blank = sandbox.api("POST", "/v4/tenants", admin, json=new_tenant(user={"email": ""}))
    assert codes(blank) == [("user", "blank")]  # the document's own 422 example
    nickname = new_tenant(user={"nickname": "Ani"})  # user_attributes: additionalProperties false
    refused = sandbox.api("POST", "/v4/tenants", admin, json=nickname, expect_refusal=True)
    assert codes(refused) == [("user_attributes.nickname", "unpermitted_parameter")]
    assert len(sandbox.state()["tenants"]) == before


def test_deleting_a_tenant_ends_their_tools_keychains_keys_and_groups_but_not_their_logs(sandbox, admin):
    sandbox.swipe(ROSA, 3901)
    state = sandbox.state()
    keychains = {k["id"] for k in state["keychains"] if k["tenant_id"] == ROSA}
    assert keychains and [t for t in state["access_tools"] if t["tenant_id"] == ROSA and t["protected"]]
    logs = state["counts"]["access_logs"]

    assert sandbox.api("DELETE", f"/v4/tenants/{ROSA}", admin).status_code == 204

    state = sandbox.state()
    assert ROSA not in {t["id"] for t in state["tenants"]}
    assert not [t for t in state["access_tools"] if t["tenant_id"] == ROSA]
    assert not [k for k in state["keychains"] if k["id"] in keychains]
    assert not [v for v in state["virtual_keys"] if v["keychain_id"] in keychains]
    assert all(ROSA not in g["tenants_ids"] for g in state["access_groups"])
    assert state["counts"]["access_logs"] == logs
    assert any(e["tenant_id"] == ROSA for e in state["latest_access_logs"])
    assert sandbox.api("GET", f"/v4/tenants/{ROSA}", admin).status_code == 404
    assert sandbox.api("DELETE", f"/v4/tenants/{ROSA}", admin).status_code == 404


def test_a_tenant_cannot_delete_their_own_tenancy(sandbox):
    rosa = sandbox.password_token("resident@sandbox.test")

    assert sandbox.api("DELETE", f"/v4/tenants/{ROSA}", rosa, expect_refusal=True).status_code in (401, 403)
    assert ROSA in {t["id"] for t in sandbox.state()["tenants"]}


def test_an_invitation_is_resent_only_while_the_tenant_is_invited(sandbox, admin):
    first = next(t for t in sandbox.state()["tenants"] if t["id"] == IVY)["invitation"]["invited_at"]
    sandbox.advance(minutes=5)

    assert sandbox.api("POST", f"/v4/tenants/{IVY}/resend_confirmation", admin).status_code == 200
    again = next(t for t in sandbox.state()["tenants"] if t["id"] == IVY)["invitation"]["invited_at"]
    assert again > first
    registered = sandbox.api("POST", f"/v4/tenants/{ROSA}/resend_confirmation", admin)
    assert codes(registered) == [("base", "already_registered")]
    assert sandbox.api("POST", "/v4/tenants/999999/resend_confirmation", admin).status_code == 404
