"""Times on the calls list and the detail pages read in the building's zone, as the entry list does, and
the calls date filter agrees with the labels: a call at 23:30 in New York (04:30 UTC the next day) is
listed and filtered under the New York date."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.urls import reverse

from tests.logs.factories import call_for, entry_for

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LATE = dt.datetime(2026, 1, 14, 23, 30, tzinfo=NEW_YORK)  # 2026-01-15 04:30 UTC


def rows_of(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def test_a_late_call_is_labelled_and_filtered_under_the_local_date(world, client_for):
    call_for(world.building_a, remote_id=1, logged_at=LATE, device_name="Main Entrance")
    client = client_for(world.manager)
    url = reverse("logs:calls")

    everything = client.get(url).content.decode()
    on_the_14th = client.get(url, {"start": "2026-01-14T00:00", "end": "2026-01-15T00:00"}).content.decode()
    on_the_15th = client.get(url, {"start": "2026-01-15T00:00", "end": "2026-01-16T00:00"}).content.decode()

    [row] = rows_of(everything)
    assert "Wed 14 Jan, 23:30" in row and "EST" in row and "15 Jan" not in row
    assert len(rows_of(on_the_14th)) == 1
    assert rows_of(on_the_15th) == []


def test_each_building_s_calls_read_in_its_own_zone(world, client_for):
    world.building_b.memberships.create(user=world.manager, role="manager")
    call_for(world.building_a, remote_id=1, logged_at=LATE)
    call_for(world.building_b, remote_id=2, logged_at=LATE)  # 20:30 in Los Angeles

    page = client_for(world.manager).get(reverse("logs:calls")).content.decode()

    assert "Wed 14 Jan, 23:30" in page and "EST" in page
    assert "Wed 14 Jan, 20:30" in page and "PST" in page


def test_the_entry_detail_page_reads_in_the_building_s_zone(world, client_for):
    entry = entry_for(world.building_a, remote_id=7, door=world.door_a, logged_at=LATE)

    page = client_for(world.manager).get(reverse("logs:detail", args=[entry.pk])).content.decode()

    assert ">Wed 14 Jan 2026, 23:30 EST</time>" in page


def test_the_calls_csv_agrees_with_the_page(world, client_for):
    call_for(world.building_a, remote_id=1, logged_at=LATE)

    response = client_for(world.manager).get(reverse("logs:calls_export"))
    text = b"".join(response.streaming_content).decode()

    assert "2026-01-14 23:30:00,EST,Building A" in text
