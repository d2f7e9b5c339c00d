"""Who sees and revokes which pass: out of scope is a 404, for pages and API alike."""

from __future__ import annotations

import pytest

from passes.models import Pass
from tests import factories as f
from tests.passes.conftest import make_pass


@pytest.fixture
def other_manager(world):
    user = f.UserFactory(email="other-manager@example.test")
    f.MembershipFactory(user=user, building=world.building_b, role="manager")
    return user


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_a_resident_cannot_see_or_revoke_another_units_pass(persona, world, alices_pass, client_for):
    client = client_for(world.persona(persona))

    assert client.get(f"/passes/{alices_pass.pk}/").status_code == 404
    assert client.post(f"/passes/{alices_pass.pk}/revoke/").status_code == 404
    assert client.get(f"/api/passes/{alices_pass.pk}/").status_code == 404
    assert client.post(f"/api/passes/{alices_pass.pk}/revoke/").status_code == 404
    assert "Alice&#x27;s guest" not in client.get("/passes/?state=all").content.decode()
    alices_pass.refresh_from_db()
    assert alices_pass.status == Pass.Status.ACTIVE


def test_a_manager_of_another_building_cannot_see_or_revoke_the_pass(world, alices_pass, other_manager, client_for):
    client = client_for(other_manager)

    assert client.get(f"/passes/{alices_pass.pk}/").status_code == 404
    assert client.post(f"/passes/{alices_pass.pk}/revoke/").status_code == 404
    assert client.get("/api/passes/?state=all").json()["count"] == 0


@pytest.mark.parametrize("persona", ["alice", "staff", "manager"])
def test_the_resident_and_the_buildings_staff_see_the_pass(persona, world, alices_pass, client_for):
    client = client_for(world.persona(persona))

    assert client.get(f"/passes/{alices_pass.pk}/").status_code == 200
    assert "Alice&#x27;s guest" in client.get("/passes/?state=active").content.decode()
    assert [p["id"] for p in client.get("/api/passes/").json()["results"]] == [alices_pass.pk]


def test_staff_can_create_for_any_resident_of_their_building_only(world, client_for):
    page = client_for(world.staff).get("/passes/new/")

    choices = {r.pk for r in page.context["form"].fields["residency"].queryset}
    assert choices == {world.alice.residencies.get().pk, world.bob.residencies.get().pk}


def test_a_resident_cannot_create_a_pass_for_a_neighbour(world, client_for):
    response = client_for(world.alice).post(
        "/passes/new/", {"residency": world.bob.residencies.get().pk, "kind": "delivery", "name": "x"}
    )

    assert response.status_code == 200
    assert "residency" in response.context["form"].errors
    assert not Pass.objects.exists()


def test_a_resident_cannot_pick_a_door_they_are_not_assigned(world, client_for):
    response = client_for(world.alice).post(
        "/passes/new/",
        {"residency": world.alice.residencies.get().pk, "kind": "full_day", "name": "x", "day": "2099-01-01",
         "doors": [world.door_a2.pk]},
    )  # fmt: skip

    assert "doors" in response.context["form"].errors


def test_the_list_filters_by_state(world, client_for):
    import datetime as dt

    from django.utils import timezone

    residency = world.alice.residencies.get()
    now = timezone.now()
    make_pass(residency, name="Soon", starts=now + dt.timedelta(days=1), ends=now + dt.timedelta(days=2))
    make_pass(residency, name="Done", starts=now - dt.timedelta(days=2), ends=now - dt.timedelta(days=1))
    make_pass(residency, name="Gone", status="revoked")
    make_pass(residency, kind="one_time", name="Plumber", first_used_at=now - dt.timedelta(minutes=20), use_count=1)
    make_pass(residency, name="Now")
    client = client_for(world.alice)

    def names(state):
        return {p.name for p, _ in client.get(f"/passes/?state={state}").context["passes"]}

    assert names("upcoming") == {"Soon"}
    assert names("expired") == {"Done"}
    assert names("revoked") == {"Gone"}
    assert names("used") == {"Plumber"}
    assert names("active") == {"Now"}


def test_a_stale_list_enqueues_one_refresh_and_renders_without_butterflymx(
    world, client_for, django_capture_on_commit_callbacks
):
    make_pass(world.alice.residencies.get(), name="Stale", bmx_keychain_id=99, usage_refreshed_at=None)
    client = client_for(world.alice)

    with django_capture_on_commit_callbacks() as callbacks:
        first = client.get("/passes/")
        second = client.get("/passes/")

    assert first.context["refreshing"] and not second.context["refreshing"]
    assert len(callbacks) == 1
    # the table reloads when the refresh is done (pass_usage_refresh announces it), not on a timer
    assert 'hx-trigger="live:passes.changed from:body, live:fallback from:body"' in first.content.decode()
    assert "Updating use counts" in first.content.decode() and "Updating use counts" not in second.content.decode()


def test_the_one_hour_preset_fills_a_custom_pass_from_now_in_the_buildings_zone(world, client_for):
    form = client_for(world.alice).get("/passes/new/?preset=hour").context["form"]

    start, end = form.initial["starts_at"], form.initial["ends_at"]
    assert form.initial["kind"] == "custom" and (end - start).total_seconds() == 3600
    assert start.tzinfo is None  # building-local wall-clock, as the input shows it
