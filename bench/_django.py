"""Shared set-up for benchmarks: Django on a fresh, throw-away test database; a sandbox process."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCALE = 0.01 if os.environ.get("BENCH_SCALE") == "small" else 1.0


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, int(n * SCALE))


@contextmanager
def django_test_database():
    """Configure Django with the test settings and create (then destroy) a test database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from django.db import connection

    # No setup_test_environment(): it instruments template rendering, which is what we measure.
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextmanager
def sandbox_process():
    """A sandbox on a free port with its own state directory; yields a SandboxClient."""
    from tests.plugins.sandbox import SandboxClient, start_sandbox, stop_sandbox

    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as state_dir:
        server = start_sandbox(state_dir)
        try:
            client = SandboxClient(server.url)
            client.reset()
            yield client
        finally:
            stop_sandbox(server)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def figure(name: str, value: float, unit: str) -> None:
    print(f"{name}: {value:.2f} {unit}", flush=True)
