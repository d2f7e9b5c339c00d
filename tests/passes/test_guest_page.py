"""The guest page: QR, PIN, doors and local times; plain words when revoked or expired; nothing else."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone

from passes import sms
from tests.passes.conftest import make_pass


def guest_url(p) -> str:
    return f"/p/{p.keys.get().share_token}/"


def test_the_guest_page_shows_qr_pin_doors_and_local_times_without_login(world, client):
    residency = world.alice.residencies.get()
    start = dt.datetime(2099, 3, 10, 14, 0, tzinfo=dt.UTC)  # 10:00 EDT
    p = make_pass(residency, name="Visit", starts=start, ends=start + dt.timedelta(hours=3))

    page = client.get(guest_url(p)).content.decode()

    assert "<svg" in page and 'aria-label="QR code of the pass"' in page
    assert "402758" in page
    assert "A Front Door" in page
    assert "10 Mar 2099, 10:00" in page and "13:00" in page
    assert "Alice" not in page and "101" not in page  # nothing about the host beyond the building


def test_an_unknown_token_is_a_404(world, client):
    assert client.get("/p/not-a-real-token-at-all/").status_code == 404


def test_a_revoked_pass_page_says_so_and_shows_no_pin(world, client):
    p = make_pass(world.alice.residencies.get(), status="revoked")

    page = client.get(guest_url(p)).content.decode()

    assert "This pass has been revoked" in page
    assert "402758" not in page and "<svg" not in page


def test_an_expired_pass_page_says_so(world, client):
    now = timezone.now()
    p = make_pass(world.alice.residencies.get(), starts=now - dt.timedelta(days=2), ends=now - dt.timedelta(days=1))

    assert "This pass has expired" in client.get(guest_url(p)).content.decode()


def test_the_guest_page_is_rate_limited_per_address(world, client, settings):
    settings.PASSES_GUEST_RATE_PER_MINUTE = 3
    url = guest_url(make_pass(world.alice.residencies.get()))

    statuses = [client.get(url).status_code for _ in range(4)]
    unknown = client.get("/p/another-unknown-token/").status_code

    assert statuses == [200, 200, 200, 429]
    assert unknown == 429  # guessing tokens counts too


def test_the_calendar_file_is_a_weekly_event_in_the_buildings_zone_for_a_recurring_pass(world, client):
    p = make_pass(
        world.alice.residencies.get(), kind="recurring", start_date=dt.date(2099, 1, 5), end_date=dt.date(2099, 6, 30),
        time_from=dt.time(9), time_to=dt.time(17), weekdays=["mon", "wed"],
    )  # fmt: skip

    response = client.get(f"{guest_url(p)}pass.ics")
    body = response.content.decode()

    assert response["Content-Type"].startswith("text/calendar")
    assert "DTSTART;TZID=America/New_York:20990105T090000\r\n" in body
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=" in body
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")


def test_a_pass_is_sent_by_email_and_by_text(world, client_for):
    p = make_pass(world.alice.residencies.get())
    key = p.keys.get()
    sms.outbox.clear()
    client = client_for(world.alice)

    client.post(f"/passes/keys/{key.pk}/share/", {"to": "friend@example.com"})
    client.post(f"/passes/keys/{key.pk}/share/", {"to": "(212) 555-0199"})

    assert mail.outbox[-1].to == ["friend@example.com"] and f"/p/{key.share_token}/" in mail.outbox[-1].body
    assert sms.outbox[-1].to == "+12125550199" and f"/p/{key.share_token}/" in sms.outbox[-1].body


def test_a_neighbour_cannot_send_someone_elses_pass(world, client_for):
    key = make_pass(world.alice.residencies.get()).keys.get()

    assert client_for(world.bob).post(f"/passes/keys/{key.pk}/share/", {"to": "x@example.com"}).status_code == 404
    assert not mail.outbox


def test_the_share_token_is_not_stored_in_plain_text(world):
    from django.db import connection

    key = make_pass(world.alice.residencies.get()).keys.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT share_token, pin FROM passes_visitorkey WHERE id = %s", [key.pk])
        stored_token, stored_pin = cursor.fetchone()

    assert key.share_token not in stored_token and "402758" not in stored_pin
