"""Log retention (issue 15): rows older than the retention are deleted in short batches, oldest first,
newer rows stay; the time-first indexes of the growth plan exist on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logs.models import AccessLogEntry, CallRecord
from logs.retention import batch_delete, logs_prune
from logs.tasks import logs_prune_task
from tests import factories as f
from tests.logs.factories import call_for, entry_for


@pytest.fixture
def now():
    return timezone.now()


def _entries(building, now, ages_days, first_id):
    return [
        entry_for(building, remote_id=first_id + i, logged_at=now - timedelta(days=age))
        for i, age in enumerate(ages_days)
    ]


@pytest.mark.django_db
def test_rows_older_than_the_retention_go_and_newer_ones_stay_in_every_building(settings, now):
    settings.LOGS_RETENTION_DAYS = 30
    settings.LOGS_CALLS_RETENTION_DAYS = 60
    a, b = f.BuildingFactory(name="A"), f.BuildingFactory(name="B")
    _entries(a, now, [400, 31, 30.5, 29.9, 1], first_id=100)
    _entries(b, now, [45, 10], first_id=200)
    for i, age in enumerate([61, 59, 31]):
        call_for(a, remote_id=300 + i, logged_at=now - timedelta(days=age))

    result = logs_prune(now=now)

    assert result.finished
    assert result.deleted == {"access": 4, "calls": 1}
    assert sorted(AccessLogEntry.objects.values_list("remote_id", flat=True)) == [103, 104, 201]
    assert sorted(CallRecord.objects.values_list("remote_id", flat=True)) == [301, 302]


@pytest.mark.django_db
def test_a_retention_of_zero_keeps_everything(settings, now):
    settings.LOGS_RETENTION_DAYS = 0
    settings.LOGS_CALLS_RETENTION_DAYS = 0
    building = f.BuildingFactory()
    _entries(building, now, [3000, 1], first_id=1)
    call_for(building, remote_id=9, logged_at=now - timedelta(days=3000))

    assert logs_prune(now=now).deleted == {}
    assert AccessLogEntry.objects.count() == 2 and CallRecord.objects.count() == 1


@pytest.mark.django_db
def test_each_batch_is_one_delete_of_at_most_the_batch_size_oldest_first(settings, now):
    settings.LOGS_RETENTION_DAYS = 30
    settings.LOGS_CALLS_RETENTION_DAYS = 0
    building = f.BuildingFactory()
    _entries(building, now, [90, 80, 70, 60, 50, 40, 35, 5], first_id=1)  # 7 old rows, batches of 3

    with CaptureQueriesContext(connection) as queries:
        result = logs_prune(now=now, batch=3)

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("DELETE")]
    assert result.batches == 3 and result.deleted == {"access": 7}
    assert len(deletes) == 3  # 3 + 3 + 1: the short batch ends the building
    assert all("LIMIT 3" in sql and "ORDER BY" in sql for sql in deletes)
    assert list(AccessLogEntry.objects.values_list("remote_id", flat=True)) == [8]


@pytest.mark.django_db
def test_a_batch_takes_the_oldest_rows_of_any_building_first(now):
    a, b = f.BuildingFactory(name="A"), f.BuildingFactory(name="B")
    _entries(a, now, [90, 60, 5], first_id=1)
    _entries(b, now, [80, 70, 50], first_id=11)

    assert batch_delete(AccessLogEntry, before=now - timedelta(days=30), batch=3) == 3

    assert sorted(AccessLogEntry.objects.values_list("remote_id", flat=True)) == [2, 3, 13]


@pytest.mark.django_db
def test_a_spent_time_budget_stops_between_batches_and_the_next_run_continues(settings, now):
    settings.LOGS_RETENTION_DAYS = 30
    settings.LOGS_CALLS_RETENTION_DAYS = 0
    building = f.BuildingFactory()
    _entries(building, now, [90, 80, 70, 5], first_id=1)

    stopped = logs_prune(now=now, batch=2, budget_s=0)
    assert not stopped.finished and stopped.batches == 0 and AccessLogEntry.objects.count() == 4

    finished = logs_prune(now=now, batch=2, budget_s=60)
    assert finished.finished and finished.deleted == {"access": 3}
    assert list(AccessLogEntry.objects.values_list("remote_id", flat=True)) == [4]


@pytest.mark.django_db
def test_the_beat_task_prunes_with_the_retention_from_settings(settings):
    settings.LOGS_RETENTION_DAYS = 7
    settings.LOGS_CALLS_RETENTION_DAYS = 7
    building = f.BuildingFactory()
    _entries(building, timezone.now(), [8, 6], first_id=1)
    call_for(building, remote_id=5, logged_at=timezone.now() - timedelta(days=8))

    assert logs_prune_task.apply().get() == 2
    assert list(AccessLogEntry.objects.values_list("remote_id", flat=True)) == [2]
    assert not CallRecord.objects.exists()


def test_beat_schedules_the_log_prune():
    schedule = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert "logs.tasks.logs_prune_task" in schedule


def test_a_retention_shorter_than_the_backfill_is_warned_about(settings):
    settings.LOGS_BACKFILL_DAYS = 90
    settings.LOGS_RETENTION_DAYS = 30
    settings.LOGS_CALLS_RETENTION_DAYS = 365

    ids = [m.id for m in run_checks() if m.id == "logs.W001"]
    assert ids == ["logs.W001"]

    settings.LOGS_RETENTION_DAYS = 0
    assert not [m for m in run_checks() if m.id == "logs.W001"]


@pytest.mark.django_db
def test_the_time_first_indexes_the_prune_and_many_building_pages_walk_exist():
    catalog = {
        "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename IN ('logs_accesslogentry', 'logs_callrecord')",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index'",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(catalog)
        names = {row[0] for row in cursor.fetchall()}
    assert {"log_time_bldg", "call_time_bldg", "log_bldg_time"} <= names


@pytest.mark.parametrize(
    ("name", "value", "check_id"), [("LOGS_PRUNE_BATCH", 0, "logs.E001"), ("LOGS_PRUNE_BUDGET_S", 0, "logs.E002")]
)
def test_prune_settings_that_would_never_finish_are_refused(settings, name, value, check_id):
    assert not [m for m in run_checks() if m.id.startswith("logs.E")]

    setattr(settings, name, value)

    assert [m.id for m in run_checks() if m.id.startswith("logs.E")] == [check_id]
