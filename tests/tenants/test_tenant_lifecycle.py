"""Issue 19, the tenant lifecycle: a manager moves a tenant in (with access groups), re-sends their
invitation, and moves them out, against the real sandbox, with ButterflyMX's state read back through the
sandbox after each step; refusals leave both sides as they were; 404 outside the manager's buildings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from passes.models import Pass
from tenants.models import RosterSync, TenantMove, TenantRecord
from tenants.roster import roster_sync_run
from tests import factories as f
from tests.bmx_fixtures import make_bmx_world

pytestmark = pytest.mark.django_db

ROSA, IVY = 129201, 129204


@pytest.fixture
def crimson(sandbox):
    world = make_bmx_world()
    sync = roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    assert sync.status == "done", sync.error
    return world


def tenants_url(world, *rest) -> str:
    return "/".join([f"/link/buildings/{world.crimson.pk}/tenants", *map(str, rest)]) + "/"


def bmx_tenant(sandbox, tenant_id=None, email=None) -> dict | None:
    for t in sandbox.state()["tenants"]:
        if t["id"] == tenant_id or (email and t["email"] == email):
            return t
    return None


def group(sandbox, group_id: int) -> dict:
    return next(g for g in sandbox.state()["access_groups"] if g["id"] == group_id)


def move_in_form(world, **overrides) -> dict:
    return {
        "first_name": "Ana",
        "last_name": "Ortiz",
        "email": "Ana.Ortiz@example.test",
        "phone": "(212) 555-0123",
        "unit": world.unit_4c.pk,
        "move_in": "",
        "groups": [7702],
        **overrides,
    }


def test_a_manager_moves_a_tenant_in_with_access_groups_and_butterflymx_invites_them(
    crimson, sandbox, client_for, bmx_requests
):
    manager = client_for(crimson.manager)
    page = manager.get(tenants_url(crimson, "new"))
    assert page.status_code == 200
    assert "Rooftop access" in page.content.decode()  # the building's access groups, listed by ButterflyMX

    answer = manager.post(tenants_url(crimson, "new"), move_in_form(crimson), follow=True)

    assert "Ana Ortiz moved in to unit 4C" in answer.content.decode()
    made = bmx_tenant(sandbox, email="ana.ortiz@example.test")
    assert made is not None and made["unit"]["id"] == 101309
    (sent,) = bmx_requests.find("POST", "/v4/tenants")  # the phone goes where the document says, as E.164
    assert sent.body["tenant"]["user_attributes"]["sms_contact_attributes"] == {"phone_number": "+12125550123"}
    assert sent.body["tenant"]["unit_id"] == 101309 and sent.body["tenant"]["active_at"].endswith("Z")
    assert (made["first_name"], made["last_name"], made["registration_status"]) == ("Ana", "Ortiz", "invited")
    assert made["invitation"]["confirmation_url"]  # ButterflyMX invited them
    assert made["id"] in group(sandbox, 7702)["tenants_ids"]  # the group chosen
    record = TenantRecord.objects.get(bmx_id=made["id"])
    assert (record.unit, record.email, record.is_active, record.registration_status) == (
        crimson.unit_4c,
        "ana.ortiz@example.test",
        True,
        "invited",
    )
    move = TenantMove.objects.get(action="moved_in")
    assert (move.actor, move.tenant, move.unit_label, move.source) == (crimson.manager, record, "4C", "form")
    people = manager.get(f"/link/buildings/{crimson.crimson.pk}/people/").content.decode()
    assert "Ana Ortiz" in people and "Invited" in people and "Recent moves" in people


def test_a_refused_access_group_undoes_the_move_in_at_butterflymx(crimson, sandbox, client_for):
    before = len(sandbox.state()["tenants"])
    sandbox.fault(path="/v4/access_groups/7702/tenants", method="POST", status=503, count=1)

    answer = client_for(crimson.manager).post(tenants_url(crimson, "new"), move_in_form(crimson))

    assert answer.status_code == 400
    assert "the move-in was undone" in answer.content.decode()
    assert len(sandbox.state()["tenants"]) == before  # created, then deleted again
    assert bmx_tenant(sandbox, email="ana.ortiz@example.test") is None
    assert not TenantRecord.objects.filter(email="ana.ortiz@example.test").exists()
    assert not TenantMove.objects.exists()


def test_a_create_without_an_answer_is_looked_up_before_saying_anything(crimson, sandbox, client_for):
    sandbox.fault(path="/v4/tenants", method="POST", status=502, count=1)  # refused before it is made

    answer = client_for(crimson.manager).post(tenants_url(crimson, "new"), move_in_form(crimson, groups=[]))

    assert answer.status_code == 400 and "did not confirm the move-in" in answer.content.decode()
    assert bmx_tenant(sandbox, email="ana.ortiz@example.test") is None
    assert not TenantRecord.objects.filter(email="ana.ortiz@example.test").exists()


def test_bad_move_ins_say_what_to_fix_and_change_nothing(crimson, sandbox, client_for):
    manager = client_for(crimson.manager)
    before = sandbox.state()["tenants"]

    bad_email = manager.post(tenants_url(crimson, "new"), move_in_form(crimson, email="not-an-address"))
    bad_phone = manager.post(tenants_url(crimson, "new"), move_in_form(crimson, phone="call me"))
    lives_here = manager.post(tenants_url(crimson, "new"), move_in_form(crimson, email="RESIDENT@sandbox.test"))
    other_building = manager.post(tenants_url(crimson, "new"), move_in_form(crimson, unit=f.UnitFactory().pk))

    assert bad_email.status_code == 400 and "Enter a valid email address" in bad_email.content.decode()
    assert bad_phone.status_code == 400 and "is not a phone number like" in bad_phone.content.decode()
    assert lives_here.status_code == 400 and "already lives in unit 4B" in lives_here.content.decode()
    assert other_building.status_code == 400 and "Select a valid choice" in other_building.content.decode()
    assert sandbox.state()["tenants"] == before
    assert not TenantMove.objects.exists()


def test_a_manager_resends_an_invitation_while_the_tenant_is_invited_a_few_times_an_hour(crimson, sandbox, client_for):
    manager = client_for(crimson.manager)
    ivy = TenantRecord.objects.get(bmx_id=IVY)
    first_invited = bmx_tenant(sandbox, IVY)["invitation"]["invited_at"]
    sandbox.advance(minutes=5)

    answer = manager.post(tenants_url(crimson, ivy.pk, "resend"), follow=True)

    assert "sending the invitation to" in answer.content.decode()
    assert bmx_tenant(sandbox, IVY)["invitation"]["invited_at"] > first_invited  # sent again by ButterflyMX
    assert TenantMove.objects.get(action="invitation_resent").actor == crimson.manager
    manager.post(tenants_url(crimson, ivy.pk, "resend"))
    manager.post(tenants_url(crimson, ivy.pk, "resend"))
    sandbox.advance(minutes=5)
    at_third = bmx_tenant(sandbox, IVY)["invitation"]["invited_at"]
    limited = manager.post(tenants_url(crimson, ivy.pk, "resend"), follow=True)
    assert "re-sent 3 times this hour" in limited.content.decode()
    assert bmx_tenant(sandbox, IVY)["invitation"]["invited_at"] == at_third  # the fourth was not sent
    assert TenantMove.objects.filter(action="invitation_resent").count() == 3


def test_a_registered_tenant_has_no_invitation_to_resend(crimson, sandbox, client_for):
    rosa = TenantRecord.objects.get(bmx_id=ROSA)
    page = client_for(crimson.manager).get(f"/link/buildings/{crimson.crimson.pk}/people/").content.decode()
    assert f"Resend the invitation of {rosa}" not in page

    answer = client_for(crimson.manager).post(tenants_url(crimson, rosa.pk, "resend"), follow=True)

    assert "already registered" in answer.content.decode()
    assert not TenantMove.objects.exists()


def test_moving_out_ends_the_tenant_their_pin_fobs_passes_and_residency_and_keeps_history(crimson, sandbox, client_for):
    rosa = TenantRecord.objects.get(bmx_id=ROSA)
    walker = Pass.objects.create(
        kind="recurring",
        name="Dog walker",
        building=crimson.crimson,
        unit=crimson.unit_4b,
        residency=crimson.rosa_residency,
        starts_at=timezone.now() - timedelta(days=7),
        ends_at=timezone.now() + timedelta(days=90),
        bmx_keychain_id=254301,
        status="active",
    )
    state = sandbox.state()
    assert {t["tenant_id"] for t in state["access_tools"] if t["id"] in (843201, 843207)} == {ROSA}  # PIN, fob
    keychains = {k["id"] for k in state["keychains"] if k["tenant_id"] == ROSA}
    assert 254301 in keychains
    sandbox.swipe(ROSA, 3901)  # an entry of Rosa's, for the history
    logs_before = sandbox.state()["counts"]["access_logs"]

    answer = client_for(crimson.manager).post(tenants_url(crimson, rosa.pk, "move-out"), follow=True)

    assert "moved out of unit 4B" in answer.content.decode()
    state = sandbox.state()
    assert bmx_tenant(sandbox, ROSA) is None
    assert not [t for t in state["access_tools"] if t["tenant_id"] == ROSA]  # the PIN and even the protected fob
    assert not [k for k in state["keychains"] if k["tenant_id"] == ROSA or k["id"] in keychains]
    assert not [v for v in state["virtual_keys"] if v["keychain_id"] in keychains]
    assert ROSA not in group(sandbox, 7702)["tenants_ids"]
    assert state["counts"]["access_logs"] == logs_before  # history stays at ButterflyMX
    assert any(e["tenant_id"] == ROSA for e in state["latest_access_logs"])
    walker.refresh_from_db()
    assert (walker.status, walker.revoked_by) == ("revoked", crimson.manager)
    crimson.rosa_residency.refresh_from_db()
    assert not crimson.rosa_residency.is_active
    rosa.refresh_from_db()
    assert not rosa.is_active  # kept, so history keeps her name
    move = TenantMove.objects.get(action="moved_out")
    assert (move.actor, move.bmx_tenant_id, move.unit_label, move.name) == (
        crimson.manager,
        ROSA,
        "4B",
        "Rosa Resident",
    )
    # The neighbour is untouched.
    assert bmx_tenant(sandbox, 129205) is not None and crimson.nina_residency.is_active


def test_a_refused_move_out_changes_nothing(crimson, sandbox, client_for):
    rosa = TenantRecord.objects.get(bmx_id=ROSA)
    sandbox.fault(path=f"/v4/tenants/{ROSA}", method="DELETE", status=503, count=1)

    answer = client_for(crimson.manager).post(tenants_url(crimson, rosa.pk, "move-out"), follow=True)

    assert "was not moved out" in answer.content.decode()
    assert bmx_tenant(sandbox, ROSA) is not None
    assert [t for t in sandbox.state()["access_tools"] if t["tenant_id"] == ROSA]
    rosa.refresh_from_db()
    crimson.rosa_residency.refresh_from_db()
    assert rosa.is_active and crimson.rosa_residency.is_active
    assert not TenantMove.objects.exists()


def test_a_tenant_already_deleted_in_butterflymx_moves_out_in_the_portal_too(crimson, sandbox, client_for):
    rosa = TenantRecord.objects.get(bmx_id=ROSA)
    admin = sandbox.password_token("admin@sandbox.test")
    assert sandbox.api("DELETE", f"/v4/tenants/{ROSA}", admin).status_code == 204

    client_for(crimson.manager).post(tenants_url(crimson, rosa.pk, "move-out"))

    rosa.refresh_from_db()
    crimson.rosa_residency.refresh_from_db()
    assert not rosa.is_active and not crimson.rosa_residency.is_active


def test_only_managers_of_the_building_move_tenants_and_only_by_post(crimson, sandbox, client_for):
    rosa = TenantRecord.objects.get(bmx_id=ROSA)
    for user in (crimson.other_manager, crimson.rosa):
        for url in (tenants_url(crimson, rosa.pk, "move-out"), tenants_url(crimson, rosa.pk, "resend")):
            assert client_for(user).post(url).status_code == 404
        assert client_for(user).get(tenants_url(crimson, "new")).status_code == 404
        assert client_for(user).post(tenants_url(crimson, "new"), move_in_form(crimson)).status_code == 404
    assert client_for(crimson.manager).get(tenants_url(crimson, rosa.pk, "move-out")).status_code == 405
    assert bmx_tenant(sandbox, ROSA) is not None
    assert bmx_tenant(sandbox, email="ana.ortiz@example.test") is None


def test_move_out_needs_the_csrf_token(crimson, sandbox):
    rosa = TenantRecord.objects.get(bmx_id=ROSA)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(crimson.manager)

    assert strict.post(tenants_url(crimson, rosa.pk, "move-out")).status_code == 403
    assert bmx_tenant(sandbox, ROSA) is not None


def test_move_ins_are_limited_per_building_and_hour(crimson, sandbox, client_for, monkeypatch):
    monkeypatch.setattr("tenants.lifecycle.MOVE_INS_PER_HOUR", 1)
    manager = client_for(crimson.manager)
    manager.post(tenants_url(crimson, "new"), move_in_form(crimson, groups=[]))

    second = manager.post(tenants_url(crimson, "new"), move_in_form(crimson, email="ben@example.test", groups=[]))

    assert second.status_code == 400 and "limit of 1 move-ins an hour" in second.content.decode()
    assert bmx_tenant(sandbox, email="ana.ortiz@example.test") is not None
    assert bmx_tenant(sandbox, email="ben@example.test") is None
