"""The strict sandbox: every /v4 request is checked against ButterflyMX's document before the sandbox acts.

Each test here sends requests the document does not allow on purpose, so they carry
``expect_refusal=True`` (the ``X-Sandbox-Expect-Refusal`` header): the session's ``spec_conformant_requests``
check counts their refusals as expected.
"""

from __future__ import annotations

import pytest

from sandbox.contract import exceptions, validation

ADMIN = "admin@sandbox.test"
HUGE = "9" * 30  # far beyond 64 bits


@pytest.fixture
def admin(sandbox):
    return sandbox.password_token(ADMIN)


def refused(response, status=422):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}
    for error in body["errors"]:
        assert set(error) == {"field", "code", "message"}
    return [(e["field"], e["code"]) for e in body["errors"]]


# --- the document itself --------------------------------------------------------------------------------


def request_examples():
    document = validation.load_document()
    for path, item in document["paths"].items():
        for method in validation.METHODS:
            body = (item.get(method) or {}).get("requestBody")
            if not body:
                continue
            for name, example in (body["content"]["application/json"].get("examples") or {}).items():
                responses = item[method]["responses"]
                yield pytest.param(method, path, name, example["value"], responses, id=f"{method} {path} {name}")


def operation(method, path):
    return next(op for op in validation.operations() if op.method == method.upper() and op.template == path)


@pytest.mark.parametrize(("method", "path", "name", "value", "responses"), list(request_examples()))
def test_every_request_example_of_a_success_conforms_and_others_are_refused_only_as_documented(
    method, path, name, value, responses
):
    errors = list(operation(method, path).body.iter_errors(value))
    statuses = {
        status
        for status, response in responses.items()
        if name in (response.get("content", {}).get("application/json", {}).get("examples") or {})
    }
    if not errors:
        return
    # A refused example is never the example of a success answer (some, like "floor is required", have no
    # answer example at all: their names say they are refused; see exceptions.FINDINGS).
    assert not any(s.startswith("2") for s in statuses), (name, statuses, [e.message for e in errors])


def validator_without(method, path, skipped):
    """The operation's body validator with every exception applied but ``skipped``."""
    document = validation.load_document()
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    for exception in exceptions.EXCEPTIONS:
        if (exception.method, exception.path) == (method, path) and exception is not skipped:
            exception.patch(schema)
    return validation.Draft4Validator(validation.to_json_schema(schema), format_checker=validation.FORMATS)


@pytest.mark.parametrize("exception", exceptions.EXCEPTIONS, ids=lambda e: f"{e.method} {e.path} {e.what}")
def test_each_exception_is_still_needed(exception):
    """Without this one exception, the schema refuses a form the sandbox must accept (one of the document's
    own examples, or the form it shows in prose): an exception the document no longer needs fails here."""
    document = validation.load_document()
    content = document["paths"][exception.path][exception.method]["requestBody"]["content"]["application/json"]
    forms = [e["value"] for e in (content.get("examples") or {}).values()]
    forms += EXTRA_FORMS.get((exception.method, exception.path), [])
    without = validator_without(exception.method, exception.path, exception)
    patched = operation(exception.method, exception.path).body
    assert any(not without.is_valid(form) and patched.is_valid(form) for form in forms), exception.what


# Forms an exception accepts that the document shows only in prose or in its schema (not as an example).
EXTRA_FORMS = {
    ("post", "/v4/buildings/{building_id}/integrations"): [
        {
            "data": {
                "type": "integrations",
                "attributes": {
                    "integrator": "webhook",
                    "configuration": {"url": "https://example.test/hook", "method": "post"},
                    "bindings": [{"actions": ["create"], "resource_type": "call", "resource_id": None}],
                },
            }
        }
    ],
}
for _method, _path in (
    ("put", "/v4/buildings/{building_id}/integrations/{id}"),
    ("post", "/v4/tenants/{tenant_id}/integrations"),
    ("put", "/v4/tenants/{tenant_id}/integrations/{id}"),
):
    EXTRA_FORMS[(_method, _path)] = EXTRA_FORMS[("post", "/v4/buildings/{building_id}/integrations")]


def test_the_exceptions_hold_both_forms(sandbox, admin):
    # recurring: the example form (no starts_at/ends_at) and the schema form (with them)
    base = {
        "name": "Book club",
        "tenant_id": 129201,
        "start_date": "2030-03-11",
        "end_date": "2030-03-12",
        "time_from": "12:05",
        "time_to": "15:00",
        "weekdays": ["mon", "tue"],
        "access_point_ids": [3901],
    }
    sandbox.set_clock("2030-03-01T00:00:00Z")
    admin = sandbox.password_token(ADMIN)  # a token of the new "now"
    assert sandbox.api("POST", "/v4/keychains/recurring", admin, json={"keychain": base}).status_code == 201
    with_window = base | {"starts_at": "2030-03-11T16:05:00Z", "ends_at": "2030-03-12T19:00:00Z"}
    assert sandbox.api("POST", "/v4/keychains/recurring", admin, json={"keychain": with_window}).status_code == 201
    # PIN update: the schema's bare body and the examples' wrapped one
    assert sandbox.api("PUT", "/v4/access_tools/pins/843201", admin, json={"code": "602719"}).status_code == 200
    wrapped = sandbox.api("PUT", "/v4/access_tools/pins/843201", admin, json={"pin": {"code": "739105"}})
    assert wrapped.status_code == 200 and wrapped.json()["data"]["code"] == "739105"
    # RFID: bare and wrapped
    bare = {"identifier": "0a1b2c3d4e", "tenant_id": 129201}
    assert sandbox.api("POST", "/v4/access_tools/rfid_tags", admin, json=bare).status_code == 201
    wrapped_tag = {"rfid_tag": {"identifier": "0a1b2c3d4f", "tenant_id": 129201}}
    assert sandbox.api("POST", "/v4/access_tools/rfid_tags", admin, json=wrapped_tag).status_code == 201
    # but not both at once, nor extra keys in the bare form
    both = {"pin": {"code": "739105"}, "code": "739105"}
    assert refused(sandbox.api("PUT", "/v4/access_tools/pins/843201", admin, json=both, expect_refusal=True))


# --- routing --------------------------------------------------------------------------------------------


def test_an_unknown_path_is_a_404_even_without_a_token(sandbox):
    response = sandbox.api("GET", "/v4/doors", expect_refusal=True)
    assert refused(response, 404) == [("base", "not_found")]


@pytest.mark.parametrize("method", ["PATCH", "POST", "OPTIONS", "FOO"])
def test_an_undocumented_method_on_a_documented_path_is_a_405_with_allow(sandbox, admin, method):
    response = sandbox.api(method, "/v4/tenants/129201", admin, json={}, expect_refusal=True)
    assert refused(response, 405) == [("base", "method_not_allowed")]
    assert response.headers["Allow"] == "DELETE, GET, PUT"


def test_a_literal_path_with_another_method_falls_to_the_id_route_as_rails_does(sandbox, admin):
    # GET /v4/keychains/custom is GET /v4/keychains/{id} with id "custom": not found, not 405
    assert refused(sandbox.api("GET", "/v4/keychains/custom", admin, expect_refusal=True), 404)


def test_authentication_comes_before_the_body_check(sandbox):
    response = sandbox.api("POST", "/v4/keychains/custom", json={}, expect_refusal=True)
    assert response.status_code == 401


# --- query parameters -----------------------------------------------------------------------------------


def test_query_parameters_are_checked_against_their_schema(sandbox, admin):
    assert refused(sandbox.api("GET", "/v4/tenants?page=abc", admin, expect_refusal=True)) == [("page", "invalid")]
    assert refused(sandbox.api("GET", "/v4/tenants?per=0", admin, expect_refusal=True)) == [("per", "invalid")]
    bad_list = sandbox.api("GET", "/v4/tenants?q[id_in][]=1&q[id_in][]=x", admin, expect_refusal=True)
    assert refused(bad_list) == [("q[id_in][]", "invalid")]
    assert refused(sandbox.api("GET", "/v4/buildings/11743?page=1", admin, expect_refusal=True)) == [
        ("page", "unpermitted_parameter")
    ]
    documented = sandbox.api("GET", "/v4/tenants?scope=self&page=1&per=5&q[id_in][]=129201", admin)
    assert documented.status_code == 200


def test_integers_beyond_64_bits_in_filters_match_nothing(sandbox, admin):
    for query in (f"q[id_in][]={HUGE}", f"q[building_id_eq]={HUGE}", f"q[building_id_in][]={HUGE}"):
        response = sandbox.api("GET", f"/v4/tenants?{query}", admin)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == []
    mixed = sandbox.api("GET", f"/v4/tenants?q[id_in][]={HUGE}&q[id_in][]=129201", admin)
    assert [t["id"] for t in mixed.json()["data"]] == [129201]
    assert sandbox.api("GET", f"/v4/tenants?page={HUGE}", admin).json()["data"] == []


# --- path ids -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/v4/tenants/{HUGE}",
        f"/v4/buildings/{HUGE}/access_logs",
        f"/v4/buildings/11743/calls/{HUGE}",
        "/v4/tenants/abc",
        f"/v4/access_groups/{HUGE}",
        "/v4/tenants/1%002",
    ],
)
def test_path_ids_that_are_not_64_bit_integers_are_not_found(sandbox, admin, path):
    assert refused(sandbox.api("GET", path, admin, expect_refusal=True), 404) == [("base", "not_found")]


def test_a_huge_id_in_a_body_finds_nothing(sandbox, admin):
    huge = int(HUGE)
    release = {"door_release_request": {"tenant_id": huge, "access_point_id": 3901}}
    assert sandbox.api("POST", "/v4/door_release_requests", admin, json=release).status_code == 404
    pin = {"pin": {"tenant_id": huge, "code": None}}
    assert sandbox.api("POST", "/v4/access_tools/pins", admin, json=pin).status_code == 404
    keychain = {"keychain": {"name": "x", "tenant_id": huge}}
    assert sandbox.api("POST", "/v4/keychains/delivery_pass", admin, json=keychain).status_code == 422
    members = {"access_group": {"tenant_ids": [huge]}}
    assert sandbox.api("POST", "/v4/access_groups/7701/tenants", admin, json=members).status_code == 422


# --- bodies ---------------------------------------------------------------------------------------------


def test_the_virtual_key_wrapper_is_refused_and_the_documented_body_accepted(sandbox, admin):
    wrapped = {"virtual_key": {"keychain_id": 254302, "name": "Guest"}}
    response = sandbox.api("POST", "/v4/virtual_keys", admin, json=wrapped, expect_refusal=True)
    assert refused(response) == [("keychain_id", "blank"), ("virtual_key", "unpermitted_parameter")]
    ok = sandbox.api("POST", "/v4/virtual_keys", admin, json={"keychain_id": 254302, "name": "Guest"})
    assert ok.status_code == 201


def test_additional_properties_are_refused_only_where_the_document_says_so(sandbox, admin):
    extra_key = {"keychain": {"name": "x", "tenant_id": 129201, "colour": "red"}}
    response = sandbox.api("POST", "/v4/keychains/delivery_pass", admin, json=extra_key, expect_refusal=True)
    assert refused(response) == [("colour", "unpermitted_parameter")]
    # tenant (PUT) declares no additionalProperties: an extra key is allowed; user_attributes declares false
    assert sandbox.api("PUT", "/v4/tenants/129207", admin, json={"tenant": {"nickname": "x"}}).status_code == 200
    extra_attr = {"tenant": {"user_attributes": {"nickname": "x"}}}
    response = sandbox.api("PUT", "/v4/tenants/129207", admin, json=extra_attr, expect_refusal=True)
    assert refused(response) == [("user_attributes.nickname", "unpermitted_parameter")]


def test_required_and_types_are_checked(sandbox, admin):
    no_tenant = {"door_release_request": {"access_point_id": 3901}}
    response = sandbox.api("POST", "/v4/door_release_requests", admin, json=no_tenant, expect_refusal=True)
    assert ("tenant_id", "blank") in refused(response)
    both = {"door_release_request": {"tenant_id": 129201, "access_point_id": 3901, "device_id": 58801}}
    response = sandbox.api("POST", "/v4/door_release_requests", admin, json=both, expect_refusal=True)
    assert refused(response) == [("base", "invalid")]
    as_string = {"door_release_request": {"tenant_id": "129201", "access_point_id": 3901}}
    response = sandbox.api("POST", "/v4/door_release_requests", admin, json=as_string, expect_refusal=True)
    assert refused(response) == [("tenant_id", "invalid")]
    bad_time = {"keychain": {"name": "x", "tenant_id": 129201, "starts_at": "tomorrow", "ends_at": "2030-01-01"}}
    response = sandbox.api("POST", "/v4/keychains/custom", admin, json=bad_time, expect_refusal=True)
    assert refused(response) == [("ends_at", "invalid"), ("starts_at", "invalid")]


@pytest.mark.parametrize("attrs", [["a"], "x", 7, True])
def test_non_object_user_attributes_are_refused_not_a_500(sandbox, admin, attrs):
    body = {"tenant": {"unit_id": 101301, "active_at": "2030-01-01T00:00:00Z", "user_attributes": attrs}}
    response = sandbox.api("POST", "/v4/tenants", admin, json=body, expect_refusal=True)
    assert refused(response) == [("user_attributes", "invalid")]
    response = sandbox.api("PUT", "/v4/tenants/129207", admin, json=body, expect_refusal=True)
    assert refused(response) == [("user_attributes", "invalid")]


def test_malformed_bodies_are_refused_not_a_500(sandbox, admin):
    headers = {"Content-Type": "application/json"}
    for raw in (b"{", b"\xff\xfe", b"[" * 100000):
        response = sandbox.api("POST", "/v4/virtual_keys", admin, data=raw, headers=headers, expect_refusal=True)
        assert refused(response, 400) == [("base", "bad_request")]
    not_an_object = sandbox.api("POST", "/v4/virtual_keys", admin, json=[1], expect_refusal=True)
    assert refused(not_an_object) == [("base", "invalid")]
    form = sandbox.api("POST", "/v4/virtual_keys", admin, data={"keychain_id": "1"}, expect_refusal=True)
    assert refused(form) == [("base", "invalid")]
    nul = {"keychain_id": 254302, "name": "Gu\x00est"}
    assert refused(sandbox.api("POST", "/v4/virtual_keys", admin, json=nul, expect_refusal=True)) == [
        ("base", "invalid")
    ]
    nul_query = sandbox.api("GET", "/v4/tenants?q[full_name_start]=a%00b", admin, expect_refusal=True)
    assert refused(nul_query) == [("q[full_name_start]", "invalid")]
    body_on_get = sandbox.api("GET", "/v4/tenants", admin, json={"x": 1}, expect_refusal=True)
    assert refused(body_on_get) == [("base", "unpermitted_parameter")]


# --- the figure -----------------------------------------------------------------------------------------


def test_the_control_surface_counts_conformant_and_refused_requests(sandbox, admin):
    before = sandbox.contract_stats()
    sandbox.api("GET", "/v4/tenants", admin)
    sandbox.api("GET", "/v4/tenants?per=1000", admin, expect_refusal=True)
    sandbox.reset()  # the counts span the session: a reset keeps them
    after = sandbox.contract_stats()
    assert after["conformant"] == before["conformant"] + 1
    assert after["refused_expected"] == before["refused_expected"] + 1
    assert after["refused_unexpected"] == before["refused_unexpected"]
    assert after["expected"][-1]["path"] == "/v4/tenants" and after["expected"][-1]["query"] == "per=1000"
    assert after["expected"][-1]["errors"] == [{"field": "per", "code": "invalid", "message": "is invalid"}]
