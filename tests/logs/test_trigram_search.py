"""The "contains" search has trigram indexes on PostgreSQL (migration 0007) that serve Django's icontains
as the filter writes it; SQLite gets no such index (it has no GIN) and the same filter scans."""

from __future__ import annotations

import pytest
from django.db import connection

from logs.filters import AccessLogFilter
from logs.models import AccessLogEntry

pytestmark = pytest.mark.django_db
TRIGRAM = {"log_person_trgm", "log_unit_label_trgm", "call_unit_label_trgm"}


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%trgm"])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ?", ["%trgm"])
        return {row[0] for row in cursor.fetchall()}


def test_the_trigram_indexes_exist_on_postgresql_only_and_serve_the_search_filter():
    search = AccessLogFilter({"q": "ather"}, queryset=AccessLogEntry.objects.all()).qs
    if connection.vendor != "postgresql":
        assert index_names() == set()
        assert "LIKE" in str(search.query)
        return
    assert index_names() == TRIGRAM
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: ask whether the index CAN serve it
        plan = search.explain()
    assert "log_person_trgm" in plan and "log_unit_label_trgm" in plan, plan
