"""Browsing, filtering, scope, keyset pages, CSV and charts over local rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from logs.models import ReleaseMethod

from .factories import call_for, entry_for

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


@pytest.fixture
def entries(world):
    """A week of varied entries in building A and one in building B."""
    base = datetime(2026, 3, 10, 12, 0, tzinfo=NY)
    made = []
    specs = [
        (world.unit_a1, world.door_a, ReleaseMethod.SWIPE_TO_OPEN, "Tenant", "Unlocked", "Alice Able"),
        (world.unit_a2, world.door_a2, ReleaseMethod.ACCESS_TOOL, "Tenant", "Unlocked", "Bob Baker"),
        (None, world.door_a, ReleaseMethod.VISITOR_QR, "Visitor", "Unlocked", "Guest"),
        (None, world.door_a, ReleaseMethod.SCHEDULE, "", "Locked", ""),
        (world.unit_a1, world.door_a2, ReleaseMethod.DELIVERY_PASS, "Delivery", "Unlocked", "USPS"),
    ]
    for i in range(60):
        unit, door, method, rtype, status, name = specs[i % len(specs)]
        made.append(
            entry_for(
                world.building_a,
                remote_id=1000 + i,
                unit=unit,
                door=door,
                logged_at=base - timedelta(hours=3 * i),
                release_method=method,
                release_type=rtype,
                release_status=status,
                person_name=name,
                snapshot_url="https://bucket.s3.example/s.png" if i % 2 else "",
            )
        )
    made.append(entry_for(world.building_b, remote_id=5000, unit=world.unit_b1, door=world.door_b, logged_at=base))
    return made


def ids_on_page(response) -> list[int]:
    found = [int(x) for x in re.findall(r'href="/logs/(\d+)/"', response.content.decode())]
    return list(dict.fromkeys(found))  # a row links twice when it has a thumbnail


def all_pages(client, query: str = "") -> list[int]:
    seen, url = [], reverse("logs:list") + ("?" + query if query else "")
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += ids_on_page(response)
        match = re.search(r'href="\?([^"]*cursor=[^"]+)"', response.content.decode())
        url = reverse("logs:list") + "?" + match.group(1).replace("&amp;", "&") if match else None
    return seen


def csv_remote_ids(client, query: str = "") -> list[int]:
    response = client.get(reverse("logs:export") + ("?" + query if query else ""))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    return [int(r["ButterflyMX id"]) for r in rows]


def expected(entries, predicate) -> list:
    return sorted((e for e in entries if predicate(e)), key=lambda e: (e.logged_at, e.pk), reverse=True)


FILTERS = {
    "release_method=access_tool": lambda e: e.release_method == "access_tool",
    "release_type=Visitor": lambda e: e.release_type == "Visitor",
    "status=Locked": lambda e: e.release_status == "Locked",
    "unit=101": lambda e: e.unit_label == "101",
    # "contains": any part of a name or unit, in any case (issue 16; a trigram index on PostgreSQL)
    "q=bo": lambda e: "bo" in e.person_name.lower() or "bo" in e.unit_label.lower(),
    "q=AKER": lambda e: "aker" in e.person_name.lower(),
    "q=10": lambda e: "10" in e.unit_label,
    "q=02": lambda e: "02" in e.unit_label,
    "start=2026-03-08T00:00&end=2026-03-09T00:00": lambda e: (
        datetime(2026, 3, 8, tzinfo=NY) <= e.logged_at < datetime(2026, 3, 9, tzinfo=NY)
    ),
}


@pytest.mark.parametrize("query", sorted(FILTERS))
def test_each_filter_alone_pages_and_csv_hold_exactly_the_matching_rows(entries, world, client_for, query):
    client = client_for(world.manager)
    want = expected(entries, lambda e: e.building_id == world.building_a.pk and FILTERS[query](e))
    assert want, "the fixture must have matching rows"
    assert all_pages(client, query) == [e.pk for e in want]
    assert csv_remote_ids(client, query) == [e.remote_id for e in want]


def test_filters_combined_and_by_door_and_building(entries, world, client_for):
    client = client_for(world.manager)
    query = f"building={world.building_a.pk}&door={world.door_a2.pk}&release_method=delivery_pass&unit=101"
    want = expected(
        entries,
        lambda e: e.door_id == world.door_a2.pk and e.release_method == "delivery_pass" and e.unit_label == "101",
    )
    assert want
    assert all_pages(client, query) == [e.pk for e in want]
    assert csv_remote_ids(client, query) == [e.remote_id for e in want]


def test_the_date_range_is_read_in_the_buildings_zone(entries, world, client_for):
    # 11:00-13:00 in New York is 15:00-17:00 UTC (EST before the March switch: 16:00-18:00)
    client = client_for(world.manager)
    ids = all_pages(client, "start=2026-03-10T11:00&end=2026-03-10T13:00")
    assert ids == [entries[0].pk]  # the 12:00 New York entry, not one at 12:00 UTC


def test_keyset_pages_stay_stable_while_new_entries_arrive(entries, world, client_for):
    client = client_for(world.manager)
    first = client.get(reverse("logs:list"))
    cursor = re.search(r"cursor=([^\"&]+)", first.content.decode()).group(1)
    entry_for(world.building_a, remote_id=9999, unit=world.unit_a1, logged_at=timezone.now())
    second = client.get(reverse("logs:list") + f"?cursor={cursor}")
    ordered = expected(entries, lambda e: e.building_id == world.building_a.pk)
    assert ids_on_page(first) == [e.pk for e in ordered[:50]]
    assert ids_on_page(second) == [e.pk for e in ordered[50:]]


def test_a_resident_sees_only_their_units_entries_and_gets_404_on_a_neighbours(entries, world, client_for):
    client = client_for(world.alice)
    mine = expected(entries, lambda e: e.unit_id == world.unit_a1.pk)
    assert all_pages(client) == [e.pk for e in mine]
    assert csv_remote_ids(client) == [e.remote_id for e in mine]
    bobs = next(e for e in entries if e.unit_id == world.unit_a2.pk)
    assert client.get(reverse("logs:detail", args=[bobs.pk])).status_code == 404
    assert client.get(reverse("logs:snapshot", args=[bobs.pk])).status_code == 404
    assert client.get(reverse("logs-api:entry-detail", args=[bobs.pk])).status_code == 404


def test_list_html_holds_no_snapshot_links_and_the_redirect_sends_no_referrer(entries, world, client_for):
    client = client_for(world.manager)
    page = client.get(reverse("logs:list")).content.decode()
    assert "s3.example" not in page and "/snapshot" in page
    with_snapshot = next(e for e in entries if e.snapshot_url)
    response = client.get(reverse("logs:snapshot", args=[with_snapshot.pk]))
    assert response.status_code == 302 and response["Location"].startswith("https://bucket.s3.example/")
    assert response["Referrer-Policy"] == "no-referrer"


def test_staff_see_their_building_only(entries, world, client_for):
    client = client_for(world.staff)
    assert world.building_b.pk not in {e.building_id for e in entries if e.pk in all_pages(client)}
    assert client.get(reverse("logs:detail", args=[entries[-1].pk])).status_code == 404


def test_the_api_filters_and_pages_with_cursors(entries, world, client_for):
    client = client_for(world.manager)
    got, url = [], reverse("logs-api:entry-list") + "?release_method=swipe_to_open&per=5"
    while url:
        body = client.get(url).json()
        got += [row["id"] for row in body["results"]]
        assert all("s3.example" not in str(row) for row in body["results"])
        url = body["next"]
    assert got == [
        e.pk
        for e in expected(
            entries, lambda e: e.release_method == "swipe_to_open" and e.building_id == world.building_a.pk
        )
    ]
    assert client.get(reverse("logs-api:entry-list") + "?start=not-a-date").status_code == 400


def test_charts_count_the_filtered_set(entries, world, client_for):
    call_for(world.building_a, remote_id=1, status="canceled")
    client = client_for(world.manager)
    data = client.get(reverse("logs:charts_data") + "?release_type=Visitor").json()
    visitors = len([e for e in entries if e.release_type == "Visitor" and e.building_id == world.building_a.pk])
    assert sum(data["per_hour"]["values"]) == visitors == sum(data["per_day"]["values"])
    assert data["by_method"]["labels"] == ["Visitor pass (QR code)"]
    assert data["busiest_doors"]["labels"] == ["A Front Door"]
    assert dict(zip(data["call_outcomes"]["labels"], data["call_outcomes"]["values"], strict=True)) == {"Canceled": 1}


def test_calls_filter_by_status_type_and_door(world, client_for):
    call_for(world.building_a, remote_id=1, status="canceled", notification_type="delivery")
    call_for(world.building_a, remote_id=2, status="opened_door")
    client = client_for(world.manager)
    body = client.get(reverse("logs-api:call-list") + "?status=canceled&type=delivery").json()
    assert [r["remote_id"] for r in body["results"]] == [1]
    response = client.get(reverse("logs:calls_export") + "?status=opened_door")
    text = b"".join(response.streaming_content).decode()
    assert text.count("\n") == 2 and ",2\r" in text


def test_the_rows_escape_what_came_from_butterflymx_and_mark_locked_and_snapshot_entries(world, client_for):
    hostile = entry_for(
        world.building_a,
        remote_id=9001,
        unit=world.unit_a1,
        door=world.door_a,
        logged_at=timezone.now(),
        release_method=ReleaseMethod.SWIPE_TO_OPEN,
        release_status="Locked",
        person_name='<script>alert("x")</script> & Co',
        snapshot_url="https://bucket.s3.example/hostile.png",
    )
    plain = entry_for(
        world.building_a, remote_id=9002, logged_at=timezone.now() - timedelta(minutes=1), snapshot_url=""
    )
    page = client_for(world.manager).get(reverse("logs:list")).content.decode()
    row = re.search(rf'<tr><td class="text-nowrap"><a href="/logs/{hostile.pk}/">.*?</tr>', page, re.S).group(0)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in row
    assert 'class="badge text-bg-secondary">Locked<' in row
    assert f'src="/logs/{hostile.pk}/snapshot"' in row and 'referrerpolicy="no-referrer"' in row
    plain_row = re.search(rf'<tr><td class="text-nowrap"><a href="/logs/{plain.pk}/">.*?</tr>', page, re.S).group(0)
    assert "<img" not in plain_row and "—" in plain_row  # no snapshot; empty cells show a dash


def test_a_log_page_costs_a_fixed_handful_of_queries(entries, world, client_for, django_assert_max_num_queries):
    client = client_for(world.manager)
    url = reverse("logs:list") + f"?building={world.building_a.pk}&release_method=swipe_to_open"
    client.get(url)  # the session is read from the database once, then from the cache
    # user (+ relink flag), grants, building choices, the page, door choices
    with django_assert_max_num_queries(5):
        assert client.get(url).status_code == 200


def test_door_choices_are_grouped_by_building_for_someone_who_sees_several(entries, world, client_for):
    from tenants.models import Membership

    def door_select(client, query=""):
        html = client.get(reverse("logs:list") + query).content.decode()
        select = re.search(r'<select name="door".*?</select>', html, re.S).group(0)
        return re.sub(r">\s+<", "><", select)  # Django's widget templates put each option on a line

    flat = door_select(client_for(world.manager))
    assert "<optgroup" not in flat and "A Front Door" in flat and "B Lobby" not in flat

    Membership.objects.create(user=world.manager, building=world.building_b, role="manager")
    grouped = door_select(client_for(world.manager))
    assert re.search(
        rf'<optgroup label="Building A"><option value="{world.door_a.pk}">A Front Door</option>'
        rf'<option value="{world.door_a2.pk}">A Garage</option></optgroup>'
        rf'<optgroup label="Building B"><option value="{world.door_b.pk}">B Lobby</option></optgroup>',
        grouped,
    )
    # a grouped choice still filters, and stays selected
    chosen = door_select(client_for(world.manager), f"?door={world.door_b.pk}")
    assert f'<option value="{world.door_b.pk}" selected>B Lobby</option>' in chosen
    page = client_for(world.manager).get(reverse("logs:list") + f"?door={world.door_a.pk}")
    assert b"is-invalid" not in page.content
    assert set(ids_on_page(page)) == {e.pk for e in entries if e.door_id == world.door_a.pk}
