"""Load test: nginx + gunicorn + PostgreSQL + Redis + one Celery worker + the sandbox, all on loopback.

    python bench/bench_load.py            # 1,000,000 log rows, 25 s per scenario (BENCH_SCALE=small: 10,000, 4 s)

The portal runs as docs/operations.md deploys it: gunicorn sync workers (``portal.settings.production``,
DEBUG off, whitenoise, PBKDF2 passwords, secure cookies) behind nginx, the reverse proxy that
terminates TLS in production (here plain http on loopback; nginx sets ``X-Forwarded-Proto: https`` as
it would, and ``DJANGO_SECURE_SSL_REDIRECT=false``). The proxy is part of what is measured, and it
matters: a sync worker that accepts a connection waits on it until the whole request has arrived, so
clients talking to gunicorn directly hold a worker for as long as they take to send; nginx reads the
request first and passes it on complete, which is why gunicorn documents sync workers behind a
buffering proxy. (Measured here on this VM: 50 users who pause between pages, straight at gunicorn,
got 86 pages/s at p95 395 ms with the same code that serves 117-119 pages/s at p95 48-61 ms behind
nginx: their connections, opened before each pause, held the two workers idle.)

Two scenarios:

- webhook intake: 16 senders POST realistic ButterflyMX deliveries (the four payload styles of
  contract §6.1, unique dedupe keys plus ~5% repeats) to the building's real webhook URL and secret,
  each pausing 8-28 ms between deliveries, about 600/s offered in all: deliveries arrive as doors
  open, not as fast as the portal answers (``webhook_rps``, ``webhook_p99_ms``). The same senders
  with no pause measure the capacity (``webhook_saturation_rps``). The one Celery worker consumes
  the (debounced) sync nudges and syncs from the sandbox meanwhile.
- log list: 50 concurrent users on the managers' HTML page ``/logs/`` filtered by building, a 7-day
  range and a release method, half of them on a random deeper page (keyset cursor). Each user reads
  a page for 0.2-0.6 s before asking for the next (``loglist_rps``, ``loglist_p95_ms``): with no
  pause at all, 50 users could only see p95 < 150 ms at more than 333 req/s (Little's law: users =
  throughput x latency), so the issue's "100 req/s with p95 < 150 ms at 50 users" describes users
  who read what they asked for. The same 50 users with no pause measure the capacity
  (``loglist_saturation_rps``).

The log table is filled directly with COPY (parsed ButterflyMX-shaped records, the same rows a sync
writes), not through the sync: this measures browsing, and COPY of 1M rows takes a minute, not ten.
The manager signs in through the real login form once; the session cookie is shared by the 50
simulated users (50 PBKDF2 logins would only measure the hasher).

The load generator is wrk (C, one thread; ``apt-get install wrk``), scripted in Lua: on two cores a
Python client cost as much CPU per request as a third of the server's work, and took it from the
server. One request in flight per connection, connections kept alive as browsers keep them (nginx
opens a new one to gunicorn per request, as it does by default). Latency is wrk's: from writing the
request to the last byte of the answer, so time queued in nginx and gunicorn counts. A warm-up run
precedes each measured run. Errors = wrk's connect/read/write/timeout errors plus answers other than
2xx/3xx. ``BENCH_VERBOSE=1`` adds the CPU milliseconds each part (nginx, gunicorn, the worker,
PostgreSQL, wrk) spent per request.

Uses its own database ``portal_load_bench`` (dropped at the end unless BENCH_KEEP_DB=1), Redis db
``BENCH_REDIS_DB`` (default 11; its default ``celery`` queue is emptied before and after, nothing
else), free ports only. Needs wrk and nginx (Debian packages; ``make bench`` installs both).
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import shutil
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
THINK_MS = (200, 600)  # each simulated manager reads a page for 0.2-0.6 s before the next one
# Each of the 16 senders waits 8-28 ms (mean 18) between deliveries: about 16 / (18 ms + latency),
# i.e. ~600 deliveries/s offered when the portal answers within a few ms, fewer if it does not.
WEBHOOK_GAP_MS = (8, 28)
DB_NAME = os.environ.get("BENCH_DB", "portal_load_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '11')}"
# One sync process more than the cores, as docs/operations.md deploys it: since issue 17 removed the
# private-API speed-ups, a third worker on 2 cores keeps the log list's p95 at 70 ms instead of 105
# (docs/performance.md, "Wall-clock, before and after"). Threads only added contention.
GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN_ARGS", f"--workers {(os.cpu_count() or 1) + 1}").split()
BIN = Path(sys.executable).parent

# nginx in front of gunicorn, configured as docs/operations.md deploys it (shared with the tests).
from tests.plugins.nginx import free_port, start_nginx, stop  # noqa: E402

# --- the load generator: wrk, driven by small Lua scripts ----------------------------------------

# Lua shared by both scenarios: wrk's own summary as one JSON line (latencies in microseconds).
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""
# Headers of every request; nginx adds X-Forwarded-Proto as the TLS-terminating proxy does.
LUA_HEADERS = "local common = {}\n"

LUA_WEBHOOK = (
    LUA_HEADERS
    + """
local bodies = {}
for line in io.lines(os.getenv("BENCH_DATA")) do bodies[#bodies + 1] = line end
local path, i = os.getenv("BENCH_PATH"), tonumber(os.getenv("BENCH_OFFSET"))
local gap_min, gap_max = tonumber(os.getenv("BENCH_GAP_MIN_MS")), tonumber(os.getenv("BENCH_GAP_MAX_MS"))
common["Content-Type"] = "application/json"
math.randomseed(11)
request = function()
  i = i + 1
  return wrk.format("POST", path, common, bodies[(i - 1) % #bodies + 1])
end
if gap_max > 0 then
  delay = function() return math.random(gap_min, gap_max) end
end
"""
    + LUA_DONE
)

LUA_LOGLIST = (
    LUA_HEADERS
    + """
local paths, cursors = {}, {}
for line in io.lines(os.getenv("BENCH_DATA")) do
  local kind, value = line:match("^(%a+) (.*)$")
  if kind == "path" then paths[#paths + 1] = value else cursors[#cursors + 1] = value end
end
common["Cookie"], common["Accept"] = os.getenv("BENCH_COOKIE"), "text/html"
local think_min, think_max = tonumber(os.getenv("BENCH_THINK_MIN_MS")), tonumber(os.getenv("BENCH_THINK_MAX_MS"))
math.randomseed(7)
request = function()
  local path = paths[math.random(#paths)]
  if #cursors > 0 and math.random() < 0.5 then path = path .. "&cursor=" .. cursors[math.random(#cursors)] end
  return wrk.format("GET", path, common)
end
if think_max > 0 then
  delay = function() return math.random(think_min, think_max) end
end
"""
    + LUA_DONE
)


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise SystemExit(f"bench_load needs {name}: apt-get install {name} (make bench installs it)")
    return found


def run_wrk(port: int, script: str, connections: int, seconds: float, env: dict[str, str]) -> dict:
    """One closed-loop wrk run; wrk's figures plus the CPU seconds wrk itself used."""
    import resource

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    args = [binary("wrk"), "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "10s", "-s", lua.name]
    out = subprocess.run(
        [*args, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=False, env={**os.environ, **env}
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(lua.name)
    figures = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    figures["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return figures


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


def cpu_seconds(processes: list[subprocess.Popen]) -> dict[str, float]:
    """CPU seconds used so far by each part: gunicorn, the worker, nginx (with their children), PostgreSQL."""
    import psutil

    def tree(root: psutil.Process) -> float:
        """A process, its live descendants, and the children it has already reaped (a PostgreSQL
        backend that ended, a replaced worker): otherwise their CPU vanishes from the sum."""
        try:
            times = root.cpu_times()
            total = times.user + times.system + times.children_user + times.children_system
            for child in root.children(recursive=True):
                try:
                    total += sum(child.cpu_times()[:2])
                except psutil.NoSuchProcess:
                    pass
            return total
        except psutil.NoSuchProcess:
            return 0.0

    postmasters = [
        proc
        for proc in psutil.process_iter(["name", "ppid"])
        if proc.info["name"] == "postgres" and psutil.Process(proc.info["ppid"]).name() != "postgres"
    ]
    parts = {name: tree(psutil.Process(processes[i].pid)) for name, i in (("nginx", 2), ("gunicorn", 0), ("worker", 1))}
    return parts | {"postgres": sum(tree(postmaster) for postmaster in postmasters)}


def run_scenario(port: int, scenario: dict, processes: list[subprocess.Popen]) -> dict:
    """A warm-up run, then the measured run: its figures and CPU milliseconds per request of each part."""
    run_wrk(port, scenario["script"], scenario["connections"], WARMUP_S, scenario["env"] | scenario["warmup_env"])
    before = cpu_seconds(processes)
    raw = run_wrk(port, scenario["script"], scenario["connections"], DURATION_S, scenario["env"])
    after = cpu_seconds(processes)
    count = max(1, raw["requests"])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "count": raw["requests"],
        "errors": errors,
        "error_kinds": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]},
        "cpu_ms_per_request": {name: round((after[name] - before[name]) * 1000 / count, 2) for name in before}
        | {"wrk": round(raw["wrk_cpu_s"] * 1000 / count, 2)},
    }


def webhook_scenario(var_dir: Path, path: str, paced: bool, seed: int) -> dict:
    """Deliveries written to a file, one per line; the warm-up and the measured run use different ones."""
    bodies = _webhook_bodies(seed=seed)
    warm = int(WARMUP_S * 3000)
    data = var_dir / f"webhook-bodies-{seed}.txt"
    data.write_text("".join(next(bodies).decode() + "\n" for _ in range(warm + int(DURATION_S * 3000))))
    low, high = WEBHOOK_GAP_MS if paced else (0, 0)
    env = {"BENCH_DATA": str(data), "BENCH_PATH": path, "BENCH_OFFSET": str(warm)}
    env |= {"BENCH_GAP_MIN_MS": str(low), "BENCH_GAP_MAX_MS": str(high)}
    return {"script": LUA_WEBHOOK, "connections": WEBHOOK_CONNECTIONS, "env": env, "warmup_env": {"BENCH_OFFSET": "0"}}


def loglist_scenario(var_dir: Path, paths: list[str], cursors: list[str], cookie: str, think: bool) -> dict:
    data = var_dir / "loglist-targets.txt"
    data.write_text("".join(f"path {p}\n" for p in paths) + "".join(f"cursor {c}\n" for c in cursors))
    low, high = THINK_MS if think else (0, 0)
    env = {"BENCH_DATA": str(data), "BENCH_COOKIE": cookie, "BENCH_THINK_MIN_MS": str(low)}
    env["BENCH_THINK_MAX_MS"] = str(high)
    return {"script": LUA_LOGLIST, "connections": LOGLIST_USERS, "env": env, "warmup_env": {}}


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
        # Production refuses the printing console backends (portal/core/checks.py): nothing is sent here.
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PASSES_SMS_BACKEND": "passes.sms.LocmemBackend",
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
    from bench_logs import insert_generated
    from django.conf import settings
    from django.utils import timezone

    from logs.models import WebhookEndpoint
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
        building=building,
        secret_hash=secret_hash(secret),
        integrations={"access_log": "bench"},
        registered_at=timezone.now(),
    )

    insert_generated(building, N_ROWS, end, chunk=10_000)
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


def main() -> None:
    from tests.plugins.sandbox import SandboxClient, start_sandbox, stop_sandbox

    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port, upstream = free_port(), free_port()  # nginx (what clients reach), gunicorn behind it
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
                [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{upstream}", *GUNICORN_ARGS],
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
        processes.append(start_nginx(var_dir, port, upstream, logs))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/accounts/login/")
        cookie = login(base, "bench-manager@example.test", world["password"])

        hook = run_scenario(port, webhook_scenario(var_dir, webhook_path, paced=True, seed=7), processes)
        hook_max = run_scenario(port, webhook_scenario(var_dir, webhook_path, paced=False, seed=8), processes)
        browse = run_scenario(port, loglist_scenario(var_dir, paths, cursors, cookie, think=True), processes)
        saturated = run_scenario(port, loglist_scenario(var_dir, paths, cursors, cookie, think=False), processes)
        print(f"webhook_rps: {hook['rps']:.0f} req/s", flush=True)
        print(f"webhook_p99_ms: {hook['p99_ms']:.1f} ms", flush=True)
        print(f"webhook_saturation_rps: {hook_max['rps']:.0f} req/s", flush=True)
        print(f"loglist_rps: {browse['rps']:.0f} req/s", flush=True)
        print(f"loglist_p95_ms: {browse['p95_ms']:.1f} ms", flush=True)
        print(f"loglist_saturation_rps: {saturated['rps']:.0f} req/s", flush=True)
        errors = sum(run["errors"] for run in (hook, hook_max, browse, saturated))
        print(f"load_errors: {errors} count", flush=True)
        print(f"# load average during the run: {os.getloadavg()}", file=sys.stderr)
        if os.environ.get("BENCH_VERBOSE") == "1":
            print("# webhook", json.dumps(hook), file=sys.stderr)
            print("# webhook, no pause", json.dumps(hook_max), file=sys.stderr)
            print("# loglist", json.dumps(browse), file=sys.stderr)
            print("# loglist, no think time", json.dumps(saturated), file=sys.stderr)
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
        except Exception:  # Django may not be set up yet
            pass
        if os.environ.get("BENCH_KEEP_DB") != "1":
            recreate_database(drop_only=True)
        flush_redis()
        log_file = var_dir / "processes.log"
        if os.environ.get("BENCH_VERBOSE") == "1" and log_file.exists():
            print("# nginx, gunicorn and worker log (tail)\n" + log_file.read_text()[-3000:], file=sys.stderr)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
