"""The logs' From/Until in the building's zone across daylight saving (issue 16): a time the spring change
skips is an error that says which times to use (no rows, no silent shift); a time the autumn change
repeats keeps both occurrences in the list and says so, on the entries and calls lists alike."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from tests.passes.test_time_zone_form import AUTUMN, NY, SPRING

from .factories import call_for, entry_for

pytestmark = pytest.mark.django_db


def ids(page: str) -> set[int]:
    return {int(x) for x in re.findall(r'href="/logs/(\d+)/"', page)}


def at(day: dt.date, hh: int, mm: int, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=NY).replace(fold=fold)


def test_a_from_the_spring_change_skips_is_an_error_with_the_times_to_use(world, client_for):
    entry_for(world.building_a, remote_id=1, logged_at=at(SPRING, 3, 30))
    client = client_for(world.manager)

    for name in ("logs:list", "logs:calls"):
        response = client.get(reverse(name), {"building": world.building_a.pk, "start": f"{SPRING}T02:30"})
        page = html.unescape(response.content.decode())
        assert f"“From”: 02:30 on {SPRING:%a %-d %b %Y} does not exist in America/New_York" in page, name
        assert "Choose 01:59 or 03:00." in page
        assert ids(page) == set() and "<tbody>" not in page
    export = client.get(reverse("logs:export"), {"building": world.building_a.pk, "end": f"{SPRING}T02:00"})
    assert export.status_code == 400


def test_an_until_or_from_in_the_repeated_hour_keeps_both_and_says_so(world, client_for):
    first = entry_for(world.building_a, remote_id=1, logged_at=at(AUTUMN, 1, 20, fold=0))  # EDT
    second = entry_for(world.building_a, remote_id=2, logged_at=at(AUTUMN, 1, 20, fold=1))  # EST, an hour later
    before = entry_for(world.building_a, remote_id=3, logged_at=at(AUTUMN, 0, 50))
    after = entry_for(world.building_a, remote_id=4, logged_at=at(AUTUMN, 2, 10))
    client = client_for(world.manager)

    until = html.unescape(client.get(reverse("logs:list"), {"end": f"{AUTUMN}T01:30"}).content.decode())
    since = html.unescape(client.get(reverse("logs:list"), {"start": f"{AUTUMN}T01:10"}).content.decode())

    assert ids(until) >= {before.pk, first.pk, second.pk} and after.pk not in ids(until)
    assert f"“Until”: 01:30 on {AUTUMN:%a %-d %b %Y} happens twice in America/New_York" in until
    assert "The list runs to the second 01:30, so it includes both." in until
    assert ids(since) >= {first.pk, second.pk, after.pk} and before.pk not in ids(since)
    assert "The list starts at the first 01:10, so it includes both." in since


def test_calls_follow_the_same_rule(world, client_for):
    call_for(world.building_a, remote_id=9, logged_at=at(AUTUMN, 1, 40, fold=1))
    page = html.unescape(
        client_for(world.manager).get(reverse("logs:calls"), {"end": f"{AUTUMN}T01:45"}).content.decode()
    )

    assert "The list runs to the second 01:45, so it includes both." in page
    assert len(re.findall(r'href="/logs/calls/(\d+)/"', page)) == 1
