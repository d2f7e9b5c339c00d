"""ButterflyMX's refusals become field errors; a failure between the calls leaves no working keychain."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from passes import services
from passes.models import Pass
from passes.rules import Window
from passes.services import PassInput
from tests.passes.helpers import local_now, pass_input, window_for_kind

NY = ZoneInfo("America/New_York")
TODAY_ONLY = {"start_date": dt.date.today(), "end_date": dt.date.today()}


def raw_input(kind="custom", name="Raw", doors=(), **window) -> PassInput:
    """A request that skips our own rules, to see what ButterflyMX answers."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    defaults = {"starts_at": now, "ends_at": now + dt.timedelta(hours=1)}
    return PassInput(kind=kind, name=name, window=Window(**{**defaults, **window}), doors=list(doors))


def keychain_names(sandbox) -> list[str]:
    return [k["name"] for k in sandbox.state()["keychains"]]


@pytest.mark.parametrize(
    ("kind", "window", "fields"),
    [
        ("custom", {"ends_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)}, {"starts_at", "ends_at"}),
        ("custom", {"ends_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=400)}, {"ends_at"}),
        (
            "recurring",
            {**TODAY_ONLY, "time_from": dt.time(17), "time_to": dt.time(9), "weekdays": ["mon"]},
            {"time_from", "time_to"},
        ),
        (
            "recurring",
            {**TODAY_ONLY, "time_from": dt.time(9), "time_to": dt.time(17), "weekdays": []},
            {"weekdays"},
        ),
    ],
)  # fmt: skip
def test_each_butterflymx_422_becomes_a_field_error(kind, window, fields, bmx, sandbox):
    with pytest.raises(services.PassError) as caught:
        services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=raw_input(kind, **window))

    assert fields <= set(caught.value.errors)
    assert all(m.startswith("ButterflyMX:") for msgs in caught.value.errors.values() for m in msgs)
    assert not Pass.objects.exists()
    assert "Raw" not in keychain_names(sandbox)


def test_a_door_the_resident_may_not_use_is_a_doors_error(bmx, sandbox):
    with pytest.raises(services.PassError) as caught:
        services.pass_create(actor=bmx.nina, residency=bmx.nina_residency, data=raw_input(doors=[bmx.doors[3904]]))

    assert "doors" in caught.value.errors


def test_a_tenancy_butterflymx_does_not_let_this_account_use_is_a_form_error(bmx, sandbox):
    bmx.rosa_residency.bmx_tenant_id = 129206  # a tenant of another building
    with pytest.raises(services.PassError) as caught:
        services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=raw_input())

    assert None in caught.value.errors
    assert not Pass.objects.exists()


def test_the_form_shows_butterflymx_422_next_to_the_field(bmx, sandbox, client):
    # Given ButterflyMX's clock runs three days behind, so an end 364 days out is over a year for it
    sandbox.advance(days=-3)
    end = local_now(NY) + dt.timedelta(days=364)
    client.force_login(bmx.rosa)

    response = client.post(
        "/passes/new/",
        {
            "residency": bmx.rosa_residency.pk,
            "kind": "custom",
            "name": "Long stay",
            "starts_at": local_now(NY).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert any("ButterflyMX" in m for m in form.errors["ends_at"])
    assert not Pass.objects.exists()


def test_a_failure_after_the_keychain_removes_the_keychain_at_butterflymx(bmx, sandbox):
    sandbox.fault("/v4/virtual_keys", method="POST", status=500, count=1)

    with pytest.raises(services.PassError) as caught:
        services.pass_create(
            actor=bmx.rosa, residency=bmx.rosa_residency,
            data=pass_input("custom", tz=NY, name="Half made", **window_for_kind("custom", NY)),
        )  # fmt: skip

    assert caught.value.pass_obj is None
    assert "Half made" not in keychain_names(sandbox)
    assert not Pass.objects.exists()


def test_when_even_the_undo_fails_the_pass_is_kept_as_failed_then_cleaned_up_and_retried(bmx, sandbox, client):
    # Given the key call and the keychain delete both fail
    sandbox.fault("/v4/virtual_keys", method="POST", status=500, count=1)
    sandbox.fault("/v4/keychains/*", method="DELETE", status=503, count=1)
    data = pass_input("custom", tz=NY, name="Stuck", **window_for_kind("custom", NY))

    with pytest.raises(services.PassError) as caught:
        services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)

    # Then the pass is shown as failed, with its keychain, to its owner
    failed = caught.value.pass_obj
    assert failed.status == Pass.Status.FAILED and failed.bmx_keychain_id
    client.force_login(bmx.rosa)
    page = client.get(f"/passes/{failed.pk}/").content.decode()
    assert "Retry" in page and "Remove" in page
    assert "could not be completed" in client.get("/passes/").content.decode()

    # When the periodic cleanup runs, the keychain is gone at ButterflyMX; the row stays for the person
    assert services.failed_passes_cleanup() == 1
    assert "Stuck" not in keychain_names(sandbox)
    failed.refresh_from_db()
    assert failed.status == Pass.Status.FAILED and failed.bmx_keychain_id is None

    # And Retry creates it again
    response = client.post(f"/passes/{failed.pk}/retry/")
    new = Pass.objects.get(status=Pass.Status.ACTIVE)
    assert response.status_code == 302 and response["Location"] == f"/passes/{new.pk}/"
    assert not Pass.objects.filter(pk=failed.pk).exists()
    assert keychain_names(sandbox).count("Stuck") == 1


def test_a_resident_without_a_working_link_is_told_to_link_first(bmx, sandbox):
    link = bmx.rosa_residency.link
    link.status = "needs_relink"
    link.save()

    with pytest.raises(services.PassError) as caught:
        services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=raw_input())

    assert "Link your ButterflyMX account" in caught.value.message
