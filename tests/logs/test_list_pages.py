"""The log list pages as a manager reads them (issue 16): invalid filters, labels, outcomes in words,
Newer/Older pages in either time order, and the call detail page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from logs.models import call_status_label

from .factories import call_for, entry_for
from .test_browse import entries, expected  # noqa: F401 (entries is a fixture)

pytestmark = pytest.mark.django_db


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def pages(client, url: str, query: str = "", link: str = "pager-next") -> list[list[int]]:
    """Every page's row ids, following the pager link ``link`` from ``url?query``."""
    seen, target = [], url + ("?" + query if query else "")
    while target:
        page = html(client.get(target))
        seen.append(entry_ids(page) if url == reverse("logs:list") else call_ids(page))
        match = re.search(rf'href="\?([^"]*)"[^>]*data-testid="{link}"', page)
        target = url + "?" + match.group(1).replace("&amp;", "&") if match else None
    return seen


def entry_ids(page: str) -> list[int]:
    return list(dict.fromkeys(int(x) for x in re.findall(r'href="/logs/(\d+)/"', page)))  # thumbnails link too


def call_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/logs/calls/(\d+)/"', page)]


@pytest.mark.parametrize(
    "query",
    [
        "start=not-a-date",
        "release_method=nope",
        "door=999999",
        "start=2026-03-10T12:00&end=2026-03-09T00:00",  # until before from
        "start=2026-03-10T12:00&end=2026-03-10T12:00",  # an empty range
    ],
)
def test_an_invalid_filter_shows_its_error_and_no_rows(entries, world, client_for, query):  # noqa: F811
    client = client_for(world.manager)
    page = html(client.get(reverse("logs:list") + "?" + query))
    assert entry_ids(page) == [] and "<tbody>" not in page
    assert 'data-testid="invalid-filters"' in page and "No entries are shown until then" in page
    assert "invalid-feedback" in page or "is-invalid" in page  # the field carries its message
    assert client.get(reverse("logs:export") + "?" + query).status_code == 400
    assert "Export CSV" not in page  # no link to an export that would only answer the error


def test_until_before_from_says_so_on_both_lists(world, client_for):
    call_for(world.building_a, remote_id=1)
    client = client_for(world.manager)
    query = "?start=2026-03-10T12:00&end=2026-03-09T00:00"
    for name in ("logs:list", "logs:calls"):
        page = html(client.get(reverse(name) + query))
        assert "“Until” must be later than “From”." in page
    assert call_ids(html(client.get(reverse("logs:calls") + query))) == []
    assert call_ids(html(client.get(reverse("logs:calls") + "?type=nope"))) == []
    assert len(call_ids(html(client.get(reverse("logs:calls"))))) == 1


def test_filter_labels_match_the_table(entries, world, client_for):  # noqa: F811
    page = html(client_for(world.manager).get(reverse("logs:list")))
    select = re.search(r'<select name="release_type".*?</select>', page, re.S).group(0)
    assert '<option value="Tenant">Tenant</option>' in select and "Resident" not in select
    for header in ("Method", "Type", "Status", "Unit"):
        assert f'<th scope="col">{header}</th>' in page
        assert re.search(rf"<label[^>]*>{header}</label>", page), header
    assert "Person or unit contains" in page and "Export CSV" in page


def test_call_outcomes_read_as_words_on_the_list_and_the_detail(world, client_for):
    opened = call_for(world.building_a, remote_id=1, status="opened_door")
    call_for(world.building_a, remote_id=2, status="timeout_online_signal")
    call_for(world.building_a, remote_id=3, status="some_new_state")
    client = client_for(world.manager)
    page = html(client.get(reverse("logs:calls")))
    assert "<td>Opened the door</td>" in page and "<td>Not answered</td>" in page
    assert "<td>Some new state</td>" in page
    assert "opened_door" not in page.split("<table")[1]  # the codes stay in the filter's <option> values
    assert len(call_ids(page)) == 3
    exported = b"".join(client.get(reverse("logs:calls_export")).streaming_content).decode()
    assert ",Opened the door," in exported and ",Not answered," in exported and "opened_door" not in exported
    detail = html(client.get(reverse("logs:call_detail", args=[opened.pk])))
    assert '<dd class="col-7" data-testid="call-outcome">Opened the door</dd>' in detail


def test_home_recent_calls_say_the_outcome_in_the_call_list_s_words(world, client_for):
    """The home page's "Recent calls" and the calls list read one mapping (logs.models.CALL_STATUS_LABELS):
    no raw ButterflyMX code on either."""
    shown = ["opened_door", "rejected", "timeout_online_signal", "canceled", "connecting_sip"]
    for remote_id, status in enumerate(shown, start=1):
        call_for(world.building_a, remote_id=remote_id, unit=world.unit_a1, status=status)
    alice = client_for(world.alice)
    home = html(alice.get(reverse("home")))
    recent = home.split("Recent calls", 1)[1].split("All calls", 1)[0]
    listed = html(alice.get(reverse("logs:calls"))).split("<table", 1)[1]
    for status in shown:
        words = call_status_label(status)
        assert f"· {words}</span>" in recent and f"<td>{words}</td>" in listed, status
        assert status not in recent, status
    assert call_status_label("rejected") == "Declined" and call_status_label("some_new_state") == "Some new state"


def last_query(client, url: str, query: str = "") -> str:
    """The query of the last page, reached through "Older"."""
    while True:
        page = html(client.get(url + "?" + query))
        match = re.search(r'href="\?([^"]*)"[^>]*data-testid="pager-next"', page)
        if not match:
            return query
        query = match.group(1).replace("&amp;", "&")


def test_newer_sits_next_to_older_and_walks_back_to_the_first_page(entries, world, client_for):  # noqa: F811
    client = client_for(world.manager)
    url = reverse("logs:list")
    forward = pages(client, url)
    want = [e.pk for e in expected(entries, lambda e: e.building_id == world.building_a.pk)]
    assert [pk for page in forward for pk in page] == want and len(forward) == 2
    nav = re.search(r'<nav aria-label="Pages".*?</nav>', html(client.get(url + "?" + last_query(client, url))), re.S)
    assert re.findall(r">\s*(?:<i[^>]*></i>)?\s*(Newest|Newer|Older)", nav.group(0)) == ["Newest", "Newer"]
    first_nav = re.search(r'<nav aria-label="Pages".*?</nav>', html(client.get(url)), re.S).group(0)
    assert "Newer" not in first_nav and "Older" in first_nav
    assert pages(client, url, last_query(client, url), link="pager-prev") == forward[::-1]


def test_newer_pages_are_exact_with_a_small_page_size(entries, world, client_for, settings, monkeypatch):  # noqa: F811
    monkeypatch.setattr("logs.views.PAGE_SIZE", 7)
    client = client_for(world.manager)
    url = reverse("logs:list")
    forward = pages(client, url)
    assert len(forward) == 9 and [len(p) for p in forward] == [7] * 8 + [4]
    # from the last page, "Newer" again and again gives the same pages in reverse
    assert pages(client, url, last_query(client, url), link="pager-prev") == forward[::-1]
    # the same in oldest-first order, where "Older" walks back
    oldest = pages(client, url, "sort=oldest")
    assert [pk for page in oldest for pk in page] == [pk for page in forward for pk in page][::-1]
    assert pages(client, url, last_query(client, url, "sort=oldest"), link="pager-prev") == oldest[::-1]


def test_time_sorts_oldest_first_with_exact_pages_both_ways(entries, world, client_for, monkeypatch):  # noqa: F811
    monkeypatch.setattr("logs.views.PAGE_SIZE", 9)
    client = client_for(world.manager)
    url = reverse("logs:list")
    first = html(client.get(url))
    assert 'aria-sort="descending"' in first
    sort_query = re.search(r'href="\?([^"]*)"[^>]*data-testid="sort-time"', first).group(1).replace("&amp;", "&")
    assert sort_query == "sort=oldest"
    oldest = pages(client, url, "sort=oldest&release_type=Tenant")
    want = [
        e.pk for e in expected(entries, lambda e: e.building_id == world.building_a.pk and e.release_type == "Tenant")
    ]
    assert [pk for page in oldest for pk in page] == want[::-1]
    assert 'aria-sort="ascending"' in html(client.get(url + "?sort=oldest"))
    # entries that share one instant keep a stable order by id, both ways
    at = timezone.now() - timedelta(days=400)
    tied = [entry_for(world.building_a, remote_id=7000 + i, logged_at=at) for i in range(20)]
    got = [pk for page in pages(client, url, "sort=oldest") for pk in page][:20]
    assert got == [e.pk for e in tied]
    calls = [call_for(world.building_a, remote_id=i, logged_at=at + timedelta(seconds=i % 3)) for i in range(20)]
    by_time = sorted(calls, key=lambda c: (c.logged_at, c.pk))
    assert [pk for page in pages(client, reverse("logs:calls"), "sort=oldest") for pk in page] == [
        c.pk for c in by_time
    ]


def test_the_call_detail_page_shows_the_call_in_the_building_s_zone_with_its_snapshot(world, client_for):
    from zoneinfo import ZoneInfo

    at = timezone.datetime(2026, 7, 4, 23, 15, 5, tzinfo=ZoneInfo("America/New_York"))  # 03:15 UTC on the 5th
    call = call_for(world.building_a, remote_id=1, unit=world.unit_a1, logged_at=at, device_name="Lobby Panel")
    bare = call_for(world.building_a, remote_id=2, unit=world.unit_a1, snapshot_url="")
    client = client_for(world.manager)
    listing = html(client.get(reverse("logs:calls")))
    assert f'href="/logs/calls/{call.pk}/"' in listing  # reachable from the list
    page = html(client.get(reverse("logs:call_detail", args=[call.pk])))
    assert ">Sat 4 Jul 2026, 23:15 EDT</time>" in page
    assert f'src="/logs/calls/{call.pk}/snapshot"' in page and "s3.example" not in page
    assert "Lobby Panel" in page and '<dd class="col-7">101</dd>' in page
    assert "No snapshot for this call." in html(client.get(reverse("logs:call_detail", args=[bare.pk])))


def test_a_resident_sees_their_own_unit_s_calls_only(world, client_for):
    mine = call_for(world.building_a, remote_id=1, unit=world.unit_a1)
    bobs = call_for(world.building_a, remote_id=2, unit=world.unit_a2)
    other_building = call_for(world.building_b, remote_id=3, unit=world.unit_b1)
    alice = client_for(world.alice)
    assert call_ids(html(alice.get(reverse("logs:calls")))) == [mine.pk]
    assert alice.get(reverse("logs:call_detail", args=[mine.pk])).status_code == 200
    for other in (bobs, other_building):
        assert alice.get(reverse("logs:call_detail", args=[other.pk])).status_code == 404
    assert client_for(world.staff).get(reverse("logs:call_detail", args=[other_building.pk])).status_code == 404
    assert client_for(world.manager).get(reverse("logs:call_detail", args=[999999])).status_code == 404


def test_the_calls_page_costs_the_same_queries_for_one_row_or_fifty(world, client_for, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.manager)
    call_for(world.building_a, remote_id=0)
    client.get(reverse("logs:calls"))  # the session is read once, then cached
    with CaptureQueriesContext(connection) as one:
        assert len(call_ids(html(client.get(reverse("logs:calls"))))) == 1
    for i in range(1, 60):
        call_for(world.building_a, remote_id=i, status="canceled")
    with CaptureQueriesContext(connection) as fifty:
        assert len(call_ids(html(client.get(reverse("logs:calls"))))) == 50
    assert len(fifty) == len(one)
