"""The guest page: QR, PIN, doors and local times; plain words when revoked or expired; nothing else."""

from __future__ import annotations

import datetime as dt
import re
import time

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
    # Nothing about the host beyond the building. The QR drawing, the share token and CSP nonces are
    # random data that may contain "101" by chance; the host's name and unit must not appear elsewhere.
    words = re.sub(r"<svg.*?</svg>", "", page, flags=re.S).replace(p.keys.get().share_token, "")
    words = re.sub(r'nonce="[^"]*"', "", words)
    assert "Alice" not in words and not re.search(r"\b101\b", words)


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


def fresh_minute() -> None:
    """The guest limits count fixed one-minute windows: start a test well inside one."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)


def test_a_party_of_forty_on_one_lobby_wi_fi_all_get_their_passes(world, client, settings):
    fresh_minute()
    residency = world.alice.residencies.get()
    links = [guest_url(make_pass(residency, name=f"Guest {i}")) for i in range(40)]
    shared = links[0]  # and one link the host sent to everybody

    statuses = {client.get(url).status_code for url in links for _ in range(2)}  # each opened, then reloaded
    shared_statuses = {client.get(shared).status_code for _ in range(30)}

    assert statuses == {200} and shared_statuses == {200}


def test_one_link_reloaded_too_often_gets_the_branded_429_with_retry_after_and_others_still_work(
    world, client, settings
):
    fresh_minute()
    settings.PASSES_GUEST_RATE_PER_MINUTE = 3
    residency = world.alice.residencies.get()
    url, other = guest_url(make_pass(residency)), guest_url(make_pass(residency, name="Other"))

    statuses = [client.get(url).status_code for _ in range(3)]
    refused = client.get(url)
    calendar = client.get(f"{url}pass.ics")

    assert statuses == [200, 200, 200] and refused.status_code == 429 and calendar.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.content.decode()
    assert 'data-testid="error-page"' in body and "Too many requests" in body and 'href="/"' in body
    assert refused["Content-Type"].startswith("text/html") and refused["Referrer-Policy"] == "no-referrer"
    assert client.get(other).status_code == 200  # another guest behind the same address


def test_guessing_links_locks_the_guessing_address_out_of_every_guest_page(world, client, settings):
    fresh_minute()
    settings.PASSES_GUEST_MISSES_PER_MINUTE = 3
    url = guest_url(make_pass(world.alice.residencies.get()))

    guesses = [client.get(f"/p/unknown-token-{i}/").status_code for i in range(4)]
    valid = client.get(url).status_code
    elsewhere = client.get(url, REMOTE_ADDR="198.51.100.7").status_code

    assert guesses == [404, 404, 404, 429]
    assert valid == 429  # no answer tells a guesser which links exist
    assert elsewhere == 200


def test_an_address_has_a_ceiling_over_all_its_links(world, client, settings):
    fresh_minute()
    settings.PASSES_GUEST_ADDRESS_RATE_PER_MINUTE = 4
    residency = world.alice.residencies.get()
    links = [guest_url(make_pass(residency, name=f"Guest {i}")) for i in range(5)]

    statuses = [client.get(url).status_code for url in links]

    assert statuses == [200, 200, 200, 200, 429]


def test_the_calendar_file_is_a_weekly_event_in_the_buildings_zone_for_a_recurring_pass(world, client):
    p = make_pass(
        world.alice.residencies.get(), kind="recurring", start_date=dt.date(2099, 1, 5), end_date=dt.date(2099, 6, 30),
        time_from=dt.time(9), time_to=dt.time(17), weekdays=["mon", "wed"],
    )  # fmt: skip

    response = client.get(f"{guest_url(p)}pass.ics")
    body = response.content.decode()

    assert response["Content-Type"].startswith("text/calendar")
    assert "DTSTART;TZID=America/New_York:20990105T090000\r\n" in body
    assert "RRULE:FREQ=WEEKLY;UNTIL=" in body and ";BYDAY=MO,WE\r\n" in body
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
