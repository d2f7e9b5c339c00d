"""portal.core.postgresql: Django's health check only after a connection sat idle (the saved round
trip is in docs/performance.md). Runs against the machine's PostgreSQL in both test runs: a wrapper of
its own, so the SQLite run checks it too."""

from __future__ import annotations

import environ
import psycopg
import pytest
from django.db import connection, connections

from portal.core.postgresql.base import RECENT_S, DatabaseWrapper


@pytest.fixture
def wrapper(db, django_db_blocker, monkeypatch):
    if connection.vendor == "postgresql":
        settings_dict = {**connection.settings_dict}
    else:  # the SQLite run: the local PostgreSQL every machine of the project runs (docs/operations.md)
        url = environ.Env().str("TEST_POSTGRES_URL", default="postgres://postgres@127.0.0.1:5432/postgres")
        settings_dict = {**environ.Env.db_url_config(url), "TIME_ZONE": None, "OPTIONS": {}}
    settings_dict |= {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False}
    wrapped = DatabaseWrapper(settings_dict, alias="health-check-test")
    checks = []
    real_is_usable = wrapped.is_usable
    monkeypatch.setattr(wrapped, "is_usable", lambda: checks.append(1) or real_is_usable())
    wrapped.checks = checks
    # Registered under its alias while the test runs: django.contrib.postgres's connection_created
    # handler looks the new connection up by alias (connections[alias]) to register its type handlers.
    connections[wrapped.alias] = wrapped
    with django_db_blocker.unblock():  # a connection of its own, outside the test's transaction
        yield wrapped
        wrapped.close()
    del connections[wrapped.alias]


def request(db) -> int:
    """What one request does to the connection: the start and end signals around one query."""
    db.close_if_unusable_or_obsolete()
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    db.close_if_unusable_or_obsolete()
    return pid


def test_a_connection_used_a_moment_ago_is_reused_without_a_check(wrapper):
    first = request(wrapper)  # a new connection: nothing to check yet
    checks_after_first = len(wrapper.checks)
    assert request(wrapper) == first and request(wrapper) == first
    assert len(wrapper.checks) == checks_after_first  # no SELECT 1 for the busy connection


def test_a_connection_idle_for_a_while_is_checked_as_django_does(wrapper):
    first = request(wrapper)
    wrapper.used_ok_at -= RECENT_S + 1
    before = len(wrapper.checks)
    assert request(wrapper) == first
    assert len(wrapper.checks) == before + 1


def test_an_idle_connection_killed_by_the_server_is_replaced_without_an_error(wrapper):
    first = request(wrapper)
    wrapper.used_ok_at -= RECENT_S + 1
    params = wrapper.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k not in ("cursor_factory", "context")}) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    second = request(wrapper)  # the health check notices, Django reconnects: the query succeeds
    assert second != first
