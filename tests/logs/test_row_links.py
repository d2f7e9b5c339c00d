"""The log lists' row links are the URLs ``reverse()`` gives for each record.

The lists build them from the list's own URL with one ``reverse()`` a page (logs/views.py): if the
URLconf ever stops keeping a record's pages under its list's URL, these links stop resolving to the
record's pages and this test says so.
"""

from __future__ import annotations

import re

import pytest
from django.urls import Resolver404, resolve, reverse

from .factories import call_for, entry_for

pytestmark = pytest.mark.django_db


def record_links(client, list_url: str, names: set[str]) -> set[str]:
    """The links (href and src) of the page at ``list_url`` that resolve to one of the views ``names``."""
    response = client.get(list_url)
    assert response.status_code == 200
    found = set()
    for link in re.findall(r'(?:href|src)="(/[^"?#]*)"', response.content.decode()):
        try:
            match = resolve(link)
        except Resolver404:
            continue
        if match.view_name in names:
            found.add(link)
    return found


def test_each_entry_row_links_to_its_detail_and_snapshot(world, client_for):
    shown = entry_for(world.building_a, remote_id=71, door=world.door_a, unit=world.unit_a1)
    bare = entry_for(world.building_a, remote_id=72, door=world.door_a, unit=world.unit_a1, snapshot_url="")

    links = record_links(client_for(world.manager), reverse("logs:list"), {"logs:detail", "logs:snapshot"})

    assert links == {
        reverse("logs:detail", args=[shown.pk]),
        reverse("logs:snapshot", args=[shown.pk]),
        reverse("logs:detail", args=[bare.pk]),
    }


def test_each_call_row_links_to_its_detail(world, client_for):
    calls = [call_for(world.building_a, remote_id=n, unit=world.unit_a1) for n in (81, 82)]

    links = record_links(client_for(world.manager), reverse("logs:calls"), {"logs:call_detail", "logs:call_snapshot"})

    assert links == {reverse("logs:call_detail", args=[c.pk]) for c in calls}
