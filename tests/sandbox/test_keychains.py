"""Keychain rules (§4.8): the four kinds, building-local recurring times, one-year limit, delivery passes,
one virtual key per recipient, and virtual-key PIN rules."""

import datetime as dt

import pytest
import requests


@pytest.fixture
def admin(sandbox):
    return sandbox.password_token("admin@sandbox.test")


def create(sandbox, token, kind, **fields):
    return sandbox.api("POST", f"/v4/keychains/{kind}", token, json={"keychain": {"tenant_id": 129201, **fields}})


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def now(sandbox) -> dt.datetime:
    return dt.datetime.fromisoformat(sandbox.now().replace("Z", "+00:00"))


def test_recurring_dates_and_times_are_building_local(sandbox, admin):
    response = create(
        sandbox,
        admin,
        "recurring",
        name="Walker",
        start_date="2024-03-11",
        end_date="2024-03-12",
        time_from="12:05",
        time_to="15:00",
        weekdays=["mon", "tue"],
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    # Crimson Tower is in America/New_York (EDT, UTC-4, on 2024-03-11): 12:05 local is 16:05Z.
    assert data["starts_at"] == "2024-03-11T16:05:00Z" and data["ends_at"] == "2024-03-12T19:00:00Z"
    assert data["weekdays"] == ["mon", "tue"] and data["type"] == "recurring_keychain"


def test_a_recurring_pass_in_the_pacific_building_uses_pacific_time(sandbox, admin):
    response = sandbox.api(
        "POST",
        "/v4/keychains/recurring",
        admin,
        json={
            "keychain": {
                "tenant_id": 129203,
                "name": "Cleaner",
                "start_date": "2024-01-15",
                "end_date": "2024-02-15",
                "time_from": "09:00",
                "time_to": "11:00",
                "weekdays": ["mon"],
            }
        },
    )
    assert response.json()["data"]["starts_at"] == "2024-01-15T17:00:00Z"  # PST, UTC-8


def test_a_custom_pass_ending_more_than_a_year_ahead_is_refused(sandbox, admin):
    start = now(sandbox)
    response = create(
        sandbox,
        admin,
        "custom",
        name="Too long",
        starts_at=iso(start),
        ends_at=iso(start + dt.timedelta(days=367)),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "too_far_in_future"
    ok = create(
        sandbox,
        admin,
        "one_time",
        name="Fine",
        starts_at=iso(start),
        ends_at=iso(start + dt.timedelta(days=365)),
    )
    assert ok.status_code == 201


def test_a_one_time_pass_ending_more_than_a_year_ahead_is_refused(sandbox, admin):
    start = now(sandbox)
    response = create(
        sandbox,
        admin,
        "one_time",
        name="Too long",
        starts_at=iso(start),
        ends_at=iso(start + dt.timedelta(days=400)),
    )
    assert response.status_code == 422


def test_a_delivery_pass_lasts_30_days_opens_every_door_and_holds_one_key(sandbox, admin):
    response = create(sandbox, admin, "delivery_pass", name="DoorDash")
    data = response.json()["data"]
    starts = dt.datetime.fromisoformat(data["starts_at"].replace("Z", "+00:00"))
    ends = dt.datetime.fromisoformat(data["ends_at"].replace("Z", "+00:00"))
    assert ends - starts == dt.timedelta(days=30)
    assert data["access_point_ids"] == [3901, 3902, 3903, 3904, 3905, 3906]  # every door Rosa may use
    assert len(data["virtual_key_ids"]) == 1
    extra = sandbox.api("POST", "/v4/virtual_keys", admin, json={"keychain_id": data["id"]})
    assert extra.status_code == 422


def test_one_virtual_key_per_recipient_and_devices_include_the_doors_devices(sandbox, admin):
    start = now(sandbox)
    response = create(
        sandbox,
        admin,
        "custom",
        name="Guests",
        starts_at=iso(start),
        ends_at=iso(start + dt.timedelta(days=1)),
        recipients=["a@example.com", "+12125550100"],
        access_point_ids=[3901],
        device_ids=[58803],
    )
    data = response.json()["data"]
    assert len(data["virtual_key_ids"]) == 2
    assert data["device_ids"] == [58801, 58802, 58803]
    keys = sandbox.api("GET", f"/v4/virtual_keys?q[keychain_id_eq]={data['id']}", admin).json()["data"]
    assert {k["email"] for k in keys} == {"a@example.com", None}
    assert {k["sms_number"] for k in keys} == {"+12125550100", None}
    assert all(len(k["pin_code"]) == 6 for k in keys)


def test_a_custom_pass_without_recipients_has_no_keys_until_one_is_added(sandbox, admin):
    start = now(sandbox)
    data = create(
        sandbox,
        admin,
        "custom",
        name="Later",
        starts_at=iso(start),
        ends_at=iso(start + dt.timedelta(days=1)),
    ).json()["data"]
    assert data["virtual_key_ids"] == []
    key = sandbox.api("POST", "/v4/virtual_keys", admin, json={"keychain_id": data["id"]})
    assert key.status_code == 201 and key.json()["data"]["name"] == "Later"


@pytest.mark.parametrize("pin", ["123456", "111111", "121212", "890123", "112211", "1234"])
def test_weak_or_short_virtual_key_pins_are_refused(sandbox, admin, pin):
    response = sandbox.api("POST", "/v4/virtual_keys", admin, json={"keychain_id": 254302, "pin_code": pin})
    assert response.status_code == 422
    codes = [e["code"] for e in response.json()["errors"]]
    assert "low_entropy" in codes
    assert ("wrong_length" in codes) == (len(pin) != 6)


def test_the_qr_image_and_instructions_page_are_served(sandbox, admin):
    key = sandbox.api("GET", "/v4/virtual_keys/1035802", admin).json()["data"]
    image = requests.get(key["qr_code_url"], timeout=10)
    assert image.headers["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG")
    page = requests.get(key["instructions_url"], timeout=10)
    assert page.status_code == 200 and key["pin_code"] in page.text


def test_deleting_a_keychain_deletes_its_keys(sandbox, admin):
    assert sandbox.api("DELETE", "/v4/keychains/254302", admin).status_code == 204
    assert sandbox.api("GET", "/v4/virtual_keys/1035802", admin).status_code == 404
