"""Using credentials at doors (§4.8 usage, §4.7 PIN rules, §4.6 releases): windows, schedules, grace
periods, counters, resident PINs, and door release requests."""

import datetime as dt

import pytest


@pytest.fixture
def admin(sandbox):
    return sandbox.password_token("admin@sandbox.test")


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def sandbox_now(sandbox) -> dt.datetime:
    return dt.datetime.fromisoformat(sandbox.now().replace("Z", "+00:00"))


def make_pass(sandbox, admin, kind, pin, **fields):
    start = sandbox_now(sandbox)
    body = {"tenant_id": 129201, "name": f"{kind} pass", **fields}
    if kind != "delivery_pass":  # a delivery pass takes only name, tenant_id and unit_id
        body |= {
            "access_point_ids": [3901],
            "starts_at": iso(start - dt.timedelta(minutes=1)),
            "ends_at": iso(start + dt.timedelta(days=2)),
        }
    keychain = sandbox.api("POST", f"/v4/keychains/{kind}", admin, json={"keychain": body}).json()["data"]
    if kind != "delivery_pass":
        sandbox.api("POST", "/v4/virtual_keys", admin, json={"keychain_id": keychain["id"], "pin_code": pin})
    return keychain


def test_a_valid_pin_opens_the_door_counts_the_use_and_logs_it(sandbox, admin):
    result = sandbox.use_key(access_point_id=3901, pin="319574")
    assert result["granted"] is True
    key = sandbox.api("GET", "/v4/virtual_keys/1035802", admin).json()["data"]
    assert key["usage_count"] == 1 and key["first_used_at"] and key["last_used_at"]
    entry = sandbox.api("GET", f"/v4/buildings/11743/access_logs/{result['access_log_ids'][0]}", admin).json()["data"]
    assert entry["entry_method"] == "Visitor Pass (using PIN)" and entry["release_type"] == "Visitor"


def test_a_pass_does_not_open_a_door_it_does_not_grant(sandbox):
    assert sandbox.use_key(access_point_id=3904, pin="319574") == {
        "granted": False,
        "reason": "door_not_allowed",
        "access_log_ids": [],
        "credential": {"virtual_key_id": 1035802, "keychain_id": 254302, "type": "custom_keychain"},
    }


def test_a_pass_is_refused_after_it_ends(sandbox):
    sandbox.advance(days=4)
    assert sandbox.use_key(access_point_id=3901, pin="319574")["reason"] == "expired"


def test_a_one_time_pass_can_be_reused_for_15_minutes_then_expires(sandbox, admin):
    make_pass(sandbox, admin, "one_time", "731946")
    assert sandbox.use_key(access_point_id=3901, pin="731946")["granted"]
    sandbox.advance(minutes=14)
    assert sandbox.use_key(access_point_id=3901, pin="731946")["granted"]
    sandbox.advance(minutes=2)
    assert sandbox.use_key(access_point_id=3901, pin="731946")["reason"] == "already_used"


def test_a_delivery_pass_has_a_5_minute_grace(sandbox, admin):
    keychain = make_pass(sandbox, admin, "delivery_pass", None)
    key = sandbox.api("GET", f"/v4/virtual_keys/{keychain['virtual_key_ids'][0]}", admin).json()["data"]
    first = sandbox.use_key(device_id=58804, pin=key["pin_code"])  # the package room lock
    assert first["granted"]
    entry = sandbox.api("GET", f"/v4/buildings/11743/access_logs/{first['access_log_ids'][0]}", admin).json()
    assert entry["data"]["release_type"] == "Delivery"
    sandbox.advance(minutes=4)
    assert sandbox.use_key(access_point_id=3901, pin=key["pin_code"])["granted"]
    sandbox.advance(minutes=2)
    assert sandbox.use_key(access_point_id=3901, pin=key["pin_code"])["reason"] == "already_used"


def test_a_recurring_pass_opens_only_on_its_days_and_hours(sandbox):
    # The seeded "Dog walker" pass: weekdays 12:00-13:00 New York time.
    sandbox.set_clock(_next_local(sandbox, weekday=2, hhmm="12:30"))  # a Wednesday, 12:30 local
    assert sandbox.use_key(access_point_id=3901, pin="286417")["granted"]
    sandbox.set_clock(_next_local(sandbox, weekday=2, hhmm="14:00"))
    assert sandbox.use_key(access_point_id=3901, pin="286417")["reason"] == "outside_schedule"
    sandbox.set_clock(_next_local(sandbox, weekday=5, hhmm="12:30"))  # a Saturday
    assert sandbox.use_key(access_point_id=3901, pin="286417")["reason"] == "outside_schedule"


def _next_local(sandbox, weekday: int, hhmm: str) -> str:
    from zoneinfo import ZoneInfo

    local = sandbox_now(sandbox).astimezone(ZoneInfo("America/New_York")) + dt.timedelta(days=1)
    while local.weekday() != weekday:
        local += dt.timedelta(days=1)
    hour, minute = map(int, hhmm.split(":"))
    return iso(local.replace(hour=hour, minute=minute, second=0).astimezone(dt.UTC))


def test_a_qr_code_opens_the_door_with_the_qr_entry_method(sandbox, admin):
    result = sandbox.use_key(access_point_id=3901, qr="seed000001035802qr")
    entry = sandbox.api("GET", f"/v4/buildings/11743/access_logs/{result['access_log_ids'][0]}", admin).json()
    assert entry["data"]["entry_method"] == "Visitor Pass (using QR code)"


def test_a_resident_pin_opens_permitted_doors_only(sandbox, admin):
    granted = sandbox.use_key(access_point_id=3901, pin="483920")
    assert granted["granted"]
    entry = sandbox.api("GET", f"/v4/buildings/11743/access_logs/{granted['access_log_ids'][0]}", admin).json()
    assert entry["data"]["entry_method"] == {"access_tool": 843201}
    assert sandbox.use_key(access_point_id=3904, pin="572913")["reason"] == "door_not_allowed"  # no rooftop


def test_a_legacy_4_digit_pin_needs_the_unit_label(sandbox):
    assert sandbox.use_key(access_point_id=3901, pin="4821")["granted"] is False
    assert sandbox.use_key(access_point_id=3901, pin="4821", unit_label="4C")["granted"] is True


@pytest.mark.parametrize("pin", ["123456", "654321", "111111", "121212", "123123", "112112"])
def test_weak_resident_pins_are_refused(sandbox, admin, pin):
    response = sandbox.api("POST", "/v4/access_tools/pins", admin, json={"pin": {"code": pin, "tenant_id": 129202}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "low_entropy"


def test_a_4_digit_pin_skips_the_strength_rules_and_a_pin_in_use_is_taken(sandbox, admin):
    ok = sandbox.api("POST", "/v4/access_tools/pins", admin, json={"pin": {"code": "1111", "tenant_id": 129202}})
    assert ok.status_code == 201
    taken = sandbox.api("POST", "/v4/access_tools/pins", admin, json={"pin": {"code": "483920", "tenant_id": 129207}})
    assert taken.status_code == 422 and taken.json()["errors"][0]["code"] == "taken"


def test_one_pin_per_tenant_a_new_pin_replaces_the_old(sandbox, admin):
    created = sandbox.api("POST", "/v4/access_tools/pins", admin, json={"pin": {"tenant_id": 129201}})
    assert created.status_code == 201
    pins = sandbox.api("GET", "/v4/access_tools?q[tenant_id_eq]=129201&q[item_type_eq]=Pin", admin).json()["data"]
    assert [p["id"] for p in pins] == [created.json()["data"]["id"]]
    assert sandbox.use_key(access_point_id=3901, pin="483920")["granted"] is False


def test_a_door_release_by_access_point_logs_one_api_entry(sandbox):
    token = sandbox.password_token("resident@sandbox.test")
    response = sandbox.api(
        "POST",
        "/v4/door_release_requests",
        token,
        json={"door_release_request": {"tenant_id": 129201, "access_point_id": 3901}},
    )
    assert response.status_code == 201 and response.json()["data"]["release_method"] == "api"
    logs = sandbox.api("GET", "/v4/buildings/11743/access_logs?q[release_method_in][]=api", token).json()["data"]
    newest = logs[0]
    assert newest["entry_method"] == "API" and newest["access_point"] == 3901 and newest["tenant_id"] == 129201


def test_a_door_release_by_device_opens_all_its_access_points(sandbox, admin):
    before = sandbox.state()["counts"]["access_logs"]
    response = sandbox.api(
        "POST",
        "/v4/door_release_requests",
        admin,
        json={"door_release_request": {"tenant_id": 129201, "device_id": 58801}},
    )
    assert response.status_code == 201 and response.json()["data"]["access_point_id"] is None
    assert sandbox.state()["counts"]["access_logs"] == before + 1  # the panel serves one door: the vestibule


def test_a_tenant_cannot_release_a_door_it_is_not_assigned(sandbox):
    token = sandbox.password_token("neighbor@sandbox.test")
    forbidden = sandbox.api(
        "POST",
        "/v4/door_release_requests",
        token,
        json={"door_release_request": {"tenant_id": 129205, "access_point_id": 3904}},
    )
    assert forbidden.status_code == 403
    other = sandbox.api(
        "POST",
        "/v4/door_release_requests",
        token,
        json={"door_release_request": {"tenant_id": 129201, "access_point_id": 3901}},
    )
    assert other.status_code == 404  # someone else's tenancy is invisible, not forbidden


def test_swipe_to_open_is_logged_for_the_tenant(sandbox):
    result = sandbox.swipe(129201, 3904)
    assert result["granted"]
    token = sandbox.password_token("resident@sandbox.test")
    entry = sandbox.api("GET", f"/v4/buildings/11743/access_logs/{result['access_log_ids'][0]}", token).json()
    assert entry["data"]["entry_method"] == "Swipe to open"


def test_open_hours_unlock_and_lock_write_schedule_entries(sandbox, admin):
    unlock = sandbox.open_hours(3901, "unlock")["access_log_id"]
    entry = sandbox.api("GET", f"/v4/buildings/11743/access_logs/{unlock}", admin).json()["data"]
    assert entry["release_status"] == "Unlocked" and entry["entry_method"] is None and entry["name"] is None
    lock = sandbox.open_hours(3901, "lock")["access_log_id"]
    assert (
        sandbox.api("GET", f"/v4/buildings/11743/access_logs/{lock}", admin).json()["data"]["release_status"]
        == "Locked"
    )
