"""A resident's profile (portal next to ButterflyMX) and PIN, through the pages and /api/me."""

from __future__ import annotations

import time

import pytest

from tenants.pin_rules import REFUSED
from tenants.profile import pad_refusal
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

    assert str(REFUSED) in page.content.decode().replace("&#x27;", "'")
    assert sandbox_pin(sandbox) == ["483920"]


def test_a_pin_someone_else_uses_is_refused_with_the_generic_words(rosa, client, sandbox):
    page = client.post("/profile/pin/", {"code": "572913"})  # the two-homes tenant's PIN in the building

    assert str(REFUSED) in page.content.decode() and b"invalid-feedback" in page.content
    assert b"taken" not in page.content and b"already" not in page.content
    assert sandbox_pin(sandbox) == ["483920"]


@pytest.mark.parametrize("code", ["1111", "1234", "2580", "123456", "111111", "121212", "12345", "1234567"])
def test_a_new_short_or_weak_pin_is_refused_and_nothing_is_sent(rosa, client, sandbox, code):
    sandbox.fault("/v4/access_tools/pins/*", status=500)  # would show if anything were sent

    page = client.post("/profile/pin/", {"code": code})

    assert str(REFUSED) in page.content.decode()
    assert sandbox_pin(sandbox) == ["483920"]


def test_a_legacy_four_digit_pin_is_shown_and_kept(sandbox, client):
    nina = f.UserFactory(email="nina@example.test")
    link_by_password(nina, "neighbor@sandbox.test")
    client.force_login(nina)

    masked = client.get("/profile/pin/")
    revealed = client.get("/profile/pin/?reveal=1")
    same_again = client.post("/profile/pin/", {"code": "4821"})  # no new 4-digit PIN, not even the same one

    assert "••••".encode() in masked.content and b'data-testid="pin-legacy"' in masked.content
    assert b"4821" in revealed.content
    assert str(REFUSED) in same_again.content.decode()
    assert sandbox_pin(sandbox, tenant_id=129205) == ["4821"]


def _error_text(page) -> str:
    """The PIN field's error message as the person reads it."""
    html = page.content.decode()
    start = html.index('id="id_code-errors"')
    return html[html.index(">", start) + 1 : html.index("</div>", start)]


def test_a_taken_pin_and_a_weak_pin_are_refused_with_identical_words(rosa, client, sandbox):
    taken = client.post("/profile/pin/", {"code": "572913"})
    weak = client.post("/profile/pin/", {"code": "111111"})
    short = client.post("/profile/pin/", {"code": "4711"})

    assert _error_text(taken) == _error_text(weak) == _error_text(short) != ""
    api_taken = client.post("/api/me/pin/", {"code": "572913"}, content_type="application/json")
    api_weak = client.post("/api/me/pin/", {"code": "111111"}, content_type="application/json")
    assert api_taken.status_code == api_weak.status_code == 400
    assert api_taken.json() == api_weak.json()


def test_every_refused_pin_takes_at_least_the_configured_floor(rosa, client, sandbox, settings):
    # The floor is the only timing the test asserts: a lower bound, never an upper one.
    settings.PIN_REFUSAL_FLOOR_S = 0.3
    durations = {}
    for label, code in (("weak", "123456"), ("taken", "572913"), ("short", "4711")):
        started = time.monotonic()
        page = client.post("/profile/pin/", {"code": code})
        durations[label] = time.monotonic() - started
        assert str(REFUSED) in page.content.decode()

    assert all(seconds >= 0.3 for seconds in durations.values()), durations


def test_the_padding_waits_out_the_rest_of_the_floor_only():
    started = time.monotonic()
    pad_refusal(started, 0.2)
    first = time.monotonic() - started
    late = time.monotonic() - 1.0  # an attempt that already took longer than the floor
    before = time.monotonic()
    pad_refusal(late, 0.2)

    assert first >= 0.2
    assert time.monotonic() - before < 0.2


def test_pin_changes_are_limited_per_person_on_the_page(rosa, client, sandbox, settings):
    settings.PIN_CHANGE_LIMIT = 3
    client.post("/profile/pin/", {"code": "123456"})  # refused attempts count too
    client.post("/profile/pin/", {"code": "502718"})
    client.post("/profile/pin/", {"generate": "1"})
    before = sandbox_pin(sandbox)

    limited = client.post("/profile/pin/", {"code": "640173"})

    text = limited.content.decode()
    assert limited.status_code == 200 and "Too many PIN changes" in text and "try again in" in text
    assert sandbox_pin(sandbox) == before


def test_pin_changes_are_limited_per_person_on_the_api(rosa, client, sandbox, settings):
    settings.PIN_CHANGE_LIMIT = 2
    client.post("/api/me/pin/", {"code": "111111"}, content_type="application/json")
    client.post("/api/me/pin/", {"code": "502718"}, content_type="application/json")

    limited = client.post("/api/me/pin/", {"code": "640173"}, content_type="application/json")

    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= settings.PIN_CHANGE_WINDOW_S
    body = limited.json()
    assert body["code"] == "rate_limited" and "Too many PIN changes" in body["detail"] and body["errors"] == {}
    assert "no-store" in limited["Cache-Control"]
    assert sandbox_pin(sandbox) == ["502718"]


def test_the_pin_limit_of_one_person_leaves_another_alone(rosa, client, sandbox, settings):
    settings.PIN_CHANGE_LIMIT = 1
    client.post("/profile/pin/", {"code": "502718"})
    assert "Too many PIN changes" in client.post("/profile/pin/", {"code": "640173"}).content.decode()
    nina = f.UserFactory(email="nina@example.test")
    link_by_password(nina, "neighbor@sandbox.test")
    client.force_login(nina)

    page = client.post("/profile/pin/", {"code": "640173"})

    assert b"ButterflyMX accepted your new PIN" in page.content
    assert sandbox_pin(sandbox, tenant_id=129205) == ["640173"]


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
    assert weak.status_code == 400 and weak.json()["errors"]["code"] == [REFUSED]
    assert good.status_code == 200 and sandbox_pin(sandbox) == ["502718"]


def test_someone_without_a_linked_tenancy_has_no_pin_endpoint(world, client):
    client.force_login(world.alice)

    assert client.get("/api/me/pin/").status_code == 404
    assert client.post("/profile/pin/", {"code": "502718"}).status_code == 404
