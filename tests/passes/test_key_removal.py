"""Remove one visitor from a pass (``DELETE /v4/virtual_keys/{id}``) at the sandbox: their PIN and QR code
stop opening doors, the other visitors' keep working, the portal's row is marked removed; a refusal or a
failure leaves everything as it was; only the pass's host may do it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from passes import services
from passes.models import Pass, VisitorKey
from passes.reconcile import passes_reconcile
from passes.sharing import qr_payload
from tests.passes.helpers import pass_input, window_for_kind

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
FRONT_DOOR = 3901


def three_visitors(bmx) -> Pass:
    data = pass_input(
        "custom",
        tz=NY,
        name="Book club",
        visitors=["Ann Archer", "Ben Baker", "Cy Cole"],
        **window_for_kind("custom", NY),
    )
    return services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)


def remove_url(key: VisitorKey) -> str:
    return f"/passes/keys/{key.pk}/remove/"


def keys_at(sandbox) -> dict[int, dict]:
    return {k["id"]: k for k in sandbox.state()["virtual_keys"]}


def opens(sandbox, **credential) -> bool:
    return sandbox.use_key(access_point_id=FRONT_DOOR, **credential)["granted"]


def test_the_host_removes_one_visitor_and_the_others_keep_working(bmx, sandbox, client):
    made = three_visitors(bmx)
    ann, ben, cy = made.keys.order_by("name")
    ben_pin, ben_qr, ben_link = ben.pin, qr_payload(ben), f"/p/{ben.share_token}/"
    client.force_login(bmx.rosa)

    answer = client.post(remove_url(ben), follow=True)

    # ButterflyMX: Ben's key is gone, the keychain and the two other keys are not
    assert "Ben Baker is removed from" in answer.content.decode()
    assert ben.bmx_virtual_key_id not in keys_at(sandbox)
    keychain = next(k for k in sandbox.state()["keychains"] if k["id"] == made.bmx_keychain_id)
    assert sorted(keychain["virtual_key_ids"]) == sorted([ann.bmx_virtual_key_id, cy.bmx_virtual_key_id])
    assert not opens(sandbox, pin=ben_pin) and not opens(sandbox, qr=ben_qr)
    assert opens(sandbox, pin=ann.pin) and opens(sandbox, pin=cy.pin)
    # The portal: Ben's row stays, removed, without his secrets; the pass itself still works
    ben.refresh_from_db()
    assert ben.removed_at is not None and ben.removed_by == bmx.rosa and ben.pin == "" and ben.qr_code_url == ""
    made.refresh_from_db()
    assert made.status == Pass.Status.ACTIVE and made.state() == "active"
    page = client.get(f"/passes/{made.pk}/").content.decode()
    assert "Removed" in page and ben_pin not in page and ann.pin in page
    guest = client.get(ben_link).content.decode()
    assert "Your host removed you from this pass" in guest and ben_pin not in guest


def test_extending_the_pass_afterwards_does_not_bring_the_removed_visitor_back(bmx, sandbox, client):
    made = three_visitors(bmx)
    ben = made.keys.get(name="Ben Baker")
    client.force_login(bmx.rosa)
    client.post(remove_url(ben))

    made.refresh_from_db()
    new, _, links_left = services.pass_replace(actor=bmx.rosa, old=made, data=services.pass_input_from(made))

    assert sorted(new.keys.values_list("name", flat=True)) == ["Ann Archer", "Cy Cole"]
    assert links_left == []  # Ann's and Cy's links moved to the new pass; Ben's stays ended
    assert VisitorKey.objects.get(pk=ben.pk).removed_at is not None
    assert len([k for k in keys_at(sandbox).values() if k["keychain_id"] == new.bmx_keychain_id]) == 2


def test_a_refusal_by_butterflymx_changes_nothing(bmx, sandbox, client):
    # Nina's "Board meeting" pass, made in the app: its "Board member" key is one ButterflyMX will not delete
    token = sandbox.password_token("neighbor@sandbox.test")
    second = sandbox.api("POST", "/v4/virtual_keys", token, json={"keychain_id": 254306, "name": "Treasurer"})
    assert second.status_code == 201
    passes_reconcile(building_id=bmx.crimson.pk)
    board = VisitorKey.objects.get(bmx_virtual_key_id=1035806)
    client.force_login(bmx.nina)

    answer = client.post(remove_url(board), follow=True)

    assert "ButterflyMX refused to remove Board member" in answer.content.decode()
    assert 1035806 in keys_at(sandbox) and opens(sandbox, pin="864215")
    board.refresh_from_db()
    assert board.removed_at is None and board.pin == "864215"


def test_a_failed_call_changes_nothing_and_says_so(bmx, sandbox, client):
    made = three_visitors(bmx)
    ben = made.keys.get(name="Ben Baker")
    sandbox.fault(f"/v4/virtual_keys/{ben.bmx_virtual_key_id}", method="DELETE", status=503)
    client.force_login(bmx.rosa)

    answer = client.post(remove_url(ben), follow=True)

    assert "Ben Baker was not removed" in answer.content.decode()
    assert ben.bmx_virtual_key_id in keys_at(sandbox) and opens(sandbox, pin=ben.pin)
    ben.refresh_from_db()
    assert ben.removed_at is None and ben.pin


def test_only_the_host_removes_a_visitor_and_never_the_last_one(bmx, sandbox, client):
    made = three_visitors(bmx)
    ben = made.keys.get(name="Ben Baker")
    lone = services.pass_create(
        actor=bmx.rosa,
        residency=bmx.rosa_residency,
        data=pass_input("custom", tz=NY, name="Courier", visitors=["Dee"], **window_for_kind("custom", NY)),
    ).keys.get()
    before = keys_at(sandbox)

    client.force_login(bmx.nina)  # a neighbour: the pass is not in her scope
    neighbour = client.post(remove_url(ben))
    client.force_login(bmx.manager)  # the building's manager sees the pass but is not its host
    manager = client.post(remove_url(ben))
    client.force_login(bmx.rosa)
    last = client.post(remove_url(lone), follow=True)
    get = client.get(remove_url(ben))

    assert (neighbour.status_code, manager.status_code, get.status_code) == (404, 404, 405)
    assert "Dee is the only visitor left on this pass: revoke the pass instead" in last.content.decode()
    assert keys_at(sandbox) == before
    assert not VisitorKey.objects.filter(removed_at__isnull=False).exists()


def test_a_removed_visitors_link_cannot_be_sent_again(bmx, sandbox, client, mailoutbox):
    made = three_visitors(bmx)
    ben = made.keys.get(name="Ben Baker")
    client.force_login(bmx.rosa)
    client.post(remove_url(ben))

    answer = client.post(f"/passes/keys/{ben.pk}/share/", {"to": "ben@example.test"}, follow=True)

    assert "Ben Baker was removed from this pass" in answer.content.decode()
    assert mailoutbox == []
