"""The hot pages take no more queries than before scope had one rule (issue 17).

The ceilings are counts measured on main before the change (commit af22f4f, SQLite, this test's
data), not timings: the rule moved into ``restrict()`` querysets and the prepared queries became
plain ORM queries, which must not have cost a page a round trip.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.logs.factories import entry_for

pytestmark = pytest.mark.django_db

# Measured on main at af22f4f with this file's data (the session already read once, as a browser's).
LOG_LIST_QUERIES = {"manager": 4, "alice": 4}  # user, grants, door choices, rows
DOOR_BOARD_QUERIES = {"staff": 9}
HOME_QUERIES = {"manager": 7, "alice": 13, "charlie": 13}


def _count(client, url: str) -> int:
    client.get(url)  # the session and anything cached once per process are read here
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def entries(world):
    for i in range(60):
        unit, door = (world.unit_a1, world.door_a) if i % 2 else (world.unit_a2, world.door_a2)
        entry_for(world.building_a, remote_id=i, unit=unit, door=door)
    entry_for(world.building_b, remote_id=100, unit=world.unit_b1, door=world.door_b)


@pytest.mark.parametrize("persona", sorted(LOG_LIST_QUERIES))
def test_the_log_list_takes_no_more_queries_than_before(world, entries, client_for, persona):
    assert _count(client_for(world.persona(persona)), reverse("logs:list")) <= LOG_LIST_QUERIES[persona]


@pytest.mark.parametrize("persona", sorted(DOOR_BOARD_QUERIES))
def test_the_door_board_takes_no_more_queries_than_before(world, entries, client_for, persona):
    url = f"/dashboard/{world.building_a.pk}/doors/"
    assert _count(client_for(world.persona(persona)), url) <= DOOR_BOARD_QUERIES[persona]


@pytest.mark.parametrize("persona", sorted(HOME_QUERIES))
def test_the_home_page_takes_no_more_queries_than_before(world, client_for, persona):
    assert _count(client_for(world.persona(persona)), "/") <= HOME_QUERIES[persona]
