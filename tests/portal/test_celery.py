"""A task runs on a real worker process, over Redis and over the embedded (filesystem) broker."""

from __future__ import annotations

import pytest

from portal.celery import app
from portal.core.models import Heartbeat
from portal.core.tasks import heartbeat_task
from tests.plugins.workers import celery_worker, redis_url_for_tests, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_runs_on_a_real_worker_over_the_embedded_broker(tmp_path):
    with celery_worker("filesystem://", tmp_path) as worker:
        worker.send(heartbeat_task)

        beat = wait_for(lambda: Heartbeat.objects.filter(name="beat").first(), message="the worker to run the task")

    assert beat.seen_at is not None
    assert "heartbeat_task" in worker.log() and "succeeded" in worker.log()


def test_a_task_runs_on_a_real_worker_over_redis(tmp_path):
    with celery_worker(redis_url_for_tests(), tmp_path) as worker:
        worker.send(heartbeat_task)

        wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), message="the worker to run the task")

    assert "succeeded" in worker.log()


def test_celery_accepts_json_only_and_has_time_limits():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert "heartbeat" in app.conf.beat_schedule
