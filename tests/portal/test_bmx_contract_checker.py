"""The checker of tests/plugins/contract.py can fail: it refuses the shapes the portal used to send and
anything else the document does not allow, and accepts the document's own request examples."""

from __future__ import annotations

import pytest
import requests

from tests.plugins.contract import DOCUMENT_EXCEPTIONS, Recorder, contract

BASE = "http://127.0.0.1:9"


def sent(method: str, path: str, *, params=None, json=None) -> Recorder:
    recorder = Recorder()
    recorder.record(requests.Request(method, f"{BASE}{path}", params=params, json=json).prepare())
    return recorder


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "complaint"),
    [
        ("POST", "/v4/virtual_keys", None, {"virtual_key": {"keychain_id": 1, "name": "Bo"}}, "'keychain_id' is"),
        (
            "POST",
            "/v4/buildings/1/integrations",
            None,
            {
                "data": {
                    "type": "integrations",
                    "attributes": {
                        "integrator": "webhook",
                        "configuration": {"url": "https://x.test/h", "method": "post"},
                        "bindings": [{"actions": ["create"], "resource_type": "call", "resource_id": None}],
                    },
                }
            },
            "None is not of type 'string'",
        ),
        (
            "POST",
            "/v4/keychains/custom",
            None,
            {"keychain": {"name": "x", "starts_at": "2026-01-01T00:00:00Z"}},
            "ends_at",
        ),
        (
            "GET",
            "/v4/units",
            {"q[building_id_eq]": 1, "q[tenant_id_eq]": 2},
            None,
            "q[tenant_id_eq] is not a documented",
        ),
        ("GET", "/v4/units", {"per": 500}, None, "above 100"),
        ("GET", "/v4/units", {"page": "two"}, None, "not an integer"),
        ("GET", "/v4/units/abc", None, None, "not an integer"),
        ("GET", "/v4/me", None, None, "matches no path"),
        ("PATCH", "/v4/keychains/5", None, {"keychain": {}}, "PATCH is not documented"),
        ("DELETE", "/v4/keychains/5", None, {"id": 5}, "documents no request body"),
    ],
)
def test_what_the_document_does_not_allow_is_flagged(method, path, params, body, complaint):
    [request] = sent(method, path, params=params, json=body).nonconformant

    assert any(complaint in problem for problem in request.problems), request.problems


@pytest.mark.parametrize(
    ("method", "path", "params", "body"),
    [
        ("POST", "/v4/virtual_keys", None, {"keychain_id": 254331397, "name": "John Doe", "pin_code": "468931"}),
        ("POST", "/v4/door_release_requests", None, {"door_release_request": {"tenant_id": 1, "access_point_id": 2}}),
        ("POST", "/v4/access_tools/pins", None, {"pin": {"code": None, "tenant_id": 1}}),
        ("PUT", "/v4/access_tools/pins/7", None, {"code": "336901"}),
        ("GET", "/v4/virtual_keys", {"q[keychain_id_in][]": [1, 2], "page": 1, "per": 100}, None),
        ("GET", "/v4/tenants", {"scope": "self", "page": 1, "per": 100}, None),
        ("GET", "/v4/access_points", {"q[building_id_eq]": 11743}, None),
    ],
)
def test_documented_requests_pass(method, path, params, body):
    assert sent(method, path, params=params, json=body).nonconformant == []


def test_a_literal_path_segment_wins_over_a_parameter():
    op, _ = contract().operation("PUT", "/v4/access_tools/pins/7")
    assert op.template == "/v4/access_tools/pins/{id}"
    op, problem = contract().operation("GET", "/v4/access_tools/pins")
    assert op is None and "GET is not documented for /v4/access_tools/pins" in problem


def test_the_recurring_keychain_exception_is_the_only_one_and_says_why():
    body = {
        "keychain": {
            "name": "Cleaner",
            "tenant_id": 1,
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "time_from": "09:00",
            "time_to": "17:00",
            "weekdays": ["mon"],
            "access_point_ids": [3901],
        }
    }

    assert sent("POST", "/v4/keychains/recurring", json=body).nonconformant == []
    assert list(DOCUMENT_EXCEPTIONS) == [("post", "/v4/keychains/recurring")]
    assert "starts_at" in DOCUMENT_EXCEPTIONS[("post", "/v4/keychains/recurring")]
