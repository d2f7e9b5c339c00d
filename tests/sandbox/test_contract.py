"""The sandbox answers every operation and every example of ButterflyMX's OpenAPI document.

For each operation and each response example: the sandbox answers with the example's status and a body
with the same keys and value types (ids and timestamps may differ). The document is the project's copy,
``sandbox/contract/butterflymx-openapi.json`` (source and date in ``sandbox/contract/README.md``).

Each case is set up from the example itself: 401 examples send no token; 404 examples address an id that
does not exist; 2xx and 422 examples send the request example of the same name, with the document's ids
mapped onto seeded sandbox ids (``ID_MAP``), as the building admin of the demo portfolio.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "sandbox" / "contract" / "butterflymx-openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
MISSING = 999999999

# ids in the document's request examples -> seeded sandbox ids of the same kind
ID_MAP = {
    377389742: 129201,  # tenant (Rosa, Crimson Tower)
    842395203: 3901,  # access point "Front door"
    271679546: 58803,  # device "Garage Controller"
    708353660: 58801,  # device "Main Entrance"
    843107216: 101301,  # unit 1A
    832101109: 101302,  # unit 1B
    254331397: 254302,  # custom keychain "Weekend guests"
}
# path parameter values for (method, path[, status]) when the resource must exist
PATH_IDS: dict[tuple, dict[str, Any]] = {
    ("*", "/v4/access_points/{id}"): {"id": 3901},
    ("*", "/v4/access_points/{id}/schedules"): {"id": 3901},
    ("*", "/v4/access_tools/pins/{id}"): {"id": 843201},
    ("get", "/v4/access_tools/{id}"): {"id": 843201},
    ("delete", "/v4/access_tools/{id}", "204"): {"id": 843202},
    ("delete", "/v4/access_tools/{id}", "422"): {"id": 843207},  # seeded as protected
    ("*", "/v4/buildings/{building_id}/access_logs/{id}"): {"building_id": 11743, "id": 1560001},
    ("*", "/v4/buildings/{building_id}/calls/{id}"): {"building_id": 11743, "id": 4004001},
    ("*", "/v4/buildings/{building_id}/units/{id}"): {"building_id": 11743, "id": 101301},
    ("*", "/v4/buildings/{id}"): {"id": 11743},
    ("*", "/v4/buildings/{id}/capabilities"): {"id": 11743},
    ("*", "/v4/devices/{id}"): {"id": 58801},
    ("get", "/v4/keychains/{id}"): {"id": 254302},
    ("delete", "/v4/keychains/{id}", "204"): {"id": 254303},
    ("delete", "/v4/keychains/{id}", "422"): {"id": 254306},  # seeded as protected
    ("*", "/v4/tenants/{tenant_id}/resend_confirmation"): {"tenant_id": 129204},  # invited
    ("get", "/v4/tenants/{id}"): {"id": 129207},
    ("put", "/v4/tenants/{id}"): {"id": 129207},
    ("delete", "/v4/tenants/{id}"): {"id": 129209},
    ("*", "/v4/units/{id}"): {"id": 101301},
    ("get", "/v4/virtual_keys/{id}"): {"id": 1035802},
    ("delete", "/v4/virtual_keys/{id}", "204"): {"id": 1035803},
    ("delete", "/v4/virtual_keys/{id}", "422"): {"id": 1035806},  # seeded as protected
    ("*", "/v4/tenants/{tenant_id}/integrations"): {"tenant_id": 129201},
    ("*", "/v4/tenants/{tenant_id}/integrations/{id}"): {"tenant_id": 129201},
}
DEFAULT_IDS = {"building_id": 11743, "id": 7701}  # access groups and building-scoped lists
INTEGRATION_BODY = {
    "data": {
        "type": "integrations",
        "attributes": {
            "integrator": "webhook",
            "configuration": {"url": "http://127.0.0.1:9/hook", "method": "post"},
            "bindings": [{"actions": ["create"], "resource_type": "call", "resource_id": None}],
        },
    }
}
# Fields the contract documents as nullable (§4) although a given example happens to show a value.
NULLABLE = {
    "email",
    "sms_number",
    "sent_at",
    "first_used_at",
    "last_used_at",
    "pin_code",
    "unit",
    "tenant_id",
    "name",
    "release_type",
    "entry_method",
    "image_url",
    "model",
    "serial_number",
    "inactive_after",
    "invitation",
    "notification_preference",
    "full_name",
    "access_point_id",
    "device_id",
    "status",
}
# Keys only some items carry: a recurring keychain adds its schedule (POST /v4/keychains/recurring example).
OPTIONAL = {"start_date", "end_date", "time_from", "time_to", "weekdays"}
# keys whose object form varies by value (``{"access_tool": id}`` vs ``{"keychain": id}``, §5)
POLYMORPHIC = {"entry_method"}


def load_document() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text())


def cases() -> list[Any]:
    document = load_document()
    out = []
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if not operation:
                continue
            for status, response in operation["responses"].items():
                examples = response.get("content", {}).get("application/json", {}).get("examples") or {}
                names = list(examples) or [None]
                for name in names:
                    value = examples[name]["value"] if name else None
                    case = {
                        "path": path,
                        "method": method,
                        "status": status,
                        "name": name,
                        "expected": value,
                        "requests": (
                            operation.get("requestBody", {})
                            .get("content", {})
                            .get("application/json", {})
                            .get("examples")
                            or {}
                        ),
                    }
                    out.append(pytest.param(case, id=f"{method.upper()} {path} {status} {name or ''}".strip()))
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def shape_errors(expected: list[Any], actual: Any, where: str) -> list[str]:
    """Compare ``actual`` with the union of the shapes of ``expected`` values (lists merge their items)."""
    kinds = {_kind(v) for v in expected}
    if kinds <= {"null"}:
        return []  # the document only shows null here: the type is unknown
    key = where.rsplit(".", 1)[-1]
    if actual is None and (key in NULLABLE or where.endswith("recipient.id")):
        return []
    if _kind(actual) not in kinds:
        if actual is None:
            return [f"{where}: null where the document shows {sorted(kinds)}"]
        return [f"{where}: {_kind(actual)} where the document shows {sorted(kinds)}"]
    if isinstance(actual, dict):
        objects = [v for v in expected if isinstance(v, dict)]
        if key in POLYMORPHIC:
            return []
        union = set().union(*(o.keys() for o in objects))
        common = set.intersection(*(set(o.keys()) for o in objects))
        errors = []
        if set(actual) - union - OPTIONAL:
            errors.append(f"{where}: unexpected keys {sorted(set(actual) - union - OPTIONAL)}")
        if common - set(actual):
            errors.append(f"{where}: missing keys {sorted(common - set(actual))}")
        for key in set(actual) & union:
            errors += shape_errors([o[key] for o in objects if key in o], actual[key], f"{where}.{key}")
        return errors
    if isinstance(actual, list):
        items = [i for v in expected if isinstance(v, list) for i in v]
        if not items:
            return []
        return [e for n, a in enumerate(actual) for e in shape_errors(items, a, f"{where}[{n}]")]
    return []


def _map_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _map_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_ids(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return ID_MAP.get(value, value)
    return value


def _request_body(case: dict[str, Any]) -> Any:
    if "/integrations" in case["path"]:
        return copy.deepcopy(INTEGRATION_BODY) if case["method"] in ("post", "put") else None
    requests_ = case["requests"]
    if not requests_:
        return None
    chosen = requests_.get(case["name"]) or next(iter(requests_.values()))
    return _map_ids(chosen["value"])


def _path_params(case: dict[str, Any]) -> dict[str, Any]:
    path, method, status = case["path"], case["method"], case["status"]
    for key in ((method, path, status), (method, path), ("*", path)):
        if key in PATH_IDS:
            return dict(PATH_IDS[key])
    return dict(DEFAULT_IDS)


def test_the_project_carries_the_published_document_unchanged():
    readme = (OPENAPI.parent / "README.md").read_text()
    assert hashlib.sha256(OPENAPI.read_bytes()).hexdigest() in readme
    document = load_document()
    assert document["openapi"] == "3.0.1"
    operations = sum(1 for item in document["paths"].values() for m in METHODS if m in item)
    assert len(document["paths"]) == 43
    assert operations == 57


@pytest.mark.parametrize("case", cases())
def test_the_sandbox_answers_like_the_openapi_example(sandbox, case):
    token = sandbox.password_token(sandbox.demo["admin"]["email"])
    params = _path_params(case)
    if case["status"] == "404":
        params = {k: MISSING for k in params}
    if "/integrations/{id}" in case["path"] and case["status"] != "404":
        owner_path = case["path"].rsplit("/", 1)[0].format(**params)
        created = sandbox.api("POST", owner_path, token, json=INTEGRATION_BODY)
        assert created.status_code == 200, created.text
        params["id"] = int(created.json()["data"]["id"])
    url = case["path"].format(**params)
    body = _request_body(case)
    response = sandbox.api(
        case["method"].upper(),
        url,
        None if case["status"] == "401" else token,
        json=body if body is not None else None,
        # The document's examples of error answers may send what its schemas refuse (e.g. the 401 examples'
        # empty bodies, the 422 of "floor is required"): those refusals are expected.
        expect_refusal=case["status"].startswith("4"),
    )
    assert response.status_code == int(case["status"]), f"{url}: {response.status_code} {response.text[:500]}"
    if case["expected"] is None:
        if response.status_code != 204 and response.content:
            assert isinstance(response.json(), dict)
        return
    errors = shape_errors([case["expected"]], response.json(), "body")
    assert not errors, "\n".join(errors)
