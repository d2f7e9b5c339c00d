"""Benchmark the sandbox: generating 1,000,000 access-log entries, and one filtered page of 100 over HTTP.

    python bench/bench_sandbox.py            # SQLite, then PostgreSQL when reachable
    BENCH_SCALE=small python bench/bench_sandbox.py   # 1/100 of the size

Prints `figure_name: value unit` lines: `sandbox_generate_1m_s_<backend>` and `sandbox_page_ms_<backend>`
(median of 25 requests for one page of 100 entries filtered by a 90-day range and one release method).
PostgreSQL is used when ``SANDBOX_BENCH_DATABASE_URL`` or ``DATABASE_URL`` is set, or 127.0.0.1:5432 answers;
the benchmark creates and drops its own database ``sandbox_bench``.
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.plugins.sandbox import start_sandbox, stop_sandbox  # noqa: E402

BUILDING = 11743
SCALE = 100 if os.environ.get("BENCH_SCALE") == "small" else 1
ENTRIES = 1_000_000 // SCALE
REQUESTS = 25


def postgres_url() -> str | None:
    url = os.environ.get("SANDBOX_BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        parts = urlparse(url)
        return urlunparse(parts._replace(path="/sandbox_bench"))
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgres://postgres@127.0.0.1:5432/sandbox_bench"
    except OSError:
        return None


def _psql(url: str, sql: str) -> None:
    """Run SQL against the server's ``postgres`` database (to create or drop ``sandbox_bench``)."""
    import psycopg  # only needed for the PostgreSQL run

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def token(url: str) -> str:
    response = requests.post(
        f"{url}/oauth/token",
        timeout=10,
        data={
            "grant_type": "password",
            "username": "admin@sandbox.test",
            "password": "sandbox-pass",
            "client_id": "portal-dev-client",
            "client_secret": "portal-dev-secret",
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]


def run(backend: str, env: dict[str, str]) -> None:
    state_dir = tempfile.mkdtemp(prefix=f"sandbox-bench-{backend}-")
    server = start_sandbox(state_dir, env=env)
    try:
        requests.post(f"{server.url}/_sandbox/reset", timeout=60).raise_for_status()
        started = time.perf_counter()
        response = requests.post(
            f"{server.url}/_sandbox/generate",
            timeout=600,
            json={
                "building_id": BUILDING,
                "access_logs": ENTRIES,
                "calls": ENTRIES // 10,
                "days": 365,
                "seed": 7,
            },
        )
        response.raise_for_status()
        generate_s = time.perf_counter() - started
        bearer = {"Authorization": f"Bearer {token(server.url)}"}
        now = requests.get(f"{server.url}/_sandbox/clock", timeout=10).json()["now"]
        end = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ",
            time.gmtime(time.mktime(time.strptime(now, "%Y-%m-%dT%H:%M:%SZ")) - 30 * 86400),
        )
        start = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ",
            time.gmtime(time.mktime(time.strptime(end, "%Y-%m-%dT%H:%M:%SZ")) - 90 * 86400),
        )
        url = (
            f"{server.url}/v4/buildings/{BUILDING}/access_logs?per=100&page=1&q[logged_at_gteq]={start}"
            f"&q[logged_at_lteq]={end}&q[release_method_in][]=swipe_to_open"
        )
        session = requests.Session()
        first = session.get(url, headers=bearer, timeout=30)
        first.raise_for_status()
        assert len(first.json()["data"]) == 100, first.text[:300]
        timings = []
        for _ in range(REQUESTS):
            t0 = time.perf_counter()
            session.get(url, headers=bearer, timeout=30).raise_for_status()
            timings.append((time.perf_counter() - t0) * 1000)
        suffix = "" if SCALE == 1 else "_small"
        print(f"sandbox_generate_1m_s_{backend}{suffix}: {generate_s:.1f} s", flush=True)
        print(f"sandbox_page_ms_{backend}{suffix}: {statistics.median(timings):.1f} ms", flush=True)
    finally:
        stop_sandbox(server)


def main() -> None:
    run("sqlite", {})
    url = postgres_url()
    if url is None:
        print("# PostgreSQL not reachable: skipped", file=sys.stderr)
        return
    _psql(url, "DROP DATABASE IF EXISTS sandbox_bench")
    _psql(url, "CREATE DATABASE sandbox_bench")
    try:
        run("postgres", {"SANDBOX_DATABASE_URL": url})
    finally:
        _psql(url, "DROP DATABASE IF EXISTS sandbox_bench WITH (FORCE)")


if __name__ == "__main__":
    main()
