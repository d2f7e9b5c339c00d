"""Every ``/v4`` request checked against ButterflyMX's OpenAPI document before the sandbox acts on it.

One function, :func:`check`, gives a :class:`Verdict` for a request: its operation, or why it is refused
and with which status, as ButterflyMX's Rails API would answer:

- no documented path matches: 404 ``not_found`` (a Rails routing miss), before authentication;
- the path is documented but not with this method: 405 ``method_not_allowed`` (with ``Allow``), before
  authentication;
- then, after authentication (see ``sandbox.api.auth.api_route``): an integer path id that is not an
  integer or lies beyond 64 bits is a 404 (Rails' ``find`` finds nothing); a body that is not JSON is a 400
  ``bad_request`` (Rails' ``ParseError``); anything else the document does not allow (an undocumented
  query parameter, a value of the wrong type, a missing ``required`` key, a key refused by
  ``additionalProperties: false``, a body where the operation takes none, a NUL byte) is a 422 with the
  documented ``{"errors": [{"field", "code", "message"}]}`` envelope.

The schemas are the document's own, converted from OpenAPI 3.0 to JSON Schema (``nullable``), with the
exceptions of ``exceptions.py`` applied; ``jsonschema`` (Draft 4, the dialect OpenAPI 3.0's schema object
extends) does the checking.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.http import HttpRequest, JsonResponse
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from sandbox.contract.exceptions import EXCEPTIONS

DOCUMENT = Path(__file__).with_name("butterflymx-openapi.json")
METHODS = ("get", "put", "post", "delete", "patch")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Rails parameter wrappers: an error inside ``{"keychain": {"name": ...}}`` is reported on ``name``, as the
# documented 422s do (``active_at``, ``code``), not on ``keychain.name``.
WRAPPERS = {"keychain", "pin", "rfid_tag", "tenant", "unit", "door_release_request", "access_group"}
_INTEGER = re.compile(r"^-?\d+$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")

Error = tuple[str, str, str]


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # ValueError: not a real instant
    return True


def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    dt.date.fromisoformat(value)
    return True


def _time(value: object) -> bool:
    return not isinstance(value, str) or bool(_TIME.match(value))


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time", raises=ValueError)(_date_time)
FORMATS.checks("date", raises=ValueError)(_date)
FORMATS.checks("time")(_time)  # see exceptions.FORMAT_NOTES


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema: ``nullable`` becomes a ``null`` type; annotations go."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "description", "nullable"):
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        else:
            out[key] = to_json_schema(value)
    if node.get("nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


@dataclass(frozen=True)
class Parameter:
    name: str
    required: bool
    schema: dict[str, Any]
    # Built once with the routes (:func:`routes` is cached), not per request: constructing a validator
    # cost more than running it, on every query parameter of every request.
    validator: Draft4Validator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "validator", Draft4Validator(self.schema, format_checker=FORMATS))

    @property
    def is_array(self) -> bool:
        return self.schema.get("type") == "array"


@dataclass
class Operation:
    method: str  # upper case
    template: str
    path_params: dict[str, Parameter]
    query: dict[str, Parameter]
    body: Draft4Validator | None

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


@dataclass
class Route:
    template: str
    regex: re.Pattern
    literal_segments: int
    operations: dict[str, Operation] = field(default_factory=dict)


@dataclass
class Verdict:
    method: str
    path: str
    operation: str | None = None
    status: int | None = None  # None: the request conforms
    errors: list[Error] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)

    @property
    def conformant(self) -> bool:
        return self.status is None

    @property
    def before_auth(self) -> bool:
        """Routing misses are answered before authentication, as Rails' router answers them."""
        return self.status in (404, 405) and self.operation is None

    def response(self) -> JsonResponse:
        from sandbox.api.errors import error_response  # the API imports this module

        response = error_response(self.status or 422, self.errors)
        if self.allow:
            response["Allow"] = ", ".join(self.allow)
        return response

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "operation": self.operation,
            "status": self.status,
            "errors": [{"field": f, "code": c, "message": m} for f, c, m in self.errors],
        }


NOT_FOUND: list[Error] = [("base", "not_found", "Resource not found")]


def load_document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text())


@cache
def routes() -> list[Route]:
    """The document's paths as matchers, most literal first; exceptions applied to the body schemas."""
    document = load_document()
    patches = {(e.method, e.path): [] for e in EXCEPTIONS}
    for exception in EXCEPTIONS:
        patches[(exception.method, exception.path)].append(exception.patch)
    out = []
    for template, item in document["paths"].items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        route = Route(
            template=template,
            regex=re.compile(f"^{pattern}$"),
            literal_segments=sum(1 for part in template.split("/") if part and not part.startswith("{")),
        )
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            params = [*item.get("parameters", []), *spec.get("parameters", [])]
            by_location: dict[str, dict[str, Parameter]] = {"path": {}, "query": {}}
            for p in params:
                if p.get("in") in by_location:
                    by_location[p["in"]][p["name"]] = Parameter(
                        p["name"], bool(p.get("required")), to_json_schema(p.get("schema", {}))
                    )
            validator = None
            content = (spec.get("requestBody") or {}).get("content", {}).get("application/json")
            if content is not None:
                schema = copy.deepcopy(content.get("schema", {}))
                for patch in patches.get((method, template), []):
                    patch(schema)
                validator = Draft4Validator(to_json_schema(schema), format_checker=FORMATS)
            route.operations[method.upper()] = Operation(
                method.upper(), template, by_location["path"], by_location["query"], validator
            )
        out.append(route)
    out.sort(key=lambda r: -r.literal_segments)
    return out


def operations() -> list[Operation]:
    return [op for route in routes() for op in route.operations.values()]


def _field(path: list[Any], name: str | None = None) -> str:
    location = list(path)
    if location and location[0] in WRAPPERS:
        location = location[1:]  # inside the wrapper: the attribute's own name, as Rails reports it
    parts = location + ([name] if name is not None else [])
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "base"


def _rails_errors(error: ValidationError) -> list[Error]:
    path = list(error.absolute_path)
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in error.validator_value if name not in instance]
        return [(_field(path, name), "blank", "can't be blank") for name in missing]
    if error.validator == "additionalProperties":
        known = set((error.schema or {}).get("properties", {}))
        extras = sorted(set(error.instance) - known) if isinstance(error.instance, dict) else []
        return [(_field(path, name), "unpermitted_parameter", "is not a documented parameter") for name in extras]
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _rails_errors(best_match(error.context))
    if error.validator == "oneOf":
        return [(_field(path), "invalid", "must match exactly one of the documented forms")]
    if error.validator == "type" and error.instance is None:
        return [(_field(path), "blank", "can't be blank")]
    return [(_field(path), "invalid", "is invalid")]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _query_value(raw: str, schema: dict[str, Any]) -> Any:
    """A query string value as the schema's type would read it (``"12"`` -> 12 for an integer)."""
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.match(raw):
        return int(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _check_query(op: Operation, request: HttpRequest) -> list[Error]:
    errors: list[Error] = []
    for key in request.GET:
        if key not in op.query:
            errors.append((key, "unpermitted_parameter", "is not a documented parameter"))
    for name, param in op.query.items():
        values = request.GET.getlist(name)
        if not values:
            if param.required:
                errors.append((name, "blank", "can't be blank"))
            continue
        if any("\x00" in v for v in values):
            errors.append((name, "invalid", "contains a NUL byte"))
            continue
        if param.is_array:
            value: Any = [_query_value(v, param.schema.get("items", {})) for v in values]
        else:
            value = _query_value(values[-1], param.schema)  # Rails keeps the last of repeated keys
        if not param.validator.is_valid(value):
            errors.append((name, "invalid", "is invalid"))
    return errors


def _path_ids_valid(op: Operation, values: dict[str, str]) -> bool:
    for name, raw in values.items():
        if "\x00" in raw:
            return False
        param = op.path_params.get(name)
        is_integer = param is not None and param.schema.get("type") == "integer"
        if is_integer and (not _INTEGER.match(raw) or not INT64_MIN <= int(raw) <= INT64_MAX):
            return False
    return True


def _check_body(op: Operation, request: HttpRequest) -> tuple[int, list[Error]] | None:
    raw = request.body
    present = bool(raw.strip())
    if present:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json":
            return 422, [("base", "invalid", "the request body must be application/json")]
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return 400, [("base", "bad_request", "the request body is not valid JSON")]
    else:
        value = {}  # no body: Rails sees no parameters
    if op.body is None:
        if value not in ({}, None):
            return 422, [("base", "unpermitted_parameter", "this operation takes no request body")]
        return None
    if _has_nul(value):
        return 422, [("base", "invalid", "the request body contains a NUL byte")]
    errors: list[Error] = []
    for error in sorted(op.body.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        for item in _rails_errors(error):
            if item not in errors:
                errors.append(item)
    return (422, errors) if errors else None


def check(request: HttpRequest) -> Verdict:
    """The verdict on one ``/v4`` request (HEAD is checked as the GET it mirrors)."""
    method = "GET" if request.method == "HEAD" else (request.method or "GET").upper()
    verdict = Verdict(method=request.method or "GET", path=request.path)
    candidates = [(route, match) for route in routes() if (match := route.regex.match(request.path))]
    if not candidates:
        verdict.status, verdict.errors = 404, list(NOT_FOUND)
        return verdict
    chosen = next(((route, match) for route, match in candidates if method in route.operations), None)
    if chosen is None:
        verdict.status = 405
        verdict.errors = [("base", "method_not_allowed", f"{request.method} is not allowed here")]
        verdict.allow = sorted({m for route, _ in candidates for m in route.operations})
        return verdict
    route, match = chosen
    op = route.operations[method]
    verdict.operation = op.name
    if not _path_ids_valid(op, match.groupdict()):
        verdict.status, verdict.errors = 404, list(NOT_FOUND)
        return verdict
    errors = _check_query(op, request)
    body = _check_body(op, request)
    if body is not None and body[0] == 400:
        verdict.status, verdict.errors = body
        return verdict
    errors += body[1] if body else []
    if errors:
        verdict.status, verdict.errors = 422, errors
    return verdict
