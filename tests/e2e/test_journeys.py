"""One journey per person in Chromium, from a fresh database, under the real CSP, with axe on every page.

- a resident signs up, links ButterflyMX, sets a PIN, creates and shares a pass, and revokes it;
- a manager connects a building (real roster sync and backfill on a real worker), watches the backfill,
  filters the logs, exports them and looks at the charts;
- front-desk staff release a door and see it confirmed.

Screenshots of every step at phone and desktop size: var/screenshots/journey-<person>-<step>-<size>.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from logs.webhooks import webhooks_register
from passes.models import Pass
from tests.dashboard.conftest import crimson  # noqa: F401 - the fixture
from tests.e2e.journeys import Journey
from tests.factories import PASSWORD
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]


@pytest.fixture
def journey(chromium, request):
    made = []

    def start(person: str, **options) -> Journey:
        made.append(Journey(chromium, person, **options))
        return made[-1]

    yield start
    for j in made:
        j.close()


def sign_in(page, live_server, email, password=PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_resident_signs_up_links_sets_a_pin_shares_a_pass_and_revokes_it(live_server, sandbox, journey, mailoutbox):
    j = journey("resident")
    page = j.page
    email, password = "rosa@example.test", "a-long-and-unusual-passphrase"

    page.goto(f"{live_server.url}/accounts/signup/")
    j.step("01-signup")
    page.get_by_label("Email").fill(email)
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    j.step("02-check-your-email")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    j.step("03-confirm-email")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/")
    j.step("04-home-no-building")

    page.goto(f"{live_server.url}/profile/")
    j.step("05-profile-unlinked")
    page.get_by_role("button", name="Link ButterflyMX account").click()
    page.wait_for_url(re.compile(re.escape(sandbox.url) + "/oauth/authorize"))
    page.get_by_label("Email").fill("resident@sandbox.test")
    page.get_by_label("Password").fill("sandbox-pass")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/profile/")
    page.get_by_text("Your ButterflyMX account is linked.").wait_for()
    page.get_by_role("button", name="Set PIN").wait_for()
    j.step("06-profile-linked")

    page.get_by_label("New PIN", exact=True).fill("719304")
    page.get_by_role("button", name="Set PIN").click()
    page.get_by_text("ButterflyMX accepted your new PIN.").wait_for()
    j.step("07-pin-set")

    page.get_by_role("link", name="Passes", exact=True).click()
    j.step("08-passes")
    page.get_by_role("link", name="New pass").click()
    today = dt.date.today()
    page.get_by_label("Name").fill("Plumber")
    tomorrow = today + dt.timedelta(days=1)
    page.get_by_label("Starts").fill(f"{tomorrow.isoformat()}T09:00")
    page.get_by_label("Ends").fill(f"{tomorrow.isoformat()}T12:00")
    page.get_by_label("Visitors").fill("Pat Plumber")
    j.step("09-new-pass")
    page.get_by_role("button", name="Create the pass").click()
    page.wait_for_url(re.compile(r"/passes/\d+/$"))
    guest_url = page.get_by_label("Guest link for Pat Plumber").input_value()
    j.step("10-pass-shared")

    page.goto(guest_url.replace("http://testserver", live_server.url))
    page.get_by_role("img", name="QR code of the pass").wait_for()
    j.step("11-guest-page")
    page.go_back()
    page.get_by_role("button", name="Revoke").first.click()
    page.get_by_text(re.compile("revoked", re.I)).first.wait_for()
    j.step("12-pass-revoked")

    assert Pass.objects.get(name="Plumber").status == Pass.Status.REVOKED
    j.assert_clean()


def test_a_manager_connects_a_building_watches_the_backfill_and_explores_the_logs(
    live_server, sandbox, journey, tmp_path
):
    from tests import factories as f

    j = journey("manager")
    page = j.page
    f.UserFactory(email="morgan@example.test", first_name="Morgan")

    env = worker_env(sandbox, LOGS_BACKFILL_DAYS="2")
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        sign_in(page, live_server, "morgan@example.test")
        j.step("01-home")
        page.goto(f"{live_server.url}/link/buildings/")
        j.step("02-buildings-empty")
        page.get_by_role("button", name="Connect a building").click()
        page.wait_for_url(re.compile(re.escape(sandbox.url) + "/oauth/authorize"))
        page.get_by_label("Email").fill("admin@sandbox.test")
        page.get_by_label("Password").fill("sandbox-pass")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/link/buildings/"))
        j.step("03-connected")
        crimson_link = page.get_by_role("link", name=re.compile("Crimson Tower")).first
        for _ in range(60):  # the roster sync runs on the worker; the list shows the building once it is in
            if crimson_link.count():
                break
            page.wait_for_timeout(1000)
            page.reload()
        crimson_link.click()
        page.get_by_test_id("sync-status").filter(has_text="Done").wait_for(timeout=60_000)
        j.step("04-building-synced")

        page.goto(f"{live_server.url}/logs/health/")  # connecting started the backfill on the worker
        j.step("05-sync-health")
        page.get_by_text("History backfill").first.wait_for()
        j.step("06-backfill-progress")
        page.goto(f"{live_server.url}/logs/")
        rows = page.locator("table tbody tr")
        for _ in range(60):  # the backfill fills the list as it goes; a manager reloads to see more
            if rows.count():
                break
            page.wait_for_timeout(1000)
            page.reload()
        rows.first.wait_for()
        j.step("07-logs")
        page.get_by_label("Person or unit contains").fill("4")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"q=4"))
        j.step("08-logs-filtered")
        with page.expect_download() as download:
            page.get_by_role("link", name="Export CSV").click()
        assert download.value.suggested_filename.endswith(".csv")
        page.goto(f"{live_server.url}/logs/charts/")
        page.locator("canvas").first.wait_for()
        j.step("09-charts")
    j.assert_clean()


def test_staff_release_a_door_and_see_it_confirmed(crimson, sandbox, live_server, journey, tmp_path, settings):  # noqa: F811
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    settings.LOGS_WEBHOOK_DEBOUNCE_S = 0.5
    webhooks_register(building=crimson.building)
    j = journey("staff")
    page = j.page

    env = worker_env(sandbox, LOGS_BACKFILL_DAYS="1")
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        sign_in(page, live_server, crimson.staff.email)
        j.step("01-home")
        page.get_by_role("link", name="Door board", exact=True).click()
        page.wait_for_url(re.compile(r"/dashboard/\d+/$"))
        j.step("02-door-board")
        page.get_by_role("article", name="Front door").get_by_role("link", name="Release Front door").click()
        dialog = page.get_by_role("dialog", name="Release a door")
        dialog.get_by_label("Reason (optional)").fill("Courier for 4B")
        j.step("03-release-dialog")
        dialog.get_by_role("button", name="Release now").click()
        dialog.get_by_text("Front door released.").wait_for()
        dialog.locator(".modal-body").get_by_role("button", name="Close").click()
        badge = page.get_by_role("article", name="Front door").get_by_role("status")
        badge.filter(has_text="Confirmed open").wait_for(timeout=45_000)
        j.step("04-confirmed")
    j.assert_clean()
