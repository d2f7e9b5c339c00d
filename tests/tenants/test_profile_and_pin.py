"""A resident's profile (portal next to ButterflyMX) and PIN, through the pages and /api/me."""

from __future__ import annotations

import pytest

from tests import factories as f

from .helpers import link_by_password

pytestmark = pytest.mark.django_db


@pytest.fixture
def rosa(sandbox, client):
    user = f.UserFactory(email="rosa@example.test", first_name="R", last_name="R")
    link_by_password(user, "resident@sandbox.test")
    client.force_login(user)
    return user


def sandbox_pin(sandbox, tenant_id=129201):
    return [t["code"] for t in sandbox.state()["access_tools"] if t["tenant_id"] == tenant_id and t["type"] == "pin"]


def test_the_profile_shows_what_butterflymx_holds_next_to_the_portal(rosa, client):
    page = client.get("/profile/")

    assert page.status_code == 200
    assert b"Rosa Resident" in page.content and b"resident@sandbox.test" in page.content
    assert b"rosa@example.test" in page.content


def test_a_name_change_is_pushed_to_butterflymx_and_its_answer_shown(rosa, client, sandbox):
    page = client.post(
        "/profile/",
        {"first_name": "Rosalind", "last_name": "Resident", "phone": "+1 212 555 0100", "push": "on"},
        follow=True,
    )

    rosa.refresh_from_db()
    assert (rosa.first_name, rosa.phone) == ("Rosalind", "+1 212 555 0100")
    assert b"ButterflyMX accepted the new name" in page.content
    tenant = next(t for t in sandbox.state()["tenants"] if t["id"] == 129201)
    assert tenant["first_name"] == "Rosalind"


def test_a_bad_phone_is_a_field_error_and_nothing_is_saved(rosa, client):
    page = client.post("/profile/", {"first_name": "X", "last_name": "", "phone": "call me maybe"})

    assert page.status_code == 200 and b"Enter a phone number" in page.content
    rosa.refresh_from_db()
    assert rosa.first_name == "R"


def test_the_pin_is_masked_until_revealed(rosa, client):
    masked = client.get("/profile/pin/")
    revealed = client.get("/profile/pin/?reveal=1")

    assert b"483920" not in masked.content and "••••••".encode() in masked.content
    assert b"483920" in revealed.content
    assert "no-store" in revealed["Cache-Control"]


def test_a_resident_changes_their_pin(rosa, client, sandbox):
    page = client.post("/profile/pin/", {"code": "502718"})

    assert b"ButterflyMX accepted your new PIN" in page.content
    assert sandbox_pin(sandbox) == ["502718"]


def test_a_weak_pin_is_refused_before_anything_is_sent(rosa, client, sandbox):
    sandbox.fault("/v4/access_tools/pins/*", status=500)  # would show if anything were sent

    page = client.post("/profile/pin/", {"code": "123456"})

    assert b"isn&#x27;t strong enough" in page.content
    assert sandbox_pin(sandbox) == ["483920"]


def test_butterflymx_refusing_a_pin_is_shown_as_a_field_error(rosa, client, sandbox):
    page = client.post("/profile/pin/", {"code": "572913"})  # the two-homes tenant's PIN in the building

    assert b"has already been taken" in page.content and b"invalid-feedback" in page.content
    assert sandbox_pin(sandbox) == ["483920"]


def test_a_legacy_four_digit_pin_is_accepted(rosa, client, sandbox):
    client.post("/profile/pin/", {"code": "2580"})

    assert sandbox_pin(sandbox) == ["2580"]


def test_a_generated_pin_is_strong_and_shown_once(rosa, client, sandbox):
    page = client.post("/profile/pin/", {"generate": "1"})

    [code] = sandbox_pin(sandbox)
    assert code != "483920" and len(code) == 6
    assert code.encode() in page.content


def test_the_api_reports_the_link_and_tenancies(rosa, client):
    data = client.get("/api/me/link/").json()

    assert data["links"][0]["kind"] == "tenant" and data["links"][0]["status"] == "active"
    assert "access_token" not in data["links"][0]
    assert data["tenancies"][0]["unit"] == "4B" and data["tenancies"][0]["is_primary"]


def test_the_api_profile_shows_both_sides_and_pushes_a_change(rosa, client, sandbox):
    before = client.get("/api/me/profile/").json()
    after = client.patch("/api/me/profile/", {"first_name": "Rosita"}, content_type="application/json").json()

    assert before["butterflymx"]["first_name"] == "Rosa"
    assert after["portal"]["first_name"] == "Rosita" and after["butterflymx_updated"]


def test_the_api_pin_is_masked_unless_revealed_and_can_be_set(rosa, client, sandbox):
    masked = client.get("/api/me/pin/")
    revealed = client.get("/api/me/pin/?reveal=1").json()
    weak = client.post("/api/me/pin/", {"code": "111111"}, content_type="application/json")
    good = client.post("/api/me/pin/", {"code": "502718"}, content_type="application/json")

    assert masked.json()["pin"] == "••••••" and "no-store" in masked["Cache-Control"]
    assert revealed["pin"] == "483920"
    assert weak.status_code == 400 and "strong enough" in weak.json()["errors"]["code"][0]
    assert good.status_code == 200 and sandbox_pin(sandbox) == ["502718"]


def test_someone_without_a_linked_tenancy_has_no_pin_endpoint(world, client):
    client.force_login(world.alice)

    assert client.get("/api/me/pin/").status_code == 404
    assert client.post("/profile/pin/", {"code": "502718"}).status_code == 404
