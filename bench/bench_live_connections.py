"""Open pages held by one web process while pushing: N signed-in SSE streams on one uvicorn process.

    python bench/bench_live_connections.py      # N=1000 streams, 20 rounds (BENCH_SCALE=small: 100, 5)

    live_connections                 streams that connected and received every event of every round
    live_delivery_p95_ms             p95 of (event received on a stream) - (event published), over all
    live_memory_per_connection_kib   (uvicorn's RSS with N streams - with 1 stream) / (N - 1)

The server is ``uvicorn portal.asgi:application`` as production runs ``/live/`` (one process), on the
test settings and a throw-away SQLite database; the N residents (10 units of 100) each have their own
session, signed in as a browser would be. Each round publishes one event to every unit (the way a
worker publishes: rows in the outbox); every stream must receive it once. Latency includes the pump's
read interval (LIVE_POLL_S, 250 ms): an event waits for the next read, ~125 ms on average. The clients
are asyncio raw streams in this process, on the same two cores as the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from _django import ROOT, django_test_database, figure

SMALL = os.environ.get("BENCH_SCALE") == "small"
N = int(os.environ.get("BENCH_LIVE_CONNECTIONS", "100" if SMALL else "1000"))
ROUNDS = 5 if SMALL else 20
UNITS = 10


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Stream:
    """One page's EventSource, on a raw asyncio connection."""

    def __init__(self, index: int, session_key: str):
        self.index = index
        self.session_key = session_key
        self.received: dict[int, float] = {}  # round -> latency (s)
        self.ready = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None

    async def run(self, port: int, rounds_seen) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer = writer
        writer.write(
            (
                "GET /live/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                f"Cookie: sessionid={self.session_key}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream {self.index}: {status!r}")
        # Lines of the chunked body: chunk sizes, `retry:`, `id:`, `data:`, blanks. Only two matter.
        while line := await reader.readline():
            if line.startswith(b"retry:"):
                self.ready.set()
            elif line.startswith(b"data: "):
                now = time.time()
                payload = json.loads(line[6:])["payload"]
                self.received[payload["round"]] = now - payload["t"]
                rounds_seen(payload["round"])


def rss_bytes(pid: int) -> int:
    import psutil

    return psutil.Process(pid).memory_info().rss


async def drive(port: int, pid: int, sessions: list[str], publish) -> None:
    counts: dict[int, int] = {}
    done: dict[int, asyncio.Event] = {}

    def seen(round_no: int) -> None:
        counts[round_no] = counts.get(round_no, 0) + 1
        if counts[round_no] == len(sessions) and round_no in done:
            done[round_no].set()

    streams = [Stream(i, key) for i, key in enumerate(sessions)]
    tasks = [asyncio.create_task(streams[0].run(port, seen))]
    await asyncio.wait_for(streams[0].ready.wait(), 30)
    await asyncio.sleep(1)  # the first stream started the pump; let the process settle
    rss_one = rss_bytes(pid)
    for start in range(1, len(streams), 50):  # 50 at a time: a page load, not a SYN flood
        batch = streams[start : start + 50]
        tasks += [asyncio.create_task(s.run(port, seen)) for s in batch]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in batch)), 60)
    await asyncio.sleep(2)
    rss_all = rss_bytes(pid)

    for round_no in range(ROUNDS):
        done[round_no] = asyncio.Event()
        await asyncio.to_thread(publish, round_no)
        try:
            await asyncio.wait_for(done[round_no].wait(), 30)
        except TimeoutError:
            pass  # counted below: a stream that missed a round is not counted as served
        await asyncio.sleep(0.5)

    failed = [t for t in tasks if t.done() and t.exception() is not None]
    for s in streams:
        if s.writer is not None:
            s.writer.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if failed:
        print(f"# {len(failed)} streams failed: {failed[0].exception()!r}", file=sys.stderr)

    complete = sum(1 for s in streams if len(s.received) == ROUNDS)
    latencies = [lat for s in streams for lat in s.received.values()]
    print(f"live_connections: {complete} count", flush=True)
    figure("live_delivery_p95_ms", statistics.quantiles(latencies, n=20)[18] * 1000, "ms")
    figure("live_memory_per_connection_kib", (rss_all - rss_one) / (len(streams) - 1) / 1024, "KiB")


def main() -> None:
    raise_open_files_limit(N * 2 + 1000)  # the clients' sockets here and the server's (inherited)
    with django_test_database():
        from django.test import Client

        from portal.live import bus
        from tests import factories as f
        from tests.plugins.workers import database_url_for_subprocess

        building = f.BuildingFactory(name="Live Tower")
        units = [f.UnitFactory(building=building, label=f"{100 + i}") for i in range(UNITS)]
        sessions = []
        for i in range(N):
            resident = f.UserFactory(email=f"resident{i}@live.test")
            f.ResidencyFactory(user=resident, unit=units[i % UNITS])
            client = Client()
            client.force_login(resident)
            sessions.append(client.cookies["sessionid"].value)

        def publish(round_no: int) -> None:
            bus.publish("notice", {"round": round_no, "t": time.time()}, [bus.unit(u.pk) for u in units])

        from tests.plugins.nginx import free_port, stop, wait_for_port

        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": database_url_for_subprocess(),
        }
        env.pop("REDIS_URL", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
            + ["--no-access-log", "--lifespan", "off", "--backlog", "4096", "--timeout-graceful-shutdown", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, server, timeout=60)
            asyncio.run(drive(port, server.pid, sessions, publish))
        finally:
            stop(server)


if __name__ == "__main__":
    main()
