"""Load test: gunicorn + PostgreSQL + Redis + one Celery worker + the sandbox, all on loopback.

    python bench/bench_load.py            # 1,000,000 log rows, 25 s per scenario (BENCH_SCALE=small: 10,000, 4 s)

Two scenarios against a production-configured portal (``portal.settings.production``, DEBUG off,
whitenoise, PBKDF2 passwords, secure cookies):

- webhook intake: closed-loop POSTs of realistic ButterflyMX deliveries (the four payload styles of
  contract §6.1, unique dedupe keys plus ~5% repeats) to the building's real webhook URL and secret;
  the one Celery worker consumes the (debounced) sync nudges and syncs from the sandbox meanwhile.
- log list: 50 concurrent users (closed loop, one request in flight each) on the managers' HTML
  page ``/logs/`` filtered by building, a 7-day range and a release method, half of them on a random
  deeper page (keyset cursor).

The log table is filled directly with COPY (parsed ButterflyMX-shaped records, the same rows a sync
writes), not through the sync: this measures browsing, and COPY of 1M rows takes a minute, not ten.
The manager signs in through the real login form once; the session cookie is shared by the 50
simulated users (50 PBKDF2 logins would only measure the hasher). Gunicorn sees plain http on
loopback, so requests carry ``X-Forwarded-Proto: https`` as the TLS proxy would (secure cookies and
CSRF's referer check then behave as in production) and ``DJANGO_SECURE_SSL_REDIRECT=false``.

The load generator is a separate process (no shared GIL) with a minimal asyncio HTTP/1.1 client,
one request in flight per simulated user, a new connection per request (``Connection: close``, as
nginx talks to its upstream by default; with keep-alive, gthread pins each connection to one worker
and a busy worker's queue makes the tail). Latency is measured per request from connect to the last
body byte; percentiles are exact (sorted samples). Errors = connection failures or answers
other than 2xx/3xx, over both scenarios.

Uses its own database ``portal_load_bench`` (dropped at the end unless BENCH_KEEP_DB=1), Redis db
``BENCH_REDIS_DB`` (default 11; its default ``celery`` queue is emptied before and after, nothing
else), free ports only.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SMALL = os.environ.get("BENCH_SCALE") == "small"
N_ROWS = 10_000 if SMALL else 1_000_000
DURATION_S = 4.0 if SMALL else 25.0
WARMUP_S = 1.0 if SMALL else 3.0
WEBHOOK_CONNECTIONS = int(os.environ.get("BENCH_WEBHOOK_CONNECTIONS", "16"))
LOGLIST_USERS = 50
DB_NAME = os.environ.get("BENCH_DB", "portal_load_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '11')}"
GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN_ARGS", "--workers 4 --threads 2").split()
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the load generator (runs in its own process) ------------------------------------------------


async def _request(reader, writer, raw: bytes) -> int:
    writer.write(raw)
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _worker(port: int, make_request, stop_at: float, warm_until: float, out: dict) -> None:
    reader = writer = None
    while time.perf_counter() < stop_at:
        try:
            raw = make_request()
            started = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status = await _request(reader, writer, raw)
            finished = time.perf_counter()
            writer.close()
            reader = writer = None
            if finished >= warm_until:
                out["latencies"].append(finished - started)
                if not 200 <= status < 400:
                    out["errors"] += 1
                    out["statuses"][status] = out["statuses"].get(status, 0) + 1
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            if time.perf_counter() >= warm_until:
                out["errors"] += 1
                out["statuses"][type(exc).__name__] = out["statuses"].get(type(exc).__name__, 0) + 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def _webhook_bodies(seed: int):
    """Realistic deliveries in the four styles of contract §6.1; ~5% repeat an earlier one."""
    rng = random.Random(seed)
    sent: list[bytes] = []
    while True:
        if sent and rng.random() < 0.05:
            yield rng.choice(sent)
            continue
        ident = rng.getrandbits(48)
        guid = str(uuid.UUID(int=rng.getrandbits(128)))
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        style = rng.random()
        if style < 0.55:  # (a) documented envelope, door release
            body = {
                "event": {
                    "resource_type": "door_release",
                    "action": "create",
                    "data": {
                        "id": ident,
                        "logged_at": when,
                        "access_point": 3900 + rng.randrange(8),
                        "entry_method": "Swipe to open",
                        "release_status": "Unlocked",
                        "name": f"Person {rng.randrange(500)}",
                        "image_url": f"https://cdn.butterflymx.com/{guid}.png",
                    },
                }
            }
        elif style < 0.75:  # (b) flat call create, as captured from production
            body = {
                "guid": guid,
                "user": {"id": 3220259, "first_name": "Ada", "last_name": "Lovelace", "sip_username": "3077790"},
                "panel": {"id": 28516, "name": "Front Door", "sip_username": "panel_28516"},
                "unit": {"id": 200000 + rng.randrange(200), "label": "4B"},
                "provider": "twilio",
                "source": {"id": 28516, "name": "Front Door", "sip_username": "panel_28516"},
                "image_url": f"https://bmx-rails-production.s3.amazonaws.com/cache/{guid}.jpeg",
            }
        elif style < 0.9:  # (c) call status update
            body = {"call": {"guid": guid}, "status": rng.choice(["opened_door", "timed_out", "answered"])}
        else:  # (d) legacy notification object
            body = {"id": ident, "panel_id": 28516, "release_method": "Swipe to open", "logged_at": when}
        raw = json.dumps(body).encode()
        if len(sent) < 1000:
            sent.append(raw)
        yield raw


def generate(config: dict) -> dict:
    """Run one closed-loop scenario; return the raw figures."""
    port, path_host = config["port"], f"127.0.0.1:{config['port']}"
    common = f"Host: {path_host}\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n"
    if config["scenario"] == "webhook":
        bodies = _webhook_bodies(config["seed"])
        head = f"POST {config['path']} HTTP/1.1\r\n{common}Content-Type: application/json\r\n"

        def make_request() -> bytes:
            body = next(bodies)
            return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
    else:
        rng = random.Random(config["seed"])
        paths, cursors = config["paths"], config["cursors"]
        head = f"{common}Cookie: {config['cookie']}\r\nAccept: text/html\r\n\r\n"

        def make_request() -> bytes:
            path = rng.choice(paths)
            if cursors and rng.random() < 0.5:
                path += "&cursor=" + rng.choice(cursors)
            return f"GET {path} HTTP/1.1\r\n{head}".encode()

    out = {"latencies": [], "errors": 0, "statuses": {}}

    async def run() -> None:
        now = time.perf_counter()
        warm_until = now + config["warmup"]
        stop_at = warm_until + config["duration"]
        await asyncio.gather(
            *(_worker(port, make_request, stop_at, warm_until, out) for _ in range(config["connections"]))
        )

    asyncio.run(run())
    lat = sorted(out["latencies"])

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {
        "rps": len(lat) / config["duration"],
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": lat[-1] * 1000 if lat else float("nan"),
        "count": len(lat),
        "errors": out["errors"],
        "statuses": out["statuses"],
    }


def run_generator(config: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--generate"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- set-up: database, data, processes ------------------------------------------------------------


def portal_env(var_dir: Path, sandbox_url: str, port: int) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain http on loopback; the header stands in for the proxy
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PORTAL_REQUIRE_MFA_FOR_STAFF": "false",  # the manager signs in with a password only
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS,
        "DJANGO_STATIC_ROOT": str(var_dir / "static"),
        "PORTAL_LOG_LEVEL": "WARNING",
        "BMX_API_BASE": sandbox_url,
        "BMX_ACCOUNTS_BASE": sandbox_url,
        "PORTAL_SITE_URL": f"http://127.0.0.1:{port}",
    }


def recreate_database(drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def flush_redis() -> None:
    """Empty the default Celery queue only: tests may share this db on their own queues."""
    import redis

    redis.Redis.from_url(REDIS).delete("celery")


def seed(sandbox, end: datetime) -> dict:
    """A manager, a building connected to the sandbox, its webhook endpoint, N_ROWS log entries."""
    from bench_logs import records
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from logs import parsing, upsert
    from logs.models import AccessLogEntry, WebhookEndpoint
    from logs.sync import encryptor, lookups
    from logs.webhooks import secret_hash
    from portal.butterflymx import oauth
    from tenants.models import AccessPoint, BmxLink, Building, Membership, Unit
    from tests.factories import UserFactory

    settings.BMX_CLIENT_ID, settings.BMX_CLIENT_SECRET = sandbox.demo["client_id"], sandbox.demo["client_secret"]
    tokens = oauth.password_grant("admin@sandbox.test", "sandbox-pass")
    admin = UserFactory(email="bench-admin@example.test")
    link = BmxLink.objects.create(
        user=admin,
        kind="building_admin",
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
    )
    building = Building.objects.create(name="Bench Tower", bmx_id=11744, time_zone="America/New_York", admin_link=link)
    for i in range(200):
        Unit.objects.create(building=building, bmx_id=200000 + i, label=f"{i // 10 + 1}{'ABCDEFGHIJ'[i % 10]}")
    for i in range(8):
        AccessPoint.objects.create(building=building, bmx_id=3900 + i, name=f"Door {i}")
    password = secrets.token_urlsafe(16)
    manager = UserFactory(email="bench-manager@example.test")
    manager.set_password(password)  # the production hasher (PBKDF2), as a real account
    manager.save()
    Membership.objects.create(user=manager, building=building, role="manager")
    # The endpoint row exactly as webhooks_register leaves it (the sandbox integration itself is not
    # needed: the load generator plays ButterflyMX).
    secret = secrets.token_urlsafe(32)
    WebhookEndpoint.objects.create(
        building=building, secret_hash=secret_hash(secret), integration_ids=["bench"], registered_at=timezone.now()
    )

    doors, _devices, units = lookups(building)
    encrypt = encryptor()
    table = AccessLogEntry._meta.db_table
    rng = random.Random(1)
    gen = records(N_ROWS, 50_000_000, end, 30, rng)
    raw_index = parsing.LOG_COLUMNS.index("raw")
    while chunk := [r for _, r in zip(range(10_000), gen, strict=False)]:
        now = timezone.now()
        rows = [
            parsing.access_log_row(r, building_id=building.pk, doors=doors, units=units, synced_at=now, encrypt=encrypt)
            for r in chunk
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            upsert.copy_rows(cursor, table, parsing.LOG_COLUMNS, upsert._jsonify(rows, raw_index))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    return {"building": building, "manager": manager, "password": password, "secret": secret}


def loglist_targets(building, manager, end: datetime) -> tuple[list[str], list[str]]:
    """The filtered list URLs (7-day windows ending at different days) and valid deeper cursors."""
    from django.urls import reverse

    from logs import selectors
    from logs.models import AccessLogEntry

    paths = []
    local_end = end.astimezone(building.tz)
    for days_back in range(0, 14, 2):
        stop = local_end - timedelta(days=days_back)
        start = stop - timedelta(days=7)
        method = "swipe_to_open" if days_back % 4 == 0 else "app_call"
        paths.append(
            reverse("logs:list") + f"?building={building.pk}&start={start:%Y-%m-%dT%H:%M}"
            f"&end={stop:%Y-%m-%dT%H:%M}&release_method={method}"
        )
    rows = AccessLogEntry.objects.filter(building=building, logged_at__gte=end - timedelta(days=7))
    rows = rows.order_by("?").values_list("logged_at", "pk")[:300]
    return paths, [selectors.cursor_encode(at, pk) for at, pk in rows]


def wait_http(url: str, timeout: float = 60.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2, headers={"X-Forwarded-Proto": "https"}).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def login(base: str, email: str, password: str) -> str:
    """Sign in through the login form (CSRF token, referer check) and return the Cookie header."""
    import requests

    # The cookies are Secure and this is plain http on loopback, so carry them by hand.
    headers = {"X-Forwarded-Proto": "https", "Referer": f"https://{base[7:]}/accounts/login/"}
    jar: dict[str, str] = {}
    page = requests.get(base + "/accounts/login/", headers=headers, timeout=10)
    jar.update(page.cookies.get_dict())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = requests.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": email, "password": password},
        headers={**headers, "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"login failed: {answer.status_code}"
    jar.update(answer.cookies.get_dict())
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    check = requests.get(
        base + "/logs/", headers={"Cookie": cookie, "X-Forwarded-Proto": "https"}, allow_redirects=False, timeout=30
    )
    assert check.status_code == 200, f"the signed-in manager got {check.status_code} on /logs/"
    return cookie


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    from tests.plugins.sandbox import SandboxClient, start_sandbox, stop_sandbox

    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = free_port()
    (var_dir / "sandbox").mkdir()
    server = start_sandbox(str(var_dir / "sandbox"))
    processes: list[subprocess.Popen] = []
    recreate_database()
    flush_redis()
    try:
        sandbox = SandboxClient(server.url)
        sandbox.reset()
        env = portal_env(var_dir, server.url, port)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        world = seed(sandbox, end)
        building = world["building"]
        paths, cursors = loglist_targets(building, world["manager"], end)
        webhook_path = f"/webhooks/bmx/{building.pk}/{world['secret']}/"
        connections.close_all()

        child_env = {**os.environ, **env, "BMX_CLIENT_ID": sandbox.demo["client_id"]}
        child_env["BMX_CLIENT_SECRET"] = sandbox.demo["client_secret"]
        logs = open(var_dir / "processes.log", "w")  # noqa: SIM115 - closed with the processes
        processes.append(
            subprocess.Popen(
                [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}", *GUNICORN_ARGS],
                cwd=ROOT,
                env=child_env,
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [str(BIN / "celery"), "-A", "portal", "worker", "--concurrency=1", "--loglevel=WARNING"],
                cwd=ROOT,
                env=child_env,
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
        )
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/accounts/login/")
        cookie = login(base, "bench-manager@example.test", world["password"])

        common = {"port": port, "seed": 7, "duration": DURATION_S, "warmup": WARMUP_S}
        hook = run_generator(
            {**common, "scenario": "webhook", "path": webhook_path, "connections": WEBHOOK_CONNECTIONS}
        )
        browse = run_generator(
            {
                **common,
                "scenario": "loglist",
                "paths": paths,
                "cursors": cursors,
                "cookie": cookie,
                "connections": LOGLIST_USERS,
            }
        )
        print(f"webhook_rps: {hook['rps']:.0f} req/s", flush=True)
        print(f"webhook_p99_ms: {hook['p99_ms']:.1f} ms", flush=True)
        print(f"loglist_rps: {browse['rps']:.0f} req/s", flush=True)
        print(f"loglist_p95_ms: {browse['p95_ms']:.1f} ms", flush=True)
        print(f"load_errors: {hook['errors'] + browse['errors']} count", flush=True)
        print(f"# load average during the run: {os.getloadavg()}", file=sys.stderr)
        if os.environ.get("BENCH_VERBOSE") == "1":
            print("# webhook", json.dumps(hook), file=sys.stderr)
            print("# loglist", json.dumps(browse), file=sys.stderr)
            from logs.models import WebhookDelivery

            outcomes = {}
            for outcome in WebhookDelivery.objects.values_list("outcome", flat=True).iterator():
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            print("# deliveries", outcomes, file=sys.stderr)
    finally:
        for process in reversed(processes):
            stop(process)
        stop_sandbox(server)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up yet
            pass
        if os.environ.get("BENCH_KEEP_DB") != "1":
            recreate_database(drop_only=True)
        flush_redis()
        log_file = var_dir / "processes.log"
        if os.environ.get("BENCH_VERBOSE") == "1" and log_file.exists():
            print("# gunicorn and worker log (tail)\n" + log_file.read_text()[-3000:], file=sys.stderr)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    if "--generate" in sys.argv:
        print(json.dumps(generate(json.loads(sys.stdin.read()))))
    else:
        main()
