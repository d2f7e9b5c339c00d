"""Health checks behind /healthz: the database, the broker, and the last beat tick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, f"unreachable: {type(exc).__name__}")
    return Check("database", True, connection.vendor)


def check_broker() -> Check:
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:
        return Check("broker", False, f"unreachable: {type(exc).__name__}")
    return Check("broker", True, str(transport))


def check_beat() -> Check:
    from .models import Heartbeat

    beat = Heartbeat.objects.filter(name="beat").first()
    if beat is None:
        return Check("beat", False, "no tick yet: is celery beat running?")
    age = timezone.now() - beat.seen_at
    # Three missed ticks mean beat (or every worker) is down, not merely busy.
    limit = timedelta(seconds=3 * settings.HEARTBEAT_INTERVAL_S)
    if age > limit:
        return Check("beat", False, f"last tick {int(age.total_seconds())} s ago")
    return Check("beat", True, f"last tick {int(age.total_seconds())} s ago")


def check_log_sync() -> Check:
    """Connected buildings whose log sync has not succeeded for ``LOGS_STALE_AFTER_S``.

    A warning, not a failure: ``ok`` stays true (no 503), because one building's ButterflyMX trouble
    must not take the whole portal out of a load balancer. The detail names the stale buildings,
    and the status line says "stale", for monitoring to alert on.
    """
    from logs.health import polled_without_webhooks, stale_buildings

    stale = stale_buildings()
    # Streams whose webhook ButterflyMX refused are still current (polling carries them); said, not alarmed.
    polled_only = polled_without_webhooks()
    polled = "; polled only: " + ", ".join(f"{n} ({why})" for n, why in polled_only[:10]) if polled_only else ""
    if not stale:
        return Check("log_sync", True, "every connected building is current" + polled)
    names = ", ".join(f"{name} ({why})" for name, why in stale[:10])
    return Check("log_sync", True, f"stale: {names}" + polled)


def check_webhooks() -> Check:
    """Connected buildings whose webhooks are not working: not registered, refused, retrying, pointing at
    an old address, not arriving or gone quiet (logs.health.webhook_health). A warning, like log_sync:
    polling still carries the data, only later."""
    from logs.health import webhook_health
    from tenants.models import Building

    connected = Building.objects.filter(is_active=True, bmx_id__isnull=False, admin_link__isnull=False)
    try:
        names = dict(connected.values_list("id", "name"))
        hooks = webhook_health(list(names))
    except DatabaseError as exc:  # the database check says so; this one must not turn /healthz into a 500
        return Check("webhooks", True, f"not checked: {type(exc).__name__}")
    trouble = sorted((names[b], h.label.lower()) for b, h in hooks.items() if h.warning)
    if not trouble:
        return Check("webhooks", True, "every connected building's webhooks are registered")
    listed = ", ".join(f"{name} ({label})" for name, label in trouble[:10])
    more = f" and {len(trouble) - 10} more" if len(trouble) > 10 else ""
    return Check("webhooks", True, f"attention: {listed}{more}")


# Later issues append checks here.
CHECKS = [check_database, check_broker, check_beat, check_log_sync]
CHECKS.append(check_webhooks)  # issue 16 (its own line: other checks are added alongside)


def run_checks() -> list[Check]:
    return [check() for check in CHECKS]
