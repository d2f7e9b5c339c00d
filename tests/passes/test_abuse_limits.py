"""Hourly limits on passes and on messages (e-mail and text shares, and recipients ButterflyMX writes
to), per person and per building: claimed before anything is sent or ButterflyMX is called, refused
with a clear message (a form error, or 429 + Retry-After on the API), and nothing counted that did
not happen."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from passes import sms
from passes.models import Pass
from portal.core.limits import rate_count
from tests.passes.conftest import make_pass

NY = ZoneInfo("America/New_York")
HOUR = 3600


class BrokenSmsBackend:
    """An SMS provider that is down."""

    def send(self, to: str, body: str) -> None:
        raise ConnectionError("provider unreachable")


def keychain_count(sandbox) -> int:
    return len(sandbox.state()["keychains"])


def create_on_page(client, residency, name="Parcel"):
    return client.post("/passes/new/", {"residency": residency.pk, "kind": "delivery", "name": name})


def create_on_api(client, residency, name="Guest", recipients=()):
    today = dt.datetime.now(NY).date().isoformat()
    return client.post(
        "/api/passes/",
        {"residency": residency.pk, "kind": "one_time", "name": name, "day": today, "recipients": list(recipients)},
        content_type="application/json",
    )


def share(client, key, to):
    return client.post(f"/passes/keys/{key.pk}/share/", {"to": to}, follow=True)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


# --- Passes --------------------------------------------------------------------------------------


def test_a_resident_past_their_hourly_passes_gets_a_form_error_and_butterflymx_is_not_called(
    bmx, sandbox, client, settings
):
    settings.PORTAL_LIMIT_PASSES_PER_PERSON = 2
    client.force_login(bmx.rosa)
    assert create_on_page(client, bmx.rosa_residency, "One").status_code == 302
    assert create_on_page(client, bmx.rosa_residency, "Two").status_code == 302
    before = keychain_count(sandbox)
    sandbox.fault("/v4/keychains/*", status=500)  # would show if ButterflyMX were called

    page = create_on_page(client, bmx.rosa_residency, "Three")

    text = page.content.decode()
    assert page.status_code == 200 and "reached your limit of 2 passes an hour" in text and "Try again in" in text
    assert sorted(Pass.objects.values_list("name", flat=True)) == ["One", "Two"]
    assert keychain_count(sandbox) == before
    assert rate_count(key=f"pass:b:{bmx.crimson.pk}:u:{bmx.rosa.pk}", window_s=HOUR) == 2


def test_the_api_refuses_past_the_limit_with_429_retry_after_and_the_error_shape(bmx, sandbox, client, settings):
    settings.PORTAL_LIMIT_PASSES_PER_PERSON = 1
    client.force_login(bmx.rosa)
    assert create_on_api(client, bmx.rosa_residency, "First").status_code == 201
    before = keychain_count(sandbox)

    refused = create_on_api(client, bmx.rosa_residency, "Second")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= HOUR
    body = refused.json()
    assert body["code"] == "rate_limited" and "limit of 1 pass an hour" in body["detail"]
    assert set(body) >= {"detail", "code", "errors"}
    assert Pass.objects.count() == 1 and keychain_count(sandbox) == before


def test_the_building_limit_counts_every_resident_together(bmx, sandbox, client, settings):
    settings.PORTAL_LIMIT_PASSES_PER_BUILDING = 2
    client.force_login(bmx.rosa)
    create_on_api(client, bmx.rosa_residency, "Rosa's")
    client.force_login(bmx.nina)
    create_on_api(client, bmx.nina_residency, "Nina's")

    refused = create_on_api(client, bmx.nina_residency, "Nina's second")

    assert refused.status_code == 429 and "Crimson Tower has reached its limit of 2 passes" in refused.json()["detail"]
    # the person's count was rolled back with the building's refusal: nothing counted that did not happen
    assert rate_count(key=f"pass:b:{bmx.crimson.pk}:u:{bmx.nina.pk}", window_s=HOUR) == 1
    assert Pass.objects.count() == 2


def test_a_pass_butterflymx_refuses_gives_its_claim_back(bmx, sandbox, client, settings):
    settings.PORTAL_LIMIT_PASSES_PER_PERSON = 1
    client.force_login(bmx.rosa)
    sandbox.fault("/v4/keychains/*", method="POST", status=422, count=1)

    failed = create_on_api(client, bmx.rosa_residency, "Refused")
    works = create_on_api(client, bmx.rosa_residency, "Accepted")

    assert failed.status_code == 400 and works.status_code == 201
    assert list(Pass.objects.values_list("name", flat=True)) == ["Accepted"]


def test_recipients_count_as_messages_and_a_refusal_makes_no_pass(bmx, sandbox, client, settings):
    settings.PORTAL_LIMIT_MESSAGES_PER_PERSON = 1
    client.force_login(bmx.rosa)
    before = keychain_count(sandbox)

    refused = create_on_api(client, bmx.rosa_residency, recipients=["a@example.com", "+12125550100"])

    assert refused.status_code == 429 and "limit of 1 message an hour" in refused.json()["detail"]
    assert not Pass.objects.exists() and keychain_count(sandbox) == before
    assert rate_count(key=f"pass:b:{bmx.crimson.pk}:u:{bmx.rosa.pk}", window_s=HOUR) == 0


# --- Shares --------------------------------------------------------------------------------------


def test_a_person_past_their_hourly_messages_is_told_and_nothing_is_sent(world, client_for, settings):
    settings.PORTAL_LIMIT_MESSAGES_PER_PERSON = 2
    key = make_pass(world.alice.residencies.get()).keys.get()
    client = client_for(world.alice)
    share(client, key, "one@example.com")
    share(client, key, "(212) 555-0199")

    page = share(client, key, "(212) 555-0123")

    assert "reached your limit of 2 messages an hour at Building A" in page.content.decode()
    assert [m.to for m in mail.outbox] == [["one@example.com"]]
    assert [m.to for m in sms.outbox] == ["+12125550199"]


def test_the_building_message_limit_counts_residents_and_staff_together(world, client_for, settings):
    settings.PORTAL_LIMIT_MESSAGES_PER_BUILDING = 2
    key = make_pass(world.alice.residencies.get()).keys.get()
    share(client_for(world.alice), key, "one@example.com")
    share(client_for(world.staff), key, "two@example.com")

    page = share(client_for(world.alice), key, "three@example.com")

    assert "Building A has reached its limit of 2 messages an hour" in page.content.decode()
    assert len(mail.outbox) == 2


def test_a_message_the_provider_could_not_send_is_not_counted(world, client_for, settings):
    settings.PORTAL_LIMIT_MESSAGES_PER_PERSON = 1
    key = make_pass(world.alice.residencies.get()).keys.get()
    client = client_for(world.alice)
    settings.PASSES_SMS_BACKEND = "tests.passes.test_abuse_limits.BrokenSmsBackend"

    failed = share(client, key, "(212) 555-0199")

    assert "could not be sent just now" in failed.content.decode()
    assert rate_count(key=f"msg:b:{world.building_a.pk}:u:{world.alice.pk}", window_s=HOUR) == 0
    settings.PASSES_SMS_BACKEND = "passes.sms.LocmemBackend"
    assert "was sent to" in share(client, key, "(212) 555-0199").content.decode()
    assert [m.to for m in sms.outbox] == ["+12125550199"]


def test_a_retry_the_limit_refuses_keeps_the_failed_pass(world, client_for, settings):
    settings.PORTAL_LIMIT_PASSES_PER_PERSON = 0
    failed = make_pass(world.alice.residencies.get(), name="Half made", status="failed")

    page = client_for(world.alice).post(f"/passes/{failed.pk}/retry/", follow=True)

    assert "reached your limit of 0 passes an hour" in page.content.decode()
    assert Pass.objects.get(pk=failed.pk).status == Pass.Status.FAILED
