"""Pytest plugin: every request the portal sends to ButterflyMX's v4 API, checked against the document.

    pytest_plugins = ["tests.plugins.contract"]

ButterflyMX publishes one OpenAPI document (``sandbox/contract/butterflymx-openapi.json``, copied
byte-identical from ``../shared/``). This plugin records, in the test process, every HTTP request sent to a
``/v4/...`` path, and checks each against that document: the path and method, the query parameters
(documented names, integer types and bounds), and the JSON body against the operation's request schema
(``required``, ``additionalProperties``, types; OpenAPI's ``nullable`` honoured) with jsonschema.

How it records: a pass-through wrapper of ``requests.Session.send`` (requests' public API). Nothing of ours
is replaced and nothing is faked: each request still travels over HTTP to the real sandbox, which answers
it. Requests of the sandbox's own test client (:class:`tests.plugins.sandbox.SandboxClient`, whose
session carries ``sandbox_control = True``) are not recorded: tests send deliberately odd requests through
it, as the ButterflyMX app or an attacker would, and they are not the portal's.

- ``bmx_requests`` (function, autouse): the :class:`Recorder` of the test. At teardown the test fails when
  any recorded request does not conform, naming the request and the document's complaint. A test that
  sends a non-conformant request on purpose (to see how the portal copes with a refusal) says so with
  ``@pytest.mark.bmx_nonconformant("why")``.
- :func:`contract` returns the loaded document's checker, for tests that assert one request's shape.

Requests sent by Celery worker subprocesses are not seen here; the strict sandbox refuses them instead.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from jsonschema import Draft4Validator

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "sandbox" / "contract" / "butterflymx-openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
INT64 = 2**63 - 1

# Where the document contradicts itself, the reading the portal relies on (each with its reason). The
# strict sandbox keeps its own, longer list for everything any client might send.
DOCUMENT_EXCEPTIONS = {
    ("post", "/v4/keychains/recurring"): (
        "The recurring keychain schema requires starts_at and ends_at, which it does not define while it "
        "forbids additional properties: no body could conform. Its example sends start_date, end_date, "
        "time_from, time_to and weekdays instead, and so does the portal; only name stays required."
    ),
}


def _patched(document: dict) -> dict:
    doc = copy.deepcopy(document)
    schema = doc["paths"]["/v4/keychains/recurring"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema["properties"]["keychain"]["required"] = ["name"]
    return doc


def _json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable: true`` becomes a ``null`` type; the rest is shared."""
    if isinstance(schema, list):
        return [_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _json_schema(v) for k, v in schema.items() if k not in ("nullable", "example")}
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern
    literals: int
    parameters: list[dict]
    body_schema: dict | None


class Contract:
    """The document as a request checker."""

    def __init__(self, document: dict):
        self.document = document
        self.operations: list[Operation] = []
        for template, item in document["paths"].items():
            regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            literals = sum(1 for part in template.split("/") if part and not part.startswith("{"))
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
                self.operations.append(
                    Operation(
                        method=method,
                        template=template,
                        pattern=re.compile(regex),
                        literals=literals,
                        parameters=[*item.get("parameters", []), *operation.get("parameters", [])],
                        body_schema=_json_schema(body["schema"]) if "schema" in body else None,
                    )
                )

    def operation(self, method: str, path: str) -> tuple[Operation | None, str]:
        """The documented operation for ``method path`` (a literal segment beats a parameter)."""
        matches = [op for op in self.operations if op.pattern.match(path)]
        if not matches:
            return None, f"{path} matches no path of the document"
        best = max(op.literals for op in matches)
        for op in matches:
            if op.literals == best and op.method == method.lower():
                return op, ""
        return None, f"{method.upper()} is not documented for {matches[0].template}"

    def check(self, method: str, path: str, query: list[tuple[str, str]], body: Any, has_body: bool) -> list[str]:
        """Every way ``method path?query`` with JSON ``body`` departs from the document (empty: conforms)."""
        op, problem = self.operation(method, path)
        if op is None:
            return [problem]
        problems: list[str] = []
        values = op.pattern.match(path).groupdict()
        by_name: dict[str, list[str]] = {}
        for name, value in query:
            by_name.setdefault(name, []).append(value)
        for param in op.parameters:
            name, where, schema = param["name"], param["in"], param.get("schema") or {}
            if where == "path":
                problems += _check_value(f"path {name}", [values.get(name, "")], schema)
            elif where == "query":
                if name in by_name:
                    problems += _check_value(f"query {name}", by_name.pop(name), schema)
                elif param.get("required"):
                    problems.append(f"query {name} is required")
        problems += [f"query {name} is not a documented parameter" for name in by_name]
        if op.body_schema is None:
            if has_body:
                problems.append("the operation documents no request body, yet one was sent")
        else:
            validator = Draft4Validator(op.body_schema)
            for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
                where = "/".join(str(p) for p in error.absolute_path) or "(body)"
                problems.append(f"body {where}: {error.message}")
        return problems


def _check_value(label: str, values: list[str], schema: dict) -> list[str]:
    kind = schema.get("type")
    if kind == "array":
        item = schema.get("items") or {}
        return [p for v in values for p in _check_value(label, [v], item)]
    if len(values) > 1:
        return [f"{label} is sent {len(values)} times"]
    if kind != "integer":
        return []
    value = values[0]
    if not re.fullmatch(r"-?\d+", value) or abs(int(value)) > INT64:
        return [f"{label}={value!r} is not an integer"]
    number = int(value)
    if "minimum" in schema and number < schema["minimum"]:
        return [f"{label}={number} is below {schema['minimum']}"]
    if "maximum" in schema and number > schema["maximum"]:
        return [f"{label}={number} is above {schema['maximum']}"]
    return []


@cache
def contract() -> Contract:
    return Contract(_patched(json.loads(DOCUMENT.read_text())))


@dataclass
class Sent:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    has_body: bool
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        body = json.dumps(self.body) if self.has_body else ""
        return f"{self.method} {self.path}{'?' + query if query else ''} {body}".strip()


class Recorder:
    def __init__(self):
        self.sent: list[Sent] = []

    def record(self, prepared: requests.PreparedRequest) -> None:
        url = urlsplit(prepared.url or "")
        if not url.path.startswith("/v4/") and url.path != "/v4":
            return
        raw = prepared.body
        has_body = bool(raw)
        try:
            body = json.loads(raw) if raw else None
        except (TypeError, ValueError):
            body = raw if isinstance(raw, str) else repr(raw)
        sent = Sent(prepared.method or "", url.path, parse_qsl(url.query, keep_blank_values=True), body, has_body)
        sent.problems = contract().check(sent.method, sent.path, sent.query, sent.body, sent.has_body)
        self.sent.append(sent)

    def find(self, method: str, path: str) -> list[Sent]:
        """The recorded requests of ``method`` whose path is ``path`` or matches its ``{...}`` template."""
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
        return [s for s in self.sent if s.method == method.upper() and pattern.match(s.path)]

    @property
    def nonconformant(self) -> list[Sent]:
        return [s for s in self.sent if s.problems]


_active: list[Recorder] = []
_totals = {"checked": 0, "nonconformant": 0, "allowed": 0}
_original_send = requests.Session.send


def _recording_send(self, request, **kwargs):
    if _active and not getattr(self, "sandbox_control", False):
        for recorder in _active:
            recorder.record(request)
    return _original_send(self, request, **kwargs)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "bmx_nonconformant(reason): the test sends a request ButterflyMX's document does not allow"
    )
    requests.Session.send = _recording_send


def pytest_unconfigure(config):
    requests.Session.send = _original_send


@pytest.fixture(autouse=True)
def bmx_requests(request) -> Recorder:
    recorder = Recorder()
    _active.append(recorder)
    try:
        yield recorder
    finally:
        _active.remove(recorder)
    _totals["checked"] += len(recorder.sent)
    _totals["nonconformant"] += len(recorder.nonconformant)
    if request.node.get_closest_marker("bmx_nonconformant") is not None:
        _totals["allowed"] += len(recorder.nonconformant)
    elif recorder.nonconformant:
        lines = [f"- {s}\n    " + "\n    ".join(s.problems) for s in recorder.nonconformant]
        pytest.fail("requests that ButterflyMX's OpenAPI document does not allow:\n" + "\n".join(lines), pytrace=False)


def pytest_terminal_summary(terminalreporter):
    if _totals["checked"]:
        terminalreporter.write_line(
            f"ButterflyMX contract: {_totals['checked']} requests of the portal checked against the document, "
            f"{_totals['nonconformant']} non-conformant ({_totals['allowed']} in tests marked bmx_nonconformant)"
        )
