"""``manage.py catalogs --check`` (run by `make lint`) reads the code against the catalogs and changes none.

makemessages writes into the project's own ./locale whatever LOCALE_PATHS says: a check run into a scratch
copy updated the real catalogs instead, then called the newly marked string "no longer used".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

LOCALE = Path(settings.LOCALE_PATHS[0])
# A template the check finds like any other; removed whatever happens.
PROBE = Path(settings.BASE_DIR) / "templates" / "zz-catalog-check-probe.html"


def catalogs_as_they_are() -> dict[Path, tuple[bytes, float]]:
    return {path: (path.read_bytes(), path.stat().st_mtime) for path in sorted(LOCALE.glob("*/LC_MESSAGES/*.*"))}


def test_a_newly_marked_string_is_reported_missing_and_no_catalog_changes():
    before = catalogs_as_they_are()
    PROBE.write_text('{% load i18n %}{% translate "A string marked a moment ago" %}\n')
    try:
        with pytest.raises(CommandError) as refused:
            call_command("catalogs", check=True)
    finally:
        PROBE.unlink()

    assert "es/LC_MESSAGES/django.po: missing 'A string marked a moment ago'" in str(refused.value)
    assert "no longer used" not in str(refused.value)
    assert catalogs_as_they_are() == before  # not one byte, not one date: the .mo files stay current
