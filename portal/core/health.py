"""Health checks behind /healthz: the database, the cache, the broker, and the last beat tick.

Two kinds of failure (issue 15). A *critical* check failing (the database) means this web process cannot
serve pages: /healthz answers 503 "unhealthy" and a load balancer should take it out. Any other check
failing (the cache, the broker, beat) means the portal is *degraded*: pages still answer (sessions come
from the database, tasks are not queued, live data pauses), so /healthz answers 200 "degraded", naming
what is down, for monitoring to alert on. Every web process shares the same Redis: answering 503 for it
would take the whole portal out of the load balancer for a fault that only slows it.

The checks that talk to Redis run side by side under one deadline, so /healthz answers within about
``HEALTH_DEADLINE_S`` even when Redis is frozen (a socket that never answers).
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor, TimeoutError, wait
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from logs.health import polled_without_webhooks, stale_buildings, webhook_health
from portal.celery import app
from tenants.models import Building

from .models import Heartbeat


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    critical: bool = False  # failing means this process cannot serve pages (503), not merely degraded


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, f"unreachable: {type(exc).__name__}", critical=True)
    return Check("database", True, connection.vendor, critical=True)


def check_cache() -> Check:
    """A value written to the cache reads back. The cache swallows Redis errors (a miss, a skipped
    write: settings, "Cache"), so a round trip is how an outage shows."""
    token = secrets.token_hex(8)
    try:
        cache.set("healthz:cache", token, 30)
        answered = cache.get("healthz:cache")
    except Exception as exc:
        return Check("cache", False, f"unreachable: {type(exc).__name__}")
    if answered != token:
        return Check("cache", False, "down: sessions come from the database, cache-backed limits are off")
    return Check("cache", True, cache.__class__.__name__)


def check_broker() -> Check:
    try:
        with app.connection_for_write() as conn:
            # one attempt, no pause before giving up (kombu's default waits 2 s between attempts)
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=settings.REDIS_SOCKET_TIMEOUT_S
            )
            transport = conn.transport_cls
    except Exception as exc:
        return Check("broker", False, f"unreachable: {type(exc).__name__}")
    return Check("broker", True, str(transport))


def check_beat() -> Check:
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


# Later issues append checks here. The ones that talk to Redis run in threads under a deadline.
CHECKS = [check_database, check_cache, check_broker, check_beat, check_log_sync]
CHECKS.append(check_webhooks)  # issue 16 (its own line: other checks are added alongside)
REDIS_CHECKS = (check_cache, check_broker)


def health_deadline_s() -> float:
    """How long the Redis checks may take together: a few socket timeouts (settings: REDIS_SOCKET_TIMEOUT_S)."""
    return max(1.0, 3 * settings.REDIS_SOCKET_TIMEOUT_S)


def run_checks() -> list[Check]:
    pool = ThreadPoolExecutor(max_workers=len(REDIS_CHECKS), thread_name_prefix="healthz")
    try:
        futures = {check: pool.submit(check) for check in REDIS_CHECKS}
        wait(futures.values(), timeout=health_deadline_s())
        results = []
        for check in CHECKS:
            if check not in futures:
                results.append(check())
                continue
            try:
                results.append(futures[check].result(timeout=0))
            except TimeoutError:  # still waiting on a frozen Redis: its own socket timeout ends the thread
                name = check.__name__.removeprefix("check_")
                results.append(Check(name, False, f"no answer within {health_deadline_s():g} s"))
        return results
    finally:
        pool.shutdown(wait=False)


def health_status(checks: list[Check]) -> str:
    """ "ok", "degraded" (a non-critical check failed: pages still answer) or "unhealthy"."""
    if any(not c.ok and c.critical for c in checks):
        return "unhealthy"
    return "ok" if all(c.ok for c in checks) else "degraded"
