"""The sandbox does what the document says of the operations issue 19 brings into use: access tools
listed with their filters, deleted (204, or the documented 422), RFID tags created (201, or the documented
422); one virtual key deleted while its keychain and the other keys go on. And the door follows: a deleted
credential no longer opens anything, a new fob does."""

import pytest

CRIMSON, FRONT_DOOR = 11743, 3901


@pytest.fixture
def admin(sandbox):
    return sandbox.password_token("admin@sandbox.test")


def test_the_list_filters_by_building_id_and_type_as_documented(sandbox, admin):
    one = sandbox.api("GET", "/v4/access_tools", admin, params={"q[building_id_eq]": CRIMSON, "q[id_in][]": [843205]})
    fobs = sandbox.api(
        "GET", "/v4/access_tools", admin, params={"q[building_id_eq]": CRIMSON, "q[item_type_eq]": "rfid_tag"}
    )
    rosas = sandbox.api("GET", "/v4/access_tools", admin, params={"q[tenant_id_eq]": 129201})

    assert [t["id"] for t in one.json()["data"]] == [843205]
    assert {t["id"] for t in fobs.json()["data"]} == {843205, 843207}
    assert {(t["type"], t["tenant_id"]) for t in rosas.json()["data"]} == {("pin", 129201), ("rfid_tag", 129201)}


def test_a_deleted_fob_no_longer_opens_the_door(sandbox, admin):
    assert sandbox.use_key(access_point_id=FRONT_DOOR, rfid="25c064d101")["granted"]

    deleted = sandbox.api("DELETE", "/v4/access_tools/843205", admin)

    assert deleted.status_code == 204 and deleted.content == b""
    assert not sandbox.use_key(access_point_id=FRONT_DOOR, rfid="25c064d101")["granted"]
    assert sandbox.api("GET", "/v4/access_tools/843205", admin).status_code == 404


def test_a_tenant_deletes_their_own_tool_but_not_a_neighbours(sandbox):
    rosa = sandbox.password_token("resident@sandbox.test")

    neighbours = sandbox.api("DELETE", "/v4/access_tools/843204", rosa)  # Nina's PIN
    own = sandbox.api("DELETE", "/v4/access_tools/843201", rosa)
    protected = sandbox.api("DELETE", "/v4/access_tools/843207", rosa)

    assert neighbours.status_code == 404 and own.status_code == 204
    assert protected.status_code == 422
    assert protected.json()["errors"] == [{"field": "base", "message": "is protected", "code": "is_protected"}]
    assert {t["id"] for t in sandbox.state()["access_tools"]} >= {843204, 843207}


def test_a_new_rfid_tag_opens_the_tenants_doors_and_a_bad_identifier_is_the_documented_422(sandbox, admin):
    made = sandbox.api(
        "POST", "/v4/access_tools/rfid_tags", admin, json={"identifier": "0A1B2C3D4E", "tenant_id": 129201}
    )
    blank = sandbox.api("POST", "/v4/access_tools/rfid_tags", admin, json={"identifier": "", "tenant_id": 129201})
    letters = sandbox.api("POST", "/v4/access_tools/rfid_tags", admin, json={"identifier": "0A1G", "tenant_id": 129201})

    assert made.status_code == 201
    assert {k: made.json()["data"][k] for k in ("code", "type", "tenant_id", "building_id")} == {
        "code": "0A1B2C3D4E",
        "type": "rfid_tag",
        "tenant_id": 129201,
        "building_id": CRIMSON,
    }
    assert sandbox.use_key(access_point_id=FRONT_DOOR, rfid="0a1b2c3d4e")["granted"]
    assert [e["code"] for e in blank.json()["errors"]] == ["blank", "invalid"]
    assert [(e["field"], e["code"]) for e in letters.json()["errors"]] == [("item.identifier", "invalid")]


def test_deleting_one_virtual_key_leaves_the_keychain_and_its_other_keys_working(sandbox, admin):
    # Keychain 254302 ("Weekend guests", Rosa's) has two keys: 1035802 (PIN 319574) and 1035803 (402758)
    assert sandbox.use_key(access_point_id=FRONT_DOOR, pin="319574")["granted"]

    deleted = sandbox.api("DELETE", "/v4/virtual_keys/1035802", admin)
    again = sandbox.api("DELETE", "/v4/virtual_keys/1035802", admin)

    assert deleted.status_code == 204 and again.status_code == 404
    keychain = sandbox.api("GET", "/v4/keychains/254302", admin).json()["data"]
    assert keychain["virtual_key_ids"] == [1035803]
    assert not sandbox.use_key(access_point_id=FRONT_DOOR, pin="319574")["granted"]
    assert sandbox.use_key(access_point_id=FRONT_DOOR, pin="402758")["granted"]
