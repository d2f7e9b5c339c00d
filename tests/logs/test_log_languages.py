"""The logs in the reader's language: ButterflyMX's raw values shown as translated labels, times by the
language's named formats in the building's zone, the CSV's column headers, the database keeping the raw
values (issue 20)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import formats, translation

from logs.clock import RowClock
from logs.models import AccessLogEntry, CallRecord
from tests.logs.factories import call_for, entry_for

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LATE = dt.datetime(2026, 1, 14, 23, 30, tzinfo=NEW_YORK)  # a Wednesday in New York, Thursday in UTC


def test_the_entry_list_says_the_raw_values_in_the_readers_language(world, client_for):
    entry_for(world.building_a, remote_id=1, door=world.door_a, logged_at=LATE, release_status="Locked")

    page = client_for(world.manager).get(reverse("logs:list"), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "mié 14 ene, 23:30" in page  # Spanish words, the building's zone (not UTC's Thursday)
    assert "Deslizar para abrir" in page and "Residente" in page and "Bloqueada" in page
    assert ">Locked<" not in page and ">Tenant<" not in page
    assert AccessLogEntry.objects.get().release_status == "Locked"  # stored as ButterflyMX sent it


def test_the_calls_page_and_csv_in_canadian_french(world, client_for):
    call_for(world.building_a, remote_id=1, logged_at=LATE, device_name="Main Entrance")
    client = client_for(world.manager)

    page = client.get(reverse("logs:calls"), HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()
    csv = b"".join(client.get(reverse("logs:calls_export"), HTTP_ACCEPT_LANGUAGE="fr-CA").streaming_content)

    assert "mer 14 jan, 23\xa0h\xa030" in page and "A ouvert la porte" in page and "Visiteur" in page
    header, row = csv.decode().splitlines()[:2]
    assert header.startswith("Heure,Fuseau horaire,Immeuble,Panneau")
    assert row.endswith(",Visiteur,A ouvert la porte,1")  # the page's words; the time stays ISO for sorting
    assert CallRecord.objects.get().status == "opened_door"


def test_english_reads_as_before(world, client_for):
    call_for(world.building_a, remote_id=1, logged_at=LATE, device_name="Main Entrance")

    page = client_for(world.manager).get(reverse("logs:calls")).content.decode()

    assert "Wed 14 Jan, 23:30" in page and "Opened the door" in page and "Visitor" in page


@pytest.mark.parametrize("language", ["en", "es", "fr-ca"])
def test_the_rows_clock_writes_what_date_format_writes(language):
    """logs.clock.RowClock (the list rows' fast clock) against Django's date_format, every named format,
    a year of times in zones on both sides of UTC."""
    moments = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=7919 * i) for i in range(80)]
    zones = [NEW_YORK, zoneinfo.ZoneInfo("Asia/Tokyo"), zoneinfo.ZoneInfo("UTC")]
    with translation.override(language):
        for named in ("SHORT_DATETIME_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "DATE_FORMAT", "MONTH_DAY_FORMAT"):
            clock = RowClock(named)
            for moment in moments:
                for zone in zones:
                    local = moment.astimezone(zone)
                    assert clock(local) == formats.date_format(local, named), (named, local)
