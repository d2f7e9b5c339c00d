"""A building's usage limits page: managers of that building see each limit with this hour's usage
and change it; everyone else gets a 404; a raised limit applies at once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tenants.limits import MESSAGES, LimitReached, abuse_claim, effective_limits
from tenants.models import BuildingLimits
from tests.passes.conftest import make_pass

pytestmark = pytest.mark.django_db

FIELDS = ("messages_per_person", "messages_per_building", "passes_per_person", "passes_per_building")


def limits_url(building) -> str:
    return f"/link/buildings/{building.pk}/limits/"


def values(**changes) -> dict:
    return {**dict.fromkeys(FIELDS, ""), **{k: str(v) for k, v in changes.items()}}


def test_the_manager_sees_each_limit_with_its_default_and_this_hours_usage(world, client_for, settings):
    settings.PORTAL_LIMIT_MESSAGES_PER_BUILDING = 500
    key = make_pass(world.alice.residencies.get()).keys.get()
    for to in ("a@example.com", "b@example.com"):
        client_for(world.alice).post(f"/passes/keys/{key.pk}/share/", {"to": to})

    page = client_for(world.manager).get(limits_url(world.building_a))
    building_page = client_for(world.manager).get(f"/link/buildings/{world.building_a.pk}/")

    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    row = html[html.index('data-limit="messages_per_building"') :]
    assert '<td class="text-end">500' in row[:400] and '<td class="text-end">2</td>' in row[:400]
    assert "Default 20" in html and 'name="passes_per_person"' in html
    assert 'data-testid="limits-table"' in building_page.content.decode()
    assert limits_url(world.building_a) in building_page.content.decode()


def test_a_manager_raises_a_limit_and_the_higher_limit_applies(world, client_for, settings):
    settings.PORTAL_LIMIT_MESSAGES_PER_PERSON = 1
    key = make_pass(world.alice.residencies.get()).keys.get()
    alice = client_for(world.alice)
    alice.post(f"/passes/keys/{key.pk}/share/", {"to": "a@example.com"})
    refused = alice.post(f"/passes/keys/{key.pk}/share/", {"to": "b@example.com"}, follow=True)
    assert "limit of 1 message an hour" in refused.content.decode()

    saved = client_for(world.manager).post(limits_url(world.building_a), values(messages_per_person=3), follow=True)

    assert "Limits saved" in saved.content.decode()
    assert effective_limits(world.building_a)["messages_per_person"] == 3
    alice = client_for(world.alice)
    sent = alice.post(f"/passes/keys/{key.pk}/share/", {"to": "b@example.com"}, follow=True)
    assert "was sent to b@example.com" in sent.content.decode()
    assert [m.to for m in mail.outbox] == [["a@example.com"], ["b@example.com"]]


def test_a_manager_lowers_a_limit_to_zero_and_an_empty_field_goes_back_to_the_default(world, client_for, settings):
    settings.PORTAL_LIMIT_MESSAGES_PER_PERSON = 20
    client = client_for(world.manager)
    client.post(limits_url(world.building_a), values(messages_per_person=0))

    with pytest.raises(LimitReached):
        abuse_claim(user=world.alice, building=world.building_a, kind=MESSAGES)

    client.post(limits_url(world.building_a), values())
    assert effective_limits(world.building_a)["messages_per_person"] == 20
    assert abuse_claim(user=world.alice, building=world.building_a, kind=MESSAGES).amount == 1


def test_limits_of_one_building_do_not_change_another(world, client_for):
    client_for(world.manager).post(limits_url(world.building_a), values(passes_per_building=7))

    assert effective_limits(world.building_a)["passes_per_building"] == 7
    assert effective_limits(world.building_b)["passes_per_building"] == 1000


def test_a_bad_value_is_a_field_error_and_nothing_is_saved(world, client_for):
    page = client_for(world.manager).post(limits_url(world.building_a), values(passes_per_person=-3))

    assert page.status_code == 200 and "greater than or equal to 0" in page.content.decode()
    assert not BuildingLimits.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "staff"])
def test_nobody_but_the_buildings_managers_sees_or_changes_its_limits(persona, world, client_for):
    client = client_for(getattr(world, persona))

    assert client.get(limits_url(world.building_a)).status_code == 404
    assert client.post(limits_url(world.building_a), values(passes_per_person=999)).status_code == 404
    assert client.get(f"/link/buildings/{world.building_a.pk}/").status_code == 404
    assert not BuildingLimits.objects.exists()


def test_a_manager_of_another_building_gets_a_404(world, client_for):
    from tests import factories as f

    other = f.UserFactory(email="other-manager@example.test")
    f.MembershipFactory(user=other, building=world.building_b, role="manager")

    assert client_for(other).get(limits_url(world.building_a)).status_code == 404
    assert client_for(other).post(limits_url(world.building_a), values(passes_per_person=1)).status_code == 404


def test_changing_limits_needs_a_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.manager)

    assert strict.post(limits_url(world.building_a), values(passes_per_person=1)).status_code == 403
    assert not BuildingLimits.objects.exists()
