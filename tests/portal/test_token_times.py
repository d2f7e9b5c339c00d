"""The profile's API tokens are shown in the person's building's zone (issue 16: times everywhere in
the building's zone), in UTC only for someone with no building, and the page says which."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.accounts.models import ApiToken
from portal.accounts.services import api_token_create
from tests import factories as f

pytestmark = pytest.mark.django_db

CREATED = dt.datetime(2026, 7, 1, 16, 30, tzinfo=dt.UTC)  # 01:30 the next day in Tokyo


def token_page(client, user) -> str:
    token, _ = api_token_create(user=user, name="backup script", lifetime_days=30)
    ApiToken.objects.filter(pk=token.pk).update(created=CREATED)
    client.force_login(user)
    response = client.get("/profile/api-tokens/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_residents_tokens_are_shown_in_their_homes_zone(client):
    home = f.ResidencyFactory(unit=f.UnitFactory(building=f.BuildingFactory(time_zone="Asia/Tokyo")))

    page = token_page(client, home.user)

    assert '<td data-testid="token-created">Thu 2 Jul 2026, 01:30</td>' in page
    assert "Times in Asia/Tokyo." in page and "Wed 1 Jul 2026, 16:30" not in page


def test_a_managers_tokens_are_shown_in_their_buildings_zone(client):
    manager = f.MembershipFactory(role="manager", building=f.BuildingFactory(time_zone="America/Los_Angeles")).user

    page = token_page(client, manager)

    assert '<td data-testid="token-created">Wed 1 Jul 2026, 09:30</td>' in page
    assert "Times in America/Los_Angeles." in page


def test_someone_with_no_building_sees_utc_and_is_told_so(client):
    page = token_page(client, f.UserFactory())

    assert '<td data-testid="token-created">Wed 1 Jul 2026, 16:30</td>' in page and "Times in UTC." in page
