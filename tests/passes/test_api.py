"""The DRF endpoints: the same rules, the same scope, the same all-or-nothing creation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from passes.models import Pass

NY = ZoneInfo("America/New_York")


def test_a_resident_creates_a_recurring_pass_through_the_api_and_revokes_it(bmx, sandbox, client):
    client.force_login(bmx.rosa)
    today = dt.datetime.now(NY).date()

    created = client.post(
        "/api/passes/",
        {"residency": bmx.rosa_residency.pk, "kind": "recurring", "name": "Walker", "start_date": today.isoformat(),
         "end_date": (today + dt.timedelta(days=30)).isoformat(), "weekdays": ["mon", "wed"], "time_from": "12:00",
         "time_to": "13:00", "visitors": ["Walker A", "Walker B"]},
        content_type="application/json",
    )  # fmt: skip

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] in ("active", "upcoming") and body["time_zone"] == "America/New_York"
    assert [k["name"] for k in body["keys"]] == ["Walker A", "Walker B"]
    assert body["keys"][0]["share_url"].startswith("http://testserver/p/")
    revoked = client.post(f"/api/passes/{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert body["id"] not in [k["id"] for k in sandbox.state()["keychains"]]


def test_the_api_applies_the_same_rules_before_calling_butterflymx(world, client_for):
    response = client_for(world.alice).post(
        "/api/passes/",
        {"residency": world.alice.residencies.get().pk, "kind": "recurring", "name": "x", "start_date": "2099-01-01",
         "end_date": "2099-01-05", "weekdays": [], "time_from": "17:00", "time_to": "09:00"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400
    assert {"weekdays", "time_to"} <= set(response.json()["errors"])
    assert not Pass.objects.exists()


def test_the_api_refuses_a_pass_for_another_unit(world, client_for):
    response = client_for(world.alice).post(
        "/api/passes/",
        {"residency": world.charlie.residencies.get().pk, "kind": "delivery", "name": "x"},
        content_type="application/json",
    )

    assert response.status_code == 400 and "residency" in response.json()["errors"]
