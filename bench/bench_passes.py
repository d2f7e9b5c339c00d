"""pass_list_1000_ms: server time of a resident's pass list page when they have 1,000 passes.

    python bench/bench_passes.py            # 1,000 passes, 25 timed requests
    BENCH_SCALE=small python bench/bench_passes.py

Builds its own test database (SQLite file, or ``test_<name>`` on PostgreSQL when DATABASE_URL is set),
creates the passes directly in it (no ButterflyMX call is on the page's path), times the page through
Django's test Client (middleware, view, template: what the server spends) and removes the database.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SMALL = os.environ.get("BENCH_SCALE") == "small"
PASSES = 10 if SMALL else 1000
REQUESTS = 20 if SMALL else 25


def seed() -> object:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from passes.models import Pass, VisitorKey
    from tenants.models import AccessPoint, Building, Residency, Unit

    building = Building.objects.create(name="Bench Tower", time_zone="America/New_York", bmx_id=1)
    unit = Unit.objects.create(building=building, label="4B", bmx_id=2)
    doors = [AccessPoint.objects.create(building=building, name=f"Door {i}", bmx_id=10 + i) for i in range(4)]
    user = get_user_model().objects.create_user(email="bench@example.test", password="x")
    residency = Residency.objects.create(user=user, unit=unit, bmx_tenant_id=3)
    residency.doors.set(doors)
    now = timezone.now()
    kinds = [k for k, _ in Pass.Kind.choices]
    passes = []
    for i in range(PASSES):
        start = now + dt.timedelta(hours=i - PASSES // 2)
        passes.append(
            Pass(
                kind=kinds[i % len(kinds)],
                name=f"Guest {i}",
                building=building,
                unit=unit,
                residency=residency,
                created_by=user,
                starts_at=start,
                ends_at=start + dt.timedelta(days=2),
                start_date=start.date(),
                end_date=(start + dt.timedelta(days=2)).date(),
                time_from=dt.time(9),
                time_to=dt.time(17),
                weekdays=["mon", "tue", "wed", "thu", "fri"],
                status=Pass.Status.REVOKED if i % 10 == 0 else Pass.Status.ACTIVE,
                bmx_keychain_id=100000 + i,
                use_count=i % 3,
                first_used_at=start if i % 3 else None,
                last_used_at=start if i % 3 else None,
                usage_refreshed_at=now,
            )
        )
    Pass.objects.bulk_create(passes, batch_size=500)
    passes = list(Pass.objects.filter(unit=unit))
    through = Pass.doors.through
    through.objects.bulk_create(
        [through(pass_id=p.pk, accesspoint_id=d.pk) for p in passes for d in doors[: 1 + p.pk % 3]], batch_size=1000
    )
    keys = []
    for p in passes:
        key = VisitorKey(pass_obj=p, name=f"Visitor of {p.name}", pin="402758", bmx_virtual_key_id=500000 + p.pk)
        key.set_share_token()
        keys.append(key)
    VisitorKey.objects.bulk_create(keys, batch_size=500)
    return user


def main() -> None:
    from django.test import Client

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        user = seed()
        client = Client()
        client.force_login(user)
        for _ in range(3):  # warm-up: templates compiled, caches filled
            client.get("/passes/?state=all")
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get("/passes/?state=all")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"pass_list_1000_ms: {statistics.median(timings):.1f} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
