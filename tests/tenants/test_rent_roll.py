"""Issue 19, the rent-roll import: a preview of every change with per-row errors, then every move-in or
none, against the real sandbox (ButterflyMX's state read back after each step). A refusal after some
tenants were made deletes them again; an undo that fails too is said, tenant by tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tenants.models import RentRollImport, RosterSync, TenantMove, TenantRecord
from tenants.roster import roster_sync_run
from tests.bmx_fixtures import make_bmx_world

pytestmark = pytest.mark.django_db

HEADER = "unit,name,email,phone,move-in date\n"
UNIT_4A = 101307


@pytest.fixture
def crimson(sandbox):
    world = make_bmx_world()
    sync = roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    assert sync.status == "done", sync.error
    return world


def roll_url(world, *rest: str) -> str:
    return "/".join([f"/link/buildings/{world.crimson.pk}/tenants/import", *rest]) + "/"


def upload(client, world, text: str):
    return client.post(roll_url(world), {"file": SimpleUploadedFile("roll.csv", text.encode(), "text/csv")})


def emails_at_butterflymx(sandbox) -> set[str]:
    return {t["email"] for t in sandbox.state()["tenants"]}


def test_the_preview_shows_every_change_and_every_row_error_and_changes_nothing(crimson, sandbox, client_for):
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    text = HEADER + (
        f"2B,Ana Ortiz,ana@example.test,+12125550123,{later}\n"
        '4B,"Resident, Rosa",RESIDENT@sandbox.test,,\n'
        "9Z,Zed Nobody,zed@example.test,,\n"
        "3B,Bad Email,not-an-email,,\n"
        "4A,Dup One,dup@example.test,,\n"
        "4A,Dup Two,DUP@example.test,,\n"
        "2B,Nina Elsewhere,neighbor@sandbox.test,,\n"
        "3B,Cher,cher@example.test,,12/40/2026\n"
        "3B,Phil Phone,phil@example.test,call me,\n"
    )
    before = sandbox.state()["tenants"]

    page = upload(client_for(crimson.manager), crimson, text)

    assert page.status_code == 200
    plan = page.context["plan"]
    by_line = {row.line: row for row in plan.rows}
    assert by_line[2].action == "move_in" and by_line[2].move_in.isoformat() == later
    assert (by_line[2].first_name, by_line[2].last_name, by_line[2].phone) == ("Ana", "Ortiz", "+12125550123")
    assert by_line[3].action == "stays"  # "Last, First", any case of the e-mail
    assert "not a unit of Crimson Tower" in " ".join(by_line[4].errors)
    assert "not a valid e-mail address" in " ".join(by_line[5].errors)
    assert "also on line 7" in " ".join(by_line[6].errors) and "also on line 6" in " ".join(by_line[7].errors)
    assert "already lives in unit 4C" in " ".join(by_line[8].errors)
    assert any("first and a last name" in e for e in by_line[9].errors)
    assert any("Move-in date “12/40/2026”" in e for e in by_line[9].errors)
    assert any("not a phone number" in e for e in by_line[10].errors)
    assert not plan.can_apply
    body = page.content.decode()
    assert "Nothing can be applied while any row has an error" in body
    not_on_roll = {t.bmx_id for t in plan.not_on_roll}
    assert 129202 in not_on_roll and 129201 not in not_on_roll  # listed, never moved out
    assert "Tenants not on the rent roll (not moved out)" in body
    assert sandbox.state()["tenants"] == before
    assert not RentRollImport.objects.exists() and not TenantMove.objects.exists()


def test_files_that_cannot_be_read_say_why(crimson, sandbox, client_for):
    manager = client_for(crimson.manager)

    no_columns = upload(manager, crimson, "flat,unit\n2B,x\n")
    not_utf8 = manager.post(
        roll_url(crimson), {"file": SimpleUploadedFile("r.csv", "unit,name,email\n2B,Zoë,z@x.test\n".encode("utf-16"))}
    )

    assert no_columns.status_code == 400 and "missing: name, email" in no_columns.content.decode()
    assert not_utf8.status_code == 400 and "CSV UTF-8" in not_utf8.content.decode()


def test_applying_moves_everyone_in_at_once(crimson, sandbox, client_for):
    manager = client_for(crimson.manager)
    text = (
        HEADER
        + "2B,Ana Ortiz,ana@example.test,2125550123,\n"
        + "4A,Ben Brook,ben@example.test,,\n"
        + "4B,Rosa Resident,resident@sandbox.test,,\n"
    )
    preview = upload(manager, crimson, text)
    roll = preview.context["apply_form"].initial["roll"]

    answer = manager.post(roll_url(crimson, "apply"), {"roll": roll}, follow=True)

    assert "Rent roll applied: 2 tenants moved in" in answer.content.decode()
    made = {t["email"]: t for t in sandbox.state()["tenants"]}
    assert made["ana@example.test"]["unit"]["id"] == 101304 and made["ben@example.test"]["unit"]["id"] == UNIT_4A
    assert {made[e]["registration_status"] for e in ("ana@example.test", "ben@example.test")} == {"invited"}
    assert TenantRecord.objects.filter(email__in=["ana@example.test", "ben@example.test"], is_active=True).count() == 2
    done = RentRollImport.objects.get()
    assert (done.status, done.moved_in, done.started_by) == ("done", 2, crimson.manager)
    assert TenantMove.objects.filter(action="moved_in", source="rent_roll", actor=crimson.manager).count() == 2
    # The same file again: everyone lives there now, nothing to apply.
    again = upload(manager, crimson, text)
    assert not again.context["plan"].can_apply and len(again.context["plan"].stays) == 3


def test_a_refusal_after_some_tenants_were_made_undoes_them_all(crimson, sandbox, client_for):
    manager = client_for(crimson.manager)
    text = HEADER + "2B,Ana Ortiz,ana@example.test,,\n3B,Ben Brook,ben@example.test,,\n4A,Cy Cole,cy@example.test,,\n"
    roll = upload(manager, crimson, text).context["apply_form"].initial["roll"]
    # Unit 4A is removed in ButterflyMX after the roster sync: ButterflyMX refuses the third row.
    admin = sandbox.password_token("admin@sandbox.test")
    assert sandbox.api("DELETE", f"/v4/buildings/11743/units/{UNIT_4A}", admin).status_code == 204
    before = emails_at_butterflymx(sandbox)

    page = manager.post(roll_url(crimson, "apply"), {"roll": roll})

    body = page.content.decode()
    assert "ButterflyMX refused the rent roll" in body and "Line 4 (cy@example.test) was refused" in body
    assert "were deleted again, so ButterflyMX is as it was" in body
    assert emails_at_butterflymx(sandbox) == before  # Ana and Ben were made, then deleted
    assert not {"ana@example.test", "ben@example.test", "cy@example.test"} & before
    assert not TenantRecord.objects.filter(email__in=["ana@example.test", "ben@example.test"]).exists()
    record = RentRollImport.objects.get()
    assert (record.status, record.moved_in) == ("undone", 0)
    undone = TenantMove.objects.filter(action="move_in_undone")
    assert sorted(undone.values_list("email", flat=True)) == ["ana@example.test", "ben@example.test"]
    assert not TenantMove.objects.filter(action="moved_in").exists()


def test_an_undo_that_fails_too_is_said_and_the_tenant_left_is_mirrored(crimson, sandbox, client_for):
    manager = client_for(crimson.manager)
    text = HEADER + "2B,Ana Ortiz,ana@example.test,,\n3B,Ben Brook,ben@example.test,,\n4A,Cy Cole,cy@example.test,,\n"
    roll = upload(manager, crimson, text).context["apply_form"].initial["roll"]
    admin = sandbox.password_token("admin@sandbox.test")
    sandbox.api("DELETE", f"/v4/buildings/11743/units/{UNIT_4A}", admin)
    sandbox.fault(path="/v4/tenants/*", method="DELETE", status=503, count=1)  # the first undo (Ana) fails

    body = manager.post(roll_url(crimson, "apply"), {"roll": roll}).content.decode()

    at_bmx = emails_at_butterflymx(sandbox)
    assert "ana@example.test" in at_bmx and "ben@example.test" not in at_bmx
    assert "could not be deleted again" in body and "Ana Ortiz, unit 2B" in body
    ana = TenantRecord.objects.get(email="ana@example.test")  # the truth, so it can be moved out
    assert ana.is_active and ana.unit.label == "2B"
    assert RentRollImport.objects.get().status == "incomplete"
    assert TenantMove.objects.get(action="moved_in").tenant == ana
    assert TenantMove.objects.get(action="move_in_undone").email == "ben@example.test"


def test_one_import_at_a_time_and_only_a_fresh_preview_of_this_building(crimson, sandbox, client_for):
    manager = client_for(crimson.manager)
    roll = upload(manager, crimson, HEADER + "2B,Ana Ortiz,ana@example.test,,\n").context["apply_form"].initial["roll"]
    running = RentRollImport.objects.create(building=crimson.crimson, started_by=crimson.other_manager)

    busy = manager.post(roll_url(crimson, "apply"), {"roll": roll}, follow=True)
    forged = manager.post(roll_url(crimson, "apply"), {"roll": "not-a-signed-roll"}, follow=True)

    assert "Another rent-roll import of this building is running" in busy.content.decode()
    assert "upload the file again" in forged.content.decode()
    assert "ana@example.test" not in emails_at_butterflymx(sandbox)
    running.delete()
    other = crimson.lakeshore
    assert manager.post(f"/link/buildings/{other.pk}/tenants/import/apply/", {"roll": roll}).status_code == 404
    assert "ana@example.test" not in emails_at_butterflymx(sandbox)
