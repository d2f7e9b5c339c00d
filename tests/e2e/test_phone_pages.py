"""The pages issue 16 changed for phones, in Chromium at 390 and 1280 px, under the real CSP, with axe:
the log filters' "Filters" toggle, and the branded 404, 429 (the guest page's limit) and 500 pages.

Screenshots: var/screenshots/journey-<name>-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.views.defaults import server_error

from tests.e2e.journeys import DESKTOP, PHONE, Journey
from tests.e2e.test_phone_width import WIDTH, fill
from tests.passes.conftest import make_pass
from tests.passes.test_guest_page import fresh_minute

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The guest limits count in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def journey(chromium, live_server):
    made = []

    def start(name: str, user=None) -> Journey:
        j = Journey(chromium, name)
        if user is not None:
            j.sign_in_as(user, live_server.url)
        made.append(j)
        return j

    yield start
    for j in made:
        j.close()


def fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    scroll, inner = page.evaluate(WIDTH)
    assert scroll <= inner, f"{page.url}: {scroll} px wide on a {inner} px phone"


def test_the_log_filters_fold_behind_a_counted_toggle_on_a_phone_and_stay_open_on_a_desktop(
    world, journey, live_server
):
    fill(world)
    j = journey("filters", world.manager)
    page = j.page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/logs/?status=Unlocked&q=Max")
    toggle, form = page.get_by_test_id("filters-toggle"), page.locator("#log-filters form")

    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert toggle.locator(".badge").text_content() == "2 active"  # status and name; "Filters 2 active" read aloud
    assert not form.is_visible()
    fits_a_phone(page)
    j.step("01-phone-folded")
    page.set_viewport_size(PHONE)
    toggle.click()
    form.wait_for(state="visible")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.get_by_label("Person or unit contains").input_value() == "Max"
    j.step("02-phone-open")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/logs/")
    assert not toggle.is_visible() and form.is_visible()
    assert page.get_by_role("button", name="Apply filters").is_visible()
    j.step("03-desktop-open")

    # A filter with an error is shown open on a phone too: the person must see what to fix.
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/logs/?status=not-a-status")
    assert form.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    j.step("04-phone-error-open")
    j.assert_clean()


def test_an_unknown_page_is_the_branded_404_with_a_way_home_and_back(world, journey, live_server):
    j = journey("error-404", world.alice)
    page = j.page
    page.goto(f"{live_server.url}/passes/")
    page.goto(f"{live_server.url}/no-such-page/")

    assert page.get_by_role("heading", name="We can't find that page").is_visible()
    fits_a_phone(page)
    j.step("01-not-found")
    page.get_by_role("button", name="Back to the previous page").click()
    page.wait_for_url(f"{live_server.url}/passes/")
    page.go_forward()
    page.get_by_role("link", name="Go to the home page").click()
    page.wait_for_url(f"{live_server.url}/")
    j.assert_clean()


def test_a_guest_page_past_its_limit_is_the_branded_429_page(world, journey, live_server, settings):
    settings.PASSES_GUEST_RATE_PER_MINUTE = 1
    token = make_pass(world.alice.residencies.get()).keys.get().share_token
    j = journey("error-429")
    page = j.page
    fresh_minute()  # both visits in one of the limit's fixed one-minute windows
    assert page.goto(f"{live_server.url}/p/{token}/").status == 200

    response = page.goto(f"{live_server.url}/p/{token}/")

    assert response.status == 429 and 1 <= int(response.headers["retry-after"]) <= 60
    assert page.get_by_role("heading", name="Too many requests").is_visible()
    assert page.get_by_test_id("retry-after").is_visible()
    assert page.get_by_role("link", name="Go to the home page").is_visible()
    assert page.get_by_role("link", name="Try again").get_attribute("href") == f"/p/{token}/"
    fits_a_phone(page)
    j.step("01-too-many-requests")
    j.assert_clean()


def test_the_500_page_is_branded_and_needs_no_request(journey, live_server):
    # Django's server_error renders 500.html with an empty context; the browser gets exactly that body,
    # served from the portal's origin so its static files load under the real CSP.
    body = server_error(RequestFactory().get("/")).content
    j = journey("error-500")
    page = j.page
    page.route(f"{live_server.url}/boom/", lambda route: route.fulfill(status=500, body=body, content_type="text/html"))

    page.goto(f"{live_server.url}/boom/")

    assert page.get_by_role("heading", name="Something went wrong on our side").is_visible()
    assert page.get_by_role("link", name="Go to the home page").is_visible()
    fits_a_phone(page)
    j.step("01-server-error")
    j.assert_clean()


def test_passes_are_cards_on_a_phone_and_a_table_on_a_desktop(world, journey, live_server):
    fill(world)
    j = journey("passes-cards", world.manager)
    page = j.page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/passes/")
    row = page.locator("#pass-table tbody tr").first
    display = "e => getComputedStyle(e).display"

    assert row.evaluate(display) == "block"
    assert page.locator("#pass-table thead").bounding_box()["height"] <= 1  # kept for screen readers, not shown
    state = row.locator("td[data-label=State]")
    assert state.evaluate("e => getComputedStyle(e, '::before').content") == '"State"'
    assert row.get_by_role("button", name="Revoke").is_visible()
    fits_a_phone(page)
    j.step("01-list")

    page.set_viewport_size(DESKTOP)
    assert row.evaluate(display) == "table-row" and page.locator("#pass-table thead").bounding_box()["height"] > 20
    assert page.locator("#pass-table thead th").all_inner_texts()[:3] == ["Pass", "Resident", "State"]
    j.assert_clean()
