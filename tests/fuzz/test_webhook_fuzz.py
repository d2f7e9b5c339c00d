"""The webhook receiver under random input: never a 5xx, and each delivery stored exactly once."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logs.models import WebhookDelivery, WebhookEndpoint
from logs.webhooks import secret_hash
from tests import factories as f

SECRET = "fuzz-secret-0123456789"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ident = st.one_of(st.integers(), st.text(max_size=12), st.none(), st.lists(st.integers(), max_size=2))
documented = st.fixed_dictionaries(
    {
        "event": st.fixed_dictionaries(
            {
                "resource_type": st.sampled_from(["door_release", "access_log", "call", "x", ""]) | st.text(),
                "action": st.sampled_from(["create", "update"]) | json_values,
                "data": st.fixed_dictionaries({"id": ident, "status": json_values}) | json_values,
            }
        )
    }
)
legacy = st.one_of(
    st.fixed_dictionaries({"guid": ident, "status": json_values}),
    st.fixed_dictionaries({"call": st.fixed_dictionaries({"guid": ident}) | json_values, "status": json_values}),
    st.fixed_dictionaries({"id": ident, "release_method": json_values, "logged_at": json_values}),
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    documented.map(lambda v: json.dumps(v).encode()),
    legacy.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
content_types = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", "", "x/y"])


@pytest.fixture
def endpoint(db):
    building = f.BuildingFactory(name="Fuzz Tower")
    return WebhookEndpoint.objects.create(building=building, secret_hash=secret_hash(SECRET))


@FUZZ
@given(body=bodies, content_type=content_types)
def test_any_delivery_is_answered_without_a_server_error_and_stored_once(client, endpoint, body, content_type):
    # Given the receiver of a building
    url = f"/webhooks/bmx/{endpoint.building_id}/{SECRET}/"
    before = WebhookDelivery.objects.count()
    # When anything at all is posted, then posted again
    response = client.post(url, data=body, content_type=content_type)
    after_first = WebhookDelivery.objects.count()
    again = client.post(url, data=body, content_type=content_type)
    # Then no answer is a 5xx, the repeat is answered like the first, and at most one row records both
    # (none when an earlier example already delivered the same event or bytes)
    assert response.status_code < 500 and again.status_code == response.status_code
    assert after_first in (before, before + 1)
    assert WebhookDelivery.objects.count() == after_first
    if after_first == before + 1:
        stored = WebhookDelivery.objects.latest("pk")
        assert stored.outcome == ("accepted" if response.status_code == 200 else "rejected")
    if again.status_code == 200:
        assert json.loads(again.content)["status"] == "duplicate"


def test_a_near_valid_call_event_with_a_long_action_and_a_nul_is_accepted_once(client, endpoint):
    # Found by the fuzzer's near-valid payloads: a long "action" overflowed style (32 chars) and a NUL
    # in an id broke PostgreSQL, both a 500 that ButterflyMX would retry for ever.
    url = f"/webhooks/bmx/{endpoint.building_id}/{SECRET}/"
    body = {"event": {"resource_type": "call", "action": "a" * 80, "data": {"id": "x\u0000y", "status": "s"}}}
    first = client.post(url, data=body, content_type="application/json")
    again = client.post(url, data=body, content_type="application/json")
    assert (first.status_code, again.status_code) == (200, 200)
    assert [d.outcome for d in WebhookDelivery.objects.order_by("pk")] == ["accepted"]


def test_a_huge_body_is_refused_and_kept_truncated(client, endpoint):
    url = f"/webhooks/bmx/{endpoint.building_id}/{SECRET}/"
    response = client.post(url, data=b"{" + b"x" * (70 * 1024), content_type="application/json")
    assert response.status_code == 413
    stored = WebhookDelivery.objects.get()
    assert stored.outcome == "rejected" and len(stored.body) <= 4096
