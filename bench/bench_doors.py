"""Front-desk figures: the portal's own time for a release, and a 200-door board.

    release_overhead_ms  median of (server time of the release POST) - (time waiting for the sandbox)
    board_200_ms         median server time of the door board of a building with 200 doors
    board_200_all_released_ms   the same, every door with a last release (160 of them hours to days old)
    board_200_fragment_queries  queries of the board's htmx fragment, every door released

Run: ``python bench/bench_doors.py`` (``BENCH_SCALE=small`` for fewer repetitions).
"""

from __future__ import annotations

import random
from datetime import timedelta

from _django import django_test_database, figure, median_ms, sandbox_process, scaled, timed


def main() -> None:
    with django_test_database(), sandbox_process() as sandbox:
        from django.conf import settings
        from django.test import Client
        from django.utils import timezone

        from logs.models import AccessLogEntry, ReleaseMethod
        from portal.dashboard.models import DoorRelease
        from tenants.models import AccessPoint
        from tests.dashboard.conftest import build_crimson

        settings.BMX_API_BASE = settings.BMX_ACCOUNTS_BASE = sandbox.url
        settings.DOOR_RELEASE_COOLDOWN_S = 0
        settings.DOOR_RELEASE_USER_LIMIT = settings.DOOR_RELEASE_DOOR_LIMIT = 10**6
        crimson = build_crimson(sandbox)
        # Every door of the building, the residents' unit door included (it is off the board by default).
        crimson.building.unit_doors_on_board = True
        crimson.building.save(update_fields=["unit_doors_on_board"])
        client = Client()
        client.force_login(crimson.staff)

        # --- release overhead
        doors = list(crimson.doors.values())
        overheads = []
        for i in range(scaled(120, 10) + 5):
            door = doors[i % len(doors)]
            elapsed = timed(lambda door=door: client.post(f"/doors/{door.pk}/release/", {"reason": "bench"}))
            release = DoorRelease.objects.latest("id")
            assert release.status == DoorRelease.Status.SUCCEEDED, release.error
            if i >= 5:  # warm-up: connections, template caches
                overheads.append(elapsed - release.bmx_ms / 1000)
        figure("release_overhead_ms", median_ms(overheads), "ms")

        # --- a board of 200 doors, each with history and some with releases
        now = timezone.now()
        AccessPoint.objects.filter(building=crimson.building).delete()
        board_doors = AccessPoint.objects.bulk_create(
            [AccessPoint(building=crimson.building, name=f"Door {i:03}", bmx_id=800000 + i) for i in range(200)]
        )
        methods = list(ReleaseMethod)
        AccessLogEntry.objects.bulk_create(
            [
                AccessLogEntry(
                    building=crimson.building,
                    remote_id=n,
                    logged_at=now - timedelta(minutes=n),
                    release_method=random.choice(methods),
                    door=board_doors[n % 200],
                    person_name="Bench Person",
                    synced_at=now,
                )
                for n in range(20_000)
            ],
            batch_size=2000,
        )

        def release(door, ago: timedelta, status=DoorRelease.Status.SUCCEEDED) -> DoorRelease:
            return DoorRelease(
                building=crimson.building,
                door=door,
                requested_by=crimson.staff,
                requested_by_role="staff",
                status=status,
                requested_at=now - ago,
                completed_at=now - ago,
                bmx_tenant_id=1,
            )

        def board_ms() -> float:
            samples = []
            for i in range(scaled(40, 10) + 3):
                elapsed = timed(lambda: client.get(url))
                if i >= 3:  # warm-up
                    samples.append(elapsed)
            return median_ms(samples)

        DoorRelease.objects.bulk_create([release(door, timedelta(seconds=30)) for door in board_doors[:40]])
        url = f"/dashboard/{crimson.building.pk}/"
        figure("board_200_ms", board_ms(), "ms")

        # --- the same board when every door has a last release, most of them old (issue 16: the board
        # shows each door's last release in its state however old, so each one's confirmation is read)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        failed = DoorRelease.Status.FAILED
        DoorRelease.objects.bulk_create(
            [
                release(door, timedelta(minutes=37 * i + 11), failed if i % 7 == 0 else DoorRelease.Status.SUCCEEDED)
                for i, door in enumerate(board_doors[40:], start=1)
            ]
        )
        figure("board_200_all_released_ms", board_ms(), "ms")
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/dashboard/{crimson.building.pk}/doors/")
        figure("board_200_fragment_queries", len(queries), "queries")


if __name__ == "__main__":
    main()
