"""Staff and managers make a pass for a ButterflyMX tenant of their building who has no portal account:
created at the sandbox through the building-admin link (the document lets a building-admin token name
any tenant of its buildings), all or nothing, and only inside their own buildings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from passes import services, sharing
from passes.models import Pass
from passes.sharing import qr_payload
from tenants.models import Membership, RosterSync, TenantRecord
from tenants.roster import roster_sync_run
from tests import factories as f

NY = ZoneInfo("America/New_York")
FRONT_DOOR = 3901


@pytest.fixture
def roster(bmx):
    roster_sync_run(sync_id=RosterSync.objects.create(link=bmx.crimson.admin_link).pk)
    return TenantRecord.objects.select_related("unit").get(building=bmx.crimson, first_name="Duncan")


def window() -> dict:
    start = dt.datetime.now(NY).replace(second=0, microsecond=0, tzinfo=None) + dt.timedelta(minutes=5)
    fmt = "%Y-%m-%dT%H:%M"
    return {"starts_at": start.strftime(fmt), "ends_at": (start + dt.timedelta(hours=2)).strftime(fmt)}


def test_staff_make_a_pass_for_a_tenant_without_an_account_and_it_opens_the_entrance(bmx, roster, sandbox, client):
    staff = f.UserFactory(email="desk@example.test")
    Membership.objects.create(user=staff, building=bmx.crimson, role="staff")
    client.force_login(staff)
    url = f"/passes/new/tenant/{roster.pk}/"

    form = client.get(url)
    answer = client.post(url, {"kind": "custom", "name": "Plumber", **window()})

    assert form.status_code == 200 and "Duncan Idaho" in form.content.decode()
    assert answer.status_code == 302, answer.content.decode()[:2000]
    made = Pass.objects.get(name="Plumber")
    assert made.residency is None and made.unit == roster.unit and made.link == bmx.crimson.admin_link
    assert made.created_by == staff and made.status == Pass.Status.ACTIVE
    keychain = {k["id"]: k for k in sandbox.state()["keychains"]}[made.bmx_keychain_id]
    assert keychain["tenant_id"] == roster.bmx_id
    sandbox.set_clock((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).isoformat())
    assert sandbox.use_key(access_point_id=FRONT_DOOR, qr=qr_payload(made.keys.get()))["granted"]
    # The tenant's pass shows to the building's staff, and can be revoked.
    page = client.get(f"/passes/{made.pk}/")
    assert page.status_code == 200 and "· Duncan Idaho <span" in page.content.decode()  # the pass names its tenant
    assert made.tenant == roster and sharing.inviter_name(made) == "Duncan Idaho"  # the guest's host, not staff
    assert "Duncan Idaho" in client.get("/passes/?state=upcoming").content.decode()  # the list's "Resident" column
    services.pass_revoke(pass_obj=made, actor=staff)
    assert made.bmx_keychain_id not in {k["id"] for k in sandbox.state()["keychains"]}


def test_outside_their_buildings_and_for_residents_the_tenant_form_is_404(bmx, roster, sandbox):
    elsewhere = Client()
    elsewhere.force_login(bmx.other_manager)  # a manager of Lakeshore, not Crimson
    resident = Client()
    resident.force_login(bmx.rosa)
    url = f"/passes/new/tenant/{roster.pk}/"

    assert elsewhere.get(url).status_code == 404
    assert elsewhere.post(url, {"kind": "custom", "name": "X", **window()}).status_code == 404
    assert resident.get(url).status_code == 404
    assert not Pass.objects.exists()


def test_a_tenant_with_a_portal_account_goes_to_the_ordinary_form(bmx, roster, sandbox, client):
    rosa = TenantRecord.objects.get(building=bmx.crimson, bmx_id=bmx.rosa_residency.bmx_tenant_id)
    client.force_login(bmx.manager)

    answer = client.get(f"/passes/new/tenant/{rosa.pk}/")

    assert (answer.status_code, answer.url) == (302, f"/passes/new/?residency={bmx.rosa_residency.pk}")


def test_the_service_refuses_a_resident_acting_for_a_tenant_and_writes_nothing(bmx, roster, sandbox):
    from tests.passes.helpers import pass_input, window_for_kind

    data = pass_input("custom", tz=NY, name="Sneaky", **window_for_kind("custom", NY))
    before = len(sandbox.state()["keychains"])
    with pytest.raises(services.PassError, match="Only the building's staff and managers"):
        services.pass_create(actor=bmx.rosa, tenant=roster, data=data)
    assert not Pass.objects.exists() and len(sandbox.state()["keychains"]) == before


def test_staff_pick_any_tenant_of_their_buildings_by_unit(bmx, roster, sandbox):
    staff = f.UserFactory(email="desk@example.test")
    Membership.objects.create(user=staff, building=bmx.crimson, role="staff")
    desk, elsewhere = Client(), Client()
    desk.force_login(staff)
    elsewhere.force_login(bmx.other_manager)

    html = desk.get("/passes/new/tenants/").content.decode()
    other = elsewhere.get("/passes/new/tenants/").content.decode()

    assert "Unit 1A" in html and f"/passes/new/tenant/{roster.pk}/" in html  # no account: the tenant form
    assert f"/passes/new/?residency={bmx.rosa_residency.pk}" in html  # an account: the ordinary form
    assert "Duncan Idaho" not in other  # Lakeshore's manager sees Lakeshore's tenants only
    assert "For a tenant without a portal account" in desk.get("/passes/new/").content.decode()
