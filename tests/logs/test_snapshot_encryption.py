"""Snapshot URLs are stored with the bulk cipher (AES-GCM from TOKEN_ENCRYPTION_KEYS), never in plain
text, and survive a key rotation like every other encrypted value."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from logs import parsing
from logs.models import AccessLogEntry
from logs.sync import encryptor
from logs.upsert import rows_upsert
from portal.core import crypto

pytestmark = pytest.mark.django_db
URL = "https://bucket.s3.example/uploads/store/secret-snapshot.png"


def stored_snapshot(pk: int) -> str:
    table = AccessLogEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT snapshot_url FROM {table} WHERE id = %s", [pk])  # our table
        return cursor.fetchone()[0]


def synced_entry(building, remote_id: int = 1) -> AccessLogEntry:
    record = {"id": remote_id, "logged_at": "2026-01-02T03:04:05Z", "entry_method": "API", "image_url": URL}
    row = parsing.access_log_row(
        record,
        building_id=building.pk,
        doors={},
        units={},
        synced_at=parsing.parse_time(record["logged_at"]),
        encrypt=encryptor(),
    )
    rows_upsert(stream="access", rows=[row])
    return AccessLogEntry.objects.get(building=building, remote_id=remote_id)


def test_a_synced_snapshot_url_is_stored_encrypted_and_reads_back(world):
    entry = synced_entry(world.building_a)
    stored = stored_snapshot(entry.pk)
    assert stored.startswith(crypto.GCM_PREFIX) and "s3.example" not in stored
    assert entry.snapshot_url == URL


def test_two_encryptions_of_one_url_differ(settings):
    encrypt = crypto.fast_encryptor()
    assert encrypt(URL) != encrypt(URL)  # a fresh nonce each time


def test_a_tampered_snapshot_value_is_refused_not_misread():
    token = crypto.fast_encryptor()(URL)
    tampered = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(tampered)


def test_rotating_the_keys_keeps_snapshot_urls_readable_after_the_old_key_is_removed(world, settings):
    # given an entry synced under the old key
    entry = synced_entry(world.building_a)
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    before = stored_snapshot(entry.pk)
    # when a new key is put first: old values still read, new ones use the new key
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    assert AccessLogEntry.objects.get(pk=entry.pk).snapshot_url == URL
    assert crypto.rotate(before) != before and crypto.decrypt(crypto.rotate(before)) == URL
    # and after the rotation command and removing the old key, everything still reads
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]
    assert stored_snapshot(entry.pk) != before
    assert AccessLogEntry.objects.get(pk=entry.pk).snapshot_url == URL
    # and a value under a key that is gone is an error, not garbage
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(before)
