"""Where ButterflyMX's OpenAPI document contradicts its own examples: the ONE list of exceptions.

The sandbox validates every ``/v4`` request against ``butterflymx-openapi.json`` (this folder). In a few
places the document's request schema refuses the document's own request examples (ButterflyMX's rswag run
sent them and got the documented answers), so the live API evidently accepts both forms. For each such
place the sandbox accepts both, and nothing else: every exception is one entry of ``EXCEPTIONS`` below, with
its reason, applied to the in-memory schema (the file itself is never edited).

``FINDINGS`` records what was checked and deliberately NOT made an exception (read them before adding one).
``tests/sandbox/test_contract_validation.py`` holds that every request example of the document validates
once these exceptions are applied, and that each exception is still needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


@dataclass(frozen=True)
class ContractException:
    method: str
    path: str
    what: str
    reason: str
    patch: Callable[[Schema], None]  # edits the operation's JSON request-body schema in place


def _wrapped_or_bare(wrapper: str) -> Callable[[Schema], None]:
    """The schema documents the bare form; the examples wrap it in ``{wrapper: {...}}``: accept both."""

    def patch(schema: Schema) -> None:
        bare = dict(schema)
        wrapped = {
            "type": "object",
            "properties": {wrapper: bare},
            "required": [wrapper],
            "additionalProperties": False,
        }
        schema.clear()
        schema["anyOf"] = [bare, wrapped]

    return patch


def _recurring_window(schema: Schema) -> None:
    keychain = schema["properties"]["keychain"]
    keychain["required"] = [name for name in keychain["required"] if name not in ("starts_at", "ends_at")]
    keychain["properties"]["starts_at"] = {"type": "string", "format": "date-time"}
    keychain["properties"]["ends_at"] = {"type": "string", "format": "date-time"}


def _resource_id_nullable(schema: Schema) -> None:
    binding = schema["properties"]["data"]["properties"]["attributes"]["properties"]["bindings"]["items"]
    binding["properties"]["resource_id"]["nullable"] = True


def _tenant_names_in_user_attributes(schema: Schema) -> None:
    tenant = schema["properties"]["tenant"]
    tenant["required"] = [n for n in tenant["required"] if n not in ("first_name", "last_name", "email")]


BOOLEAN_STRINGS = ("true", "false")


def _flags_as_strings(*names: str) -> Callable[[Schema], None]:
    def patch(schema: Schema) -> None:
        tenant = schema["properties"]["tenant"]["properties"]
        for name in names:
            tenant[name] = {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": list(BOOLEAN_STRINGS)}]}

    return patch


def _external_id_integer(schema: Schema) -> None:
    schema["properties"]["tenant"]["properties"]["external_id"] = {"type": ["string", "integer"]}


def _unit_fields_nullable(schema: Schema) -> None:
    for name in ("label", "floor"):
        schema["properties"]["unit"]["properties"][name]["nullable"] = True


EXCEPTIONS: list[ContractException] = [
    ContractException(
        "post",
        "/v4/keychains/recurring",
        "keychain.starts_at / keychain.ends_at: not required, and allowed (date-time)",
        "The schema requires starts_at and ends_at but does not define them (additionalProperties: false), "
        "and every recurring example sends start_date/end_date/time_from/time_to/weekdays instead: "
        "both forms are accepted.",
        _recurring_window,
    ),
    ContractException(
        "post",
        "/v4/buildings/{building_id}/integrations",
        "data.attributes.bindings[].resource_id: string or null",
        "Typed string, but its own example value is null (a binding for every resource).",
        _resource_id_nullable,
    ),
    ContractException(
        "put",
        "/v4/buildings/{building_id}/integrations/{id}",
        "data.attributes.bindings[].resource_id: string or null",
        "Typed string, but its own example value is null.",
        _resource_id_nullable,
    ),
    ContractException(
        "post",
        "/v4/tenants/{tenant_id}/integrations",
        "data.attributes.bindings[].resource_id: string or null",
        "Typed string, but its own example value is null.",
        _resource_id_nullable,
    ),
    ContractException(
        "put",
        "/v4/tenants/{tenant_id}/integrations/{id}",
        "data.attributes.bindings[].resource_id: string or null",
        "Typed string, but its own example value is null.",
        _resource_id_nullable,
    ),
    ContractException(
        "put",
        "/v4/access_tools/pins/{id}",
        'body: bare {"code"} (schema) or {"pin": {"code"}} (every example)',
        "The schema documents a bare body with additionalProperties: false; all three examples wrap it in "
        '"pin" (Rails wrap_parameters accepts both).',
        _wrapped_or_bare("pin"),
    ),
    ContractException(
        "post",
        "/v4/access_tools/rfid_tags",
        'body: bare {"identifier","tenant_id"} (schema) or {"rfid_tag": {...}} (every example)',
        'The schema documents a bare body with additionalProperties: false; both examples wrap it in "rfid_tag".',
        _wrapped_or_bare("rfid_tag"),
    ),
    ContractException(
        "post",
        "/v4/tenants",
        "tenant.first_name / last_name / email: not required at tenant level",
        "The schema requires them on the tenant, yet every example (and the schema's own user_attributes, "
        "which requires them) sends them in tenant.user_attributes.",
        _tenant_names_in_user_attributes,
    ),
    ContractException(
        "post",
        "/v4/tenants",
        'tenant.delivery_pass_enabled / swipe_to_open_enabled / virtual_fob_entry_enabled: boolean or "true"/"false"',
        'Typed boolean; every example sends the string "true" (Rails casts it).',
        _flags_as_strings("delivery_pass_enabled", "swipe_to_open_enabled", "virtual_fob_entry_enabled"),
    ),
    ContractException(
        "put",
        "/v4/tenants/{id}",
        "tenant.external_id: string or integer",
        'Typed string; the "successful" example sends the integer 123.',
        _external_id_integer,
    ),
    ContractException(
        "put",
        "/v4/buildings/{building_id}/units/{id}",
        "unit.label / unit.floor: may be null",
        'Typed string; the example "ignores attributes explicitly set to null" sends "floor": null.',
        _unit_fields_nullable,
    ),
]

# Formats: OpenAPI 3.0 defines ``date`` and ``date-time`` only. The recurring keychain's ``time_from`` /
# ``time_to`` say ``format: time`` and the examples send "12:05", not RFC 3339's "12:05:00Z"; the sandbox
# checks ``time`` as HH:MM or HH:MM:SS (see ``validation.FORMATS``).
FORMAT_NOTES = {"time": "HH:MM or HH:MM:SS, as the recurring keychain examples send (OpenAPI 3.0 has no time)"}

# Checked and NOT made exceptions: the document is followed as written.
FINDINGS = [
    "additionalProperties: false is declared on: the pin (inside {pin}), the bare PUT pin and RFID bodies, "
    "door_release_request, the keychain of all four kinds, the bare virtual-key body, tenant.user_attributes "
    "and tenant.user_panel_config_attributes (POST /v4/tenants), tenant.user_attributes (PUT /v4/tenants/{id}), "
    "the top level of the four integration bodies and of the four access-group membership bodies. Everywhere "
    "else it is absent, which in OpenAPI 3.0 means extra keys are allowed, and the sandbox allows them (e.g. "
    "tenant.external_id on POST /v4/tenants, notification_preference_attributes.email/.sms on PUT, "
    "data.attributes.payload_style on integrations).",
    "POST /v4/virtual_keys documents a bare body with additionalProperties: false and every example is bare: "
    'the {"virtual_key": {...}} wrapper some clients send is refused (it was accepted before issue 14).',
    "POST /v4/keychains/delivery_pass: the 'out-of-scope resource' example sends starts_at, ends_at, recipients, "
    "access_point_ids and device_ids, which the schema forbids (additionalProperties: false). That example "
    "documents a 422, and the sandbox still answers 422 (for the extra keys): no exception.",
    "PUT /v4/tenants/{id}: the 'unprocessable entity' example sends active_at: null, which the schema forbids; "
    "it documents a 422 active_at/blank, which is exactly the sandbox's refusal: no exception.",
    "POST /v4/buildings/{building_id}/units: the 'floor is required', 'unprocessable entity' and 'duplicate "
    "label in the building's default zone' examples leave out floor; their names say they are refused (the "
    "last two document no answer), and the sandbox refuses them with 422: no exception.",
    "Requests without a valid token are answered 401 before the body is looked at (the document's 401 "
    "examples send bodies such as {} that do not conform), as Rails authenticates before reading params.",
    "Unknown query parameters (including undocumented q[...] filters) are refused with 422. Live ButterflyMX "
    "probably ignores them (Ransack), which would return an UNFILTERED list to a client that relies on them: "
    "the one place the sandbox is deliberately stricter than the live API.",
]
