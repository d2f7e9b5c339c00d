"""No page is wider than a 390 px phone, for any role: every page the access matrix gives a persona.

The pages are not a hand list: each persona visits every URL name of tests/access_matrix.py (which a test
keeps equal to the URLconf) that answers it a full HTML page, and the operator also every changelist
and add form of Django's admin. The world is filled with long names and many rows so that tables have
something to overflow with. Screenshots: var/screenshots/width-<persona>-<url name>.png (phone size).
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from portal.dashboard.models import DoorRelease
from tests import factories as f
from tests.access_matrix import MATRIX
from tests.dashboard.conftest import FRONT_DOOR, crimson  # noqa: F401 - the fixture
from tests.e2e.journeys import PHONE, SCREENSHOTS
from tests.logs.factories import call_for, entry_for
from tests.passes.conftest import make_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

LONG = "Maximiliana Bartholomew-Featherstonehaugh"
SNAPSHOT = "https://portal-test-snapshots.s3.amazonaws.com/snap.png"  # a host the CSP allows (img-src)
WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# What sticks out, for the failure message: the widest elements whose right edge passes the viewport.
CULPRITS = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.')
  + ' right=' + Math.round(e.getBoundingClientRect().right))"""


def fill(world) -> None:
    """Rows in every table, with the long names and labels real buildings have."""
    residency = world.alice.residencies.get()
    now = timezone.now()
    for i in range(3):
        make_pass(residency, name=f"{LONG} birthday party {i}", starts=now - dt.timedelta(hours=1))
    make_pass(residency, kind="recurring", name=f"{LONG} cleaner", start_date=now.date(),
              end_date=now.date() + dt.timedelta(days=60), time_from=dt.time(9), time_to=dt.time(17),
              weekdays=["mon", "wed", "fri"])  # fmt: skip
    for i in range(6):
        entry_for(world.building_a, unit=world.unit_a1, door=world.door_a, remote_id=910000 + i,
                  person_name=LONG, snapshot_url=SNAPSHOT, logged_at=now - dt.timedelta(minutes=10 * i))  # fmt: skip
        DoorRelease.objects.create(
            building=world.building_a,
            door=world.door_a,
            requested_by=world.staff,
            requested_by_role="staff",
            for_label=f"{LONG} (unit 101)",
            reason="Delivery of a very large parcel for the resident",
            requested_at=now,
            status=DoorRelease.Status.FAILED,
            error="ButterflyMX did not answer in time.",
        )
        call_for(world.building_a, unit=world.unit_a1, remote_id=920000 + i, device_name=f"{LONG} entrance panel",
                 snapshot_url=SNAPSHOT,
                 logged_at=now - dt.timedelta(minutes=10 * i))  # fmt: skip


# Matrix entries that are no page at all, never asked for here. The live updates' stream is an async
# view: the test client would run it through async_to_sync, which refuses to start inside Playwright's
# event loop (tests/e2e/test_live_push.py drives it in Chromium, under uvicorn).
NOT_PAGES = {"live:events"}


def full_pages(client: Client, world, persona: str | None) -> dict[str, str]:
    """URL name -> URL of every matrix entry that answers this persona 200 with a whole HTML page (with
    no persona: every entry that does, whatever the matrix expects of its test personas)."""
    pages = {}
    for name, entry in sorted(MATRIX.items()):
        if name in NOT_PAGES or (persona is not None and entry.expect.get(persona) != 200):
            continue
        url = reverse(name, kwargs=entry.kwargs(world)) + entry.query
        response = client.get(url)
        html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 200 and html and b"<html" in response.content[:500]:
            pages[name] = url
    return pages


def admin_pages(client: Client, operator) -> dict[str, str]:
    """Every changelist and add form the admin lists for the operator (admin.site.get_app_list)."""
    request = RequestFactory().get("/admin/")
    request.user = operator
    pages = {"admin:index": reverse("admin:index")}
    for app in admin.site.get_app_list(request):
        for model in app["models"]:
            for kind in ("admin_url", "add_url"):
                if model.get(kind):
                    pages[f"admin:{app['app_label']}.{model['object_name']}.{kind}"] = model[kind]
    return {name: url for name, url in pages.items() if client.get(url).status_code == 200}


def overflowing(browser, live_server, client: Client, persona: str, pages: dict[str, str]) -> list[str]:
    context = browser.new_context(viewport=PHONE)
    if "sessionid" in client.cookies:
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    wide = []
    try:
        for name, url in pages.items():
            page.goto(live_server.url + url)
            page.wait_for_load_state("load")
            scroll, inner = page.evaluate(WIDTH)
            slug = re.sub(r"[^\w.-]+", "_", name)
            page.screenshot(path=str(SCREENSHOTS / f"width-{persona}-{slug}.png"), full_page=True)
            if scroll > inner:
                wide.append(f"{persona} {name} {url}: {scroll} px > {inner} px; {page.evaluate(CULPRITS)}")
    finally:
        context.close()
    return wide


@pytest.mark.parametrize("persona", ["anonymous", "alice", "staff", "manager", "operator"])
def test_no_page_is_wider_than_a_phone(persona, world, chromium, live_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    fill(world)
    client = Client()
    if persona == "operator":
        operator = f.UserFactory(email="operator@example.test", is_staff=True, is_superuser=True)
        client.force_login(operator)
        pages = admin_pages(client, operator)
        # The portal's own pages too: an operator is also a signed-in person.
        pages |= {n: u for n, u in full_pages(client, world, "charlie").items()}
    else:
        if persona != "anonymous":
            client.force_login(world.persona(persona))
        pages = full_pages(client, world, persona)
    assert len(pages) >= 3, pages  # the walk found the persona's pages

    wide = overflowing(chromium, live_server, client, persona, pages)

    assert wide == [], "pages wider than 390 px:\n" + "\n".join(wide)


@pytest.mark.parametrize("who", ["rosa", "staff", "manager"])
def test_no_page_is_wider_than_a_phone_when_linked_to_butterflymx(who, crimson, chromium, live_server):  # noqa: F811
    """The same walk in Crimson Tower connected to the sandbox: the pages that only a linked person sees
    (the PIN page, the profile's comparison with ButterflyMX, real doors on the board)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    linked = SimpleNamespace(
        building_a=crimson.building,
        unit_a1=crimson.rosa_residency.unit,
        door_a=crimson.doors[FRONT_DOOR],
        alice=crimson.rosa,
        staff=crimson.staff,
    )
    fill(linked)
    client = Client()
    client.force_login(getattr(crimson, who))
    pages = full_pages(client, linked, None)
    assert len(pages) >= 3, pages

    wide = overflowing(chromium, live_server, client, f"linked-{who}", pages)

    assert wide == [], "pages wider than 390 px:\n" + "\n".join(wide)
