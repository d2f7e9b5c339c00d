"""No 500 on odd input: deeply nested JSON, non-object bodies, NUL bytes, invalid UTF-8.

Each known case has its own test; then every JSON API endpoint (walked from the URLconf) and every form
POST of the portal gets odd bodies, and no answer may be a 5xx. Run on PostgreSQL too: a NUL byte that
reaches a text column or a lookup only fails there.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.views import APIView

from portal.core.jsonbody import MAX_DEPTH, JsonTooDeep, loads_bounded
from portal.core.services import heartbeat_record
from tests.access_matrix import MATRIX

pytestmark = pytest.mark.django_db

DEEP_LISTS = "[" * 10_000 + "]" * 10_000
DEEP_OBJECTS = '{"a":' * 10_000 + "1" + "}" * 10_000
JUST_TOO_DEEP = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)

ODD_BODIES: dict[str, bytes] = {
    "nested lists 10,000 deep": DEEP_LISTS.encode(),
    "nested objects 10,000 deep": DEEP_OBJECTS.encode(),
    f"nested {MAX_DEPTH + 1} deep": JUST_TOO_DEEP.encode(),
    "a list": b"[1, 2, 3]",
    "an empty list": b"[]",
    "a string": b'"hello"',
    "a number": b"42",
    "null": b"null",
    "true": b"true",
    "a raw NUL byte": b'{"first_name": "a\x00b"}',
    "NUL bytes only": b"\x00" * 16,
    "escaped NULs in every usual field": json.dumps(
        dict.fromkeys(
            ("first_name", "last_name", "phone", "name", "kind", "reason", "for_tenant", "code", "residency"), "\u0000"
        )
    ).encode(),
    "NUL in a key": b'{"\\u0000": 1}',
    "invalid UTF-8": b'{"first_name": "\xff\xfe\xfd"}',
    "a lone surrogate": b'{"first_name": "\\ud800"}',
    "not JSON": b"{not json",
    "empty": b"",
}

ERROR_SHAPE = {"detail", "code", "errors"}


def assert_error_shape(response):
    body = response.json()
    assert set(body) >= ERROR_SHAPE and isinstance(body["detail"], str) and body["detail"]


# --- the bounded loader --------------------------------------------------------------------------


def test_the_loader_accepts_the_limit_and_refuses_one_more():
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH

    assert loads_bounded(at_limit) == json.loads(at_limit)
    with pytest.raises(JsonTooDeep):
        loads_bounded(JUST_TOO_DEEP)
    with pytest.raises(JsonTooDeep):
        loads_bounded(DEEP_OBJECTS)  # past the interpreter's recursion limit: no RecursionError escapes


# --- the known cases, one test each --------------------------------------------------------------


@pytest.mark.parametrize("body", [DEEP_LISTS, DEEP_OBJECTS, JUST_TOO_DEEP], ids=["lists", "objects", "limit+1"])
def test_deeply_nested_json_on_the_api_is_a_400_in_the_error_shape(world, client, body):
    client.force_login(world.alice)

    response = client.patch(reverse("me_api:profile"), body, content_type="application/json")

    assert response.status_code == 400
    assert_error_shape(response)
    assert response.json()["code"] == "parse_error" and "nested deeper" in response.json()["detail"]


@pytest.mark.parametrize("body", ["[]", '[{"first_name": "Ada"}]', '"Ada"', "42", "null", "true"])
def test_a_non_object_profile_patch_is_a_400_in_the_error_shape(world, client, body):
    client.force_login(world.alice)

    response = client.patch(reverse("me_api:profile"), body, content_type="application/json")

    assert response.status_code == 400
    assert_error_shape(response)
    assert response.json()["code"] == "not_an_object"
    world.alice.refresh_from_db()
    assert world.alice.first_name == "Alice"


def test_an_object_profile_patch_still_works(world, client):
    client.force_login(world.alice)

    response = client.patch(
        reverse("me_api:profile"), {"first_name": "Ada", "push": False}, content_type="application/json"
    )

    assert response.status_code == 200
    world.alice.refresh_from_db()
    assert world.alice.first_name == "Ada"


@pytest.mark.parametrize("kind", ["\x00", "tenant\x00", "\x00tenant", "bogus", ""])
def test_a_nul_or_unknown_kind_in_the_unlink_form_is_a_400(world, client, kind):
    client.force_login(world.alice)

    response = client.post(reverse("tenants:link_remove"), {"kind": kind})

    assert response.status_code == 400
    assert b"Unlink button" in response.content


def test_the_unlink_form_still_answers_404_for_a_link_the_person_does_not_have(world, client):
    client.force_login(world.alice)

    assert client.post(reverse("tenants:link_remove"), {"kind": "tenant"}).status_code == 404


@pytest.mark.parametrize("body", [DEEP_LISTS.encode(), JUST_TOO_DEEP.encode()], ids=["10000", "limit+1"])
def test_deeply_nested_json_at_the_webhook_is_a_400_and_kept(client, body):
    from logs.models import WebhookDelivery, WebhookEndpoint
    from logs.webhooks import secret_hash
    from tests import factories as f

    endpoint = WebhookEndpoint.objects.create(building=f.BuildingFactory(), secret_hash=secret_hash("s3cret"))

    response = client.post(f"/webhooks/bmx/{endpoint.building_id}/s3cret/", body, content_type="application/json")

    assert response.status_code == 400
    kept = WebhookDelivery.objects.get()
    assert kept.outcome == "rejected" and "nested deeper" in kept.error


# --- every endpoint, odd bodies ------------------------------------------------------------------

BODY_METHODS = ("post", "put", "patch", "delete")


def _walk(resolver=None, namespace=None):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.callback


def _api_methods(callback) -> list[str]:
    cls = getattr(callback, "cls", None)
    if cls is None or not issubclass(cls, APIView):
        return []
    actions = getattr(callback, "actions", None)  # a ViewSet: the methods its route maps
    if actions is not None:
        return [m for m in actions if m in BODY_METHODS]
    return [m for m in BODY_METHODS if hasattr(cls, m)]


API_ENDPOINTS = sorted(
    (name, method) for name, callback in _walk() if name in MATRIX for method in _api_methods(callback)
)
FORM_ENDPOINTS = sorted(
    name
    for name, callback in _walk()
    if name in MATRIX and not _api_methods(callback) and not name.startswith("admin:")
)
FIELDS = ("kind", "action", "residency", "reason", "for_tenant", "to", "code", "first_name", "name", "next", "state")
# NUL bytes (PostgreSQL text cannot hold one), a digit int() refuses, an id past 64 bits (SQLite overflows).
ODD_VALUES = ("\x00", "1\x00", "\x00" * 300, "\u00b2", "9" * 30)
QUERY_KEYS = ("building", "door", "unit", "state", "page", "cursor", "reveal", "residency", "kind", "preset", "q")


def test_the_walk_finds_the_json_apis_and_the_forms():
    assert {("me_api:profile", "patch"), ("passes_api:list", "post"), ("doors-api:release", "post")} <= set(
        API_ENDPOINTS
    )
    assert {"tenants:link_remove", "passes:new", "dashboard:release"} <= set(FORM_ENDPOINTS)


def _url(world, name):
    return reverse(name, kwargs=MATRIX[name].kwargs(world))


def _send(client, method, url, body, content_type="application/json"):
    return getattr(client, method)(url, body, content_type=content_type)


@pytest.mark.parametrize("persona", ["alice", "manager"])
def test_every_json_api_answers_odd_bodies_without_a_server_error(world, client, persona):
    user = getattr(world, persona)
    failures = []
    for name, method in API_ENDPOINTS:
        url = _url(world, name)
        for label, body in ODD_BODIES.items():
            client.force_login(user)
            response = _send(client, method, url, body)
            if response.status_code >= 500:
                failures.append((name, method, label, response.status_code))
            elif response.status_code == 400:
                assert_error_shape(response)
    assert not failures


@pytest.mark.parametrize("persona", ["alice", "manager"])
def test_every_form_answers_nul_bytes_without_a_server_error(world, client, persona):
    user = getattr(world, persona)
    failures = []
    for name in FORM_ENDPOINTS:
        url = _url(world, name)
        for value in ODD_VALUES:
            client.force_login(user)
            response = client.post(url, {field: value for field in FIELDS})
            if response.status_code >= 500:
                failures.append((name, repr(value), response.status_code))
    assert not failures


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)
random_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 5000).map(lambda n: ("[" * n + "]" * n).encode()),
)


@pytest.mark.parametrize("persona", ["alice"])
def test_random_bodies_at_random_json_apis_never_get_a_server_error(world, client, persona):
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(endpoint=st.sampled_from(API_ENDPOINTS), body=random_bodies)
    def send(endpoint, body):
        name, method = endpoint
        client.force_login(getattr(world, persona))
        response = _send(client, method, _url(world, name), body)
        assert response.status_code < 500, (name, method, body[:80])

    send()


@pytest.mark.parametrize("persona", ["alice", "manager"])
def test_every_page_and_api_answers_odd_query_values_without_a_server_error(world, client, persona):
    heartbeat_record(name="beat")  # /healthz answers 503 without one: about the server, not the input
    user = getattr(world, persona)
    failures = []
    for name in sorted(MATRIX):
        if name.startswith("admin:"):
            continue
        url = _url(world, name)
        for value in ODD_VALUES[:2] + ODD_VALUES[3:]:
            client.force_login(user)
            response = client.get(url, dict.fromkeys(QUERY_KEYS, value))
            if response.status_code >= 500:
                failures.append((name, repr(value), response.status_code))
    assert not failures
