"""The requests a pass sends to ButterflyMX are the document's: exact bodies, recorded as the sandbox gets them.

Each test makes a pass against the real sandbox and reads the requests recorded by
``tests.plugins.contract`` (the portal's own traffic, unchanged), then asserts the exact JSON (the strict
sandbox has already held it to the document's request schema). A drift in the shape fails here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from passes import services
from passes.models import Pass
from tests.bmx_fixtures import ROSA_DOORS
from tests.passes.helpers import pass_input, window_for_kind

NY = ZoneInfo("America/New_York")


def only(bmx_requests, method: str, path: str):
    sent = bmx_requests.find(method, path)
    assert len(sent) >= 1, f"no {method} {path} was sent"
    return sent


def test_a_virtual_key_is_added_with_the_documented_top_level_body(bmx, sandbox, bmx_requests):
    data = pass_input("custom", tz=NY, name="Cleaner", visitors=["Bo"], **window_for_kind("custom", NY))

    created = services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)

    [sent] = only(bmx_requests, "POST", "/v4/virtual_keys")
    # keychain_id and name at the top level: no "virtual_key" wrapper (additionalProperties: false)
    assert sent.body == {"keychain_id": created.bmx_keychain_id, "name": "Bo"}
    # and ButterflyMX made the key the pass shows
    assert [k["keychain_id"] for k in sandbox.state()["virtual_keys"] if k["name"] == "Bo"] == [created.bmx_keychain_id]


@pytest.mark.parametrize("kind", ["custom", "one_time", "full_day", "recurring", "business_hours"])
def test_a_pass_without_chosen_doors_names_every_door_of_the_resident(kind, bmx, sandbox, bmx_requests):
    data = pass_input(kind, tz=NY, name="Family", **window_for_kind(kind, NY))

    created = services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)

    [sent] = only(bmx_requests, "POST", f"/v4/keychains/{Pass.BMX_KIND[kind]}")
    # explicit access_point_ids: the document never says what a keychain without doors opens
    assert sent.body["keychain"]["access_point_ids"] == sorted(ROSA_DOORS)
    assert "device_ids" not in sent.body["keychain"]
    assert sorted(created.doors.values_list("bmx_id", flat=True)) == sorted(ROSA_DOORS)


def test_chosen_doors_are_sent_as_they_were_chosen(bmx, sandbox, bmx_requests):
    data = pass_input("custom", tz=NY, name="Garage", doors=[bmx.doors[3902]], **window_for_kind("custom", NY))

    services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)

    [sent] = only(bmx_requests, "POST", "/v4/keychains/custom")
    assert sent.body["keychain"]["access_point_ids"] == [3902]


def test_a_delivery_pass_sends_only_what_its_schema_allows(bmx, sandbox, bmx_requests):
    data = pass_input("delivery", tz=NY, name="DoorDash")

    services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)

    [sent] = only(bmx_requests, "POST", "/v4/keychains/delivery_pass")
    assert sent.body == {"keychain": {"name": "DoorDash", "tenant_id": 129201}}


def test_a_pass_is_refused_before_butterflymx_when_no_door_of_the_resident_is_known(bmx, sandbox, bmx_requests):
    bmx.rosa_residency.doors.clear()
    data = pass_input("custom", tz=NY, name="Nobody", **window_for_kind("custom", NY))

    with pytest.raises(services.PassError) as refused:
        services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)

    assert "which doors" in refused.value.errors["doors"][0]
    assert bmx_requests.find("POST", "/v4/keychains/custom") == []
    assert not Pass.objects.exists()
