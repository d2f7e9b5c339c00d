"""One truth: passes deleted or created in the ButterflyMX app, reconciled against the running sandbox.

"The ButterflyMX app" is played by plain documented v4 requests with the tenant's own token, exactly
what the app sends: ``DELETE /v4/keychains/{id}``, ``POST /v4/keychains/custom``, ``POST /v4/virtual_keys``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from passes import services
from passes.models import Pass
from passes.reconcile import buildings_to_reconcile, passes_reconcile
from passes.sharing import qr_payload
from portal.butterflymx.client import utc_timestamp
from tests.passes.helpers import pass_input, window_for_kind

NY = ZoneInfo("America/New_York")
ROSA, NINA = "resident@sandbox.test", "neighbor@sandbox.test"


def portal_pass(bmx, name="Dog walker") -> Pass:
    data = pass_input("custom", tz=NY, name=name, **window_for_kind("custom", NY))
    return services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)


def delete_in_app(sandbox, keychain_id: int, email: str = ROSA) -> None:
    response = sandbox.api("DELETE", f"/v4/keychains/{keychain_id}", token=sandbox.password_token(email))
    assert response.status_code == 204, response.text


def create_in_app(sandbox, *, email: str, tenant_id: int, name: str, visitor: str) -> dict:
    token = sandbox.password_token(email)
    now = timezone.now()
    body = {
        "keychain": {
            "name": name,
            "tenant_id": tenant_id,
            "starts_at": utc_timestamp(now - dt.timedelta(minutes=5)),
            "ends_at": utc_timestamp(now + dt.timedelta(hours=3)),
            "access_point_ids": [3901],
        }
    }
    created = sandbox.api("POST", "/v4/keychains/custom", token=token, json=body)
    assert created.status_code == 201, created.text
    keychain = created.json()["data"]
    key = sandbox.api("POST", "/v4/virtual_keys", token=token, json={"keychain_id": keychain["id"], "name": visitor})
    assert key.status_code == 201, key.text
    return keychain


def settle(bmx) -> None:
    """The seed's own keychains (Rosa's passes of every kind, made "in the app") imported first, so each
    test sees only the effect of its own actions."""
    passes_reconcile(building_id=bmx.crimson.pk)


def snapshot(building) -> list[tuple]:
    return list(
        Pass.objects.filter(building=building)
        .order_by("pk")
        .values_list("pk", "status", "revoked_reason", "origin", "updated_at", "use_count")
    )


# --- 1. Deleted in the app ------------------------------------------------------------------------


def test_a_pass_deleted_in_the_app_is_revoked_by_one_reconcile_and_its_guest_page_hides_the_pin(bmx, sandbox, client):
    # Given Rosa's pass, and its visitor's guest link showing the PIN
    settle(bmx)
    created = portal_pass(bmx)
    key = created.keys.get()
    guest_url = f"/p/{key.share_token}/"
    assert key.pin in client.get(guest_url).content.decode()

    # When Rosa deletes it in the ButterflyMX app, and one reconcile runs
    delete_in_app(sandbox, created.bmx_keychain_id)
    outcome = passes_reconcile(building_id=bmx.crimson.pk)

    # Then it is revoked, with the reason, by nobody in the portal, and kept (not deleted)
    assert outcome == {"revoked_remotely": 1}
    created.refresh_from_db()
    assert (created.status, created.revoked_reason, created.revoked_by) == ("revoked", "removed_in_app", None)
    assert created.revoked_at is not None
    # Rosa's list says so
    client.force_login(bmx.rosa)
    listed = client.get("/passes/?state=revoked").content.decode()
    assert "Dog walker" in listed and "removed in the ButterflyMX app" in listed
    # and the guest page shows neither the PIN nor the QR code
    client.logout()
    page = client.get(guest_url).content.decode()
    assert "has been revoked" in page
    assert key.pin not in page and "<svg" not in page


def test_reconciling_twice_changes_nothing(bmx, sandbox):
    settle(bmx)
    kept = portal_pass(bmx, name="Stays")
    gone = portal_pass(bmx, name="Goes")
    create_in_app(sandbox, email=ROSA, tenant_id=129201, name="From the app", visitor="Cousin")
    delete_in_app(sandbox, gone.bmx_keychain_id)

    first = passes_reconcile(building_id=bmx.crimson.pk)
    before = snapshot(bmx.crimson)
    second = passes_reconcile(building_id=bmx.crimson.pk)

    assert first == {"revoked_remotely": 1, "imported": 1}
    assert second == {}
    assert snapshot(bmx.crimson) == before
    kept.refresh_from_db()
    assert kept.status == Pass.Status.ACTIVE


def test_a_failed_read_revokes_nothing(bmx, sandbox):
    settle(bmx)
    created = portal_pass(bmx)
    delete_in_app(sandbox, created.bmx_keychain_id)
    sandbox.fault("/v4/keychains", "GET", status=503, count=10)

    assert passes_reconcile(building_id=bmx.crimson.pk) == {"read_failed": 1}
    created.refresh_from_db()
    assert created.status == Pass.Status.ACTIVE


def test_a_pass_being_created_during_the_read_is_not_taken_for_a_removed_one(bmx, sandbox):
    settle(bmx)
    # A pass that becomes active after the run noted the live passes is not judged by that run: here
    # the noted set is empty (no live pass yet), and the keychain appears in the listing only later.
    created = portal_pass(bmx)
    Pass.objects.filter(pk=created.pk).update(status=Pass.Status.PENDING)  # as if still being made
    delete_in_app(sandbox, created.bmx_keychain_id)

    assert passes_reconcile(building_id=bmx.crimson.pk) == {}
    created.refresh_from_db()
    assert created.status == Pass.Status.PENDING


# --- 2. Created in the app ------------------------------------------------------------------------


def test_a_pass_created_in_the_app_appears_in_the_residents_list_marked_and_readable(bmx, sandbox, client):
    settle(bmx)
    keychain = create_in_app(sandbox, email=ROSA, tenant_id=129201, name="Plumber", visitor="Mario")

    assert passes_reconcile(building_id=bmx.crimson.pk) == {"imported": 1}

    imported = Pass.objects.get(bmx_keychain_id=keychain["id"])
    assert (imported.origin, imported.status, imported.kind) == ("bmx_app", "active", "custom")
    assert imported.residency == bmx.rosa_residency and imported.unit == bmx.unit_4b
    assert [d.bmx_id for d in imported.doors.all()] == [3901]
    key = imported.keys.get()
    assert key.name == "Mario" and len(key.pin) == 6
    # Its PIN is the one ButterflyMX issued: it opens the front door
    assert sandbox.use_key(access_point_id=3901, pin=key.pin)["granted"]
    assert sandbox.use_key(access_point_id=3901, qr=qr_payload(key))["granted"]

    client.force_login(bmx.rosa)
    listed = client.get("/passes/").content.decode()
    assert "Plumber" in listed and "created in the ButterflyMX app" in listed
    detail = client.get(f"/passes/{imported.pk}/").content.decode()
    assert "Created in the ButterflyMX app" in detail and key.pin in detail
    assert f"/passes/{imported.pk}/change/" not in detail  # read-only: the portal lacks its recipients
    assert client.get(f"/passes/{imported.pk}/change/").status_code == 302


def test_scope_bob_never_sees_alices_app_created_pass(bmx, sandbox, client):
    # Rosa (4B) and Nina (4C) each create a pass in the app; the admin link reads both.
    settle(bmx)
    rosas = create_in_app(sandbox, email=ROSA, tenant_id=129201, name="Tutor for Rosa", visitor="Tutor")
    ninas = create_in_app(sandbox, email=NINA, tenant_id=129205, name="Nanny for Nina", visitor="Nanny")

    assert passes_reconcile(building_id=bmx.crimson.pk) == {"imported": 2}

    rosa_pass = Pass.objects.get(bmx_keychain_id=rosas["id"])
    nina_pass = Pass.objects.get(bmx_keychain_id=ninas["id"])
    assert (rosa_pass.unit, nina_pass.unit) == (bmx.unit_4b, bmx.unit_4c)
    client.force_login(bmx.nina)
    assert "Tutor for Rosa" not in client.get("/passes/?state=all").content.decode()
    assert client.get(f"/passes/{rosa_pass.pk}/").status_code == 404
    assert client.get(f"/api/passes/{rosa_pass.pk}/").status_code == 404
    client.force_login(bmx.rosa)
    assert client.get(f"/api/passes/{rosa_pass.pk}/").status_code == 200
    assert "Tutor for Rosa" in client.get("/passes/?state=all").content.decode()
    assert "Nanny for Nina" not in client.get("/passes/?state=all").content.decode()
    assert client.get(f"/passes/{nina_pass.pk}/").status_code == 404


def test_a_keychain_of_a_tenant_without_a_portal_account_is_not_imported(bmx, sandbox):
    # Tomas (two-homes, 2A) has no portal account here: his keychain belongs to nobody the portal knows.
    settle(bmx)
    create_in_app(sandbox, email="two-homes@sandbox.test", tenant_id=129202, name="Guest of Tomas", visitor="G")

    assert passes_reconcile(building_id=bmx.crimson.pk) == {}
    assert not Pass.objects.filter(name="Guest of Tomas").exists()


def test_without_an_admin_link_the_residents_own_links_are_read(bmx, sandbox):
    bmx.crimson.admin_link = None
    bmx.crimson.save(update_fields=["admin_link"])
    settle(bmx)
    gone = portal_pass(bmx, name="Goes")
    keychain = create_in_app(sandbox, email=NINA, tenant_id=129205, name="Guest of Nina", visitor="Guest")
    delete_in_app(sandbox, gone.bmx_keychain_id)

    assert bmx.crimson.pk in buildings_to_reconcile()
    assert passes_reconcile(building_id=bmx.crimson.pk) == {"revoked_remotely": 1, "imported": 1}
    assert Pass.objects.get(bmx_keychain_id=keychain["id"]).residency == bmx.nina_residency


# --- The beat task --------------------------------------------------------------------------------


def test_the_beat_entry_runs_the_reconcile_every_interval(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["passes-reconcile"]
    assert entry["task"] == "passes.tasks.passes_reconcile_all_task"
    assert entry["schedule"] == 300.0


def test_the_seeds_app_made_passes_are_imported_with_their_kind_window_keys_and_counts(bmx, sandbox, client):
    assert passes_reconcile(building_id=bmx.crimson.pk) == {"imported": 4}

    imported = {p.bmx_keychain_id: p for p in Pass.objects.filter(origin=Pass.Origin.BMX_APP)}
    # Rosa's dog walker (recurring, Mon-Fri 12:00-13:00, used 3 times), guests, DoorDash; Nina's meeting.
    # The plumber's one-time pass ended yesterday: an ended keychain is not read.
    assert sorted(imported) == [254301, 254302, 254304, 254306]
    walker = imported[254301]
    assert (walker.kind, walker.weekdays, walker.time_from, walker.time_to) == (
        "recurring",
        ["mon", "tue", "wed", "thu", "fri"],
        dt.time(12),
        dt.time(13),
    )
    assert walker.use_count == 3 and walker.keys.get().pin == "286417"
    assert imported[254304].kind == "delivery"
    assert imported[254306].residency == bmx.nina_residency
    client.force_login(bmx.rosa)
    body = client.get(f"/api/passes/{walker.pk}/").json()
    assert (body["origin"], body["revoked_reason"]) == ("bmx_app", "")
