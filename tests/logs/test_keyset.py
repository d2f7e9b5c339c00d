"""One keyset pagination and one cursor format for the log pages and the API (issue 17): the API's
``next`` and ``previous`` are the pages' own cursors, and a cursor of another format (the API's
DRF cursors before, a damaged link) is a 400 that says to start again, never a 500 or a silent page."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse

from logs.selectors import InvalidCursor, cursor_decode, cursor_encode

from .test_browse import entries, expected  # noqa: F401 (entries is a fixture)

pytestmark = pytest.mark.django_db

# What DRF's CursorPagination handed out before: base64 of "o=…&p=<position>".
OLD_API_CURSOR = base64.b64encode(b"o=-logged_at&p=2026-03-10+15%3A00%3A00%2B00%3A00").decode()
NOT_CURSORS = [OLD_API_CURSOR, "not-a-cursor", "%%%", base64.urlsafe_b64encode(b"2026-03-10T15:00:00|7").decode()]


def test_a_cursor_is_the_position_it_was_made_from(entries):  # noqa: F811
    first = entries[0]
    assert cursor_decode(cursor_encode(first.logged_at, first.pk)) == (first.logged_at, first.pk)
    assert cursor_decode("") is None and cursor_decode(None) is None


@pytest.mark.parametrize("token", NOT_CURSORS)
def test_anything_else_is_refused(token):
    with pytest.raises(InvalidCursor):
        cursor_decode(token)


def test_the_api_walks_both_ways_with_the_pages_cursors(entries, world, client_for):  # noqa: F811
    client = client_for(world.manager)
    want = [e.pk for e in expected(entries, lambda e: e.building_id == world.building_a.pk)]
    pages, url = [], reverse("logs-api:entry-list") + "?per=7"
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    assert [pk for page in pages for pk in page] == want
    assert len(pages) > 2

    # The second page's "next" cursor opens the same page on the HTML list (one format everywhere).
    second = client.get(reverse("logs-api:entry-list") + "?per=7").json()["next"]
    token = re.search(r"cursor=([^&]+)", second).group(1)
    html = client.get(reverse("logs:list") + f"?cursor={token}").content.decode()
    assert str(want[7]) in re.findall(r'href="/logs/(\d+)/"', html)

    # "previous" from the third page comes back to the second.
    third = client.get(client.get(second).json()["next"]).json()
    back = client.get(third["previous"]).json()
    assert [row["id"] for row in back["results"]] == pages[1]


@pytest.mark.parametrize("token", NOT_CURSORS)
@pytest.mark.parametrize("param", ["cursor", "before"])
def test_the_api_answers_an_unknown_cursor_with_a_400_that_says_to_start_again(
    entries,  # noqa: F811
    world,
    client_for,
    token,
    param,
):
    response = client_for(world.manager).get(reverse("logs-api:entry-list"), {param: token})
    assert response.status_code == 400
    assert "start again" in response.json()["detail"]


@pytest.mark.parametrize("name", ["logs:list", "logs:calls"])
@pytest.mark.parametrize("param", ["cursor", "before"])
def test_the_pages_answer_an_unknown_cursor_with_a_400_and_a_way_back(entries, world, client_for, name, param):  # noqa: F811
    response = client_for(world.manager).get(reverse(name), {param: OLD_API_CURSOR, "unit": "101"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "start again" in page and 'href="?unit=101"' in page
