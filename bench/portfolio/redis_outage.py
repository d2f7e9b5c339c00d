"""A Redis outage while people browse: the pages keep answering (issue 15).

    python -m bench.portfolio.redis_outage            # a 30 s outage, then a 15 s freeze
    BENCH_SCALE=small python bench/portfolio/redis_outage.py   # 10 s and 5 s

gunicorn (production settings, two sync workers) on a PostgreSQL database of its own, with its cache and
its Celery broker on a redis-server of its own on a free port (tests/plugins/redis_server.py). Signed-in
managers (one thread each, their own session) browse home, /logs/, the door board, its polled fragment
and the API at a steady pace, and a webhook sender posts deliveries (each one publishes a sync task).
Then, in turn: Redis is killed (SIGKILL) for ``OUTAGE_S``, started again (empty), frozen (SIGSTOP) for
``FROZEN_S``, and thawed.

Figures:
- ``redis_outage_5xx``: answers >= 500 over the whole run (outage, freeze and recoveries): 0;
- ``redis_outage_requests``: requests made while Redis was down (the killed period);
- ``redis_frozen_max_s``: the slowest answer while Redis was frozen (a page waits for at most one socket
  timeout per process and breaker window, ``REDIS_SOCKET_TIMEOUT_S``, ``REDIS_BREAKER_S``);
- ``redis_recovery_s``: from Redis being started again to /healthz answering "ok".

Checked, raising on a mismatch: no signed-in request was sent to the login page (sessions survived:
they are read from the database while the cache is down), /healthz said "degraded" (HTTP 200) while
Redis was down and "ok" after, and every webhook delivery the portal accepted is stored exactly once.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.plugins.nginx import free_port, stop, wait_for_port  # noqa: E402
from tests.plugins.redis_server import RedisServer  # noqa: E402

BIN = Path(sys.executable).parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_REDIS_OUTAGE_DB", "portal_bench_redis_outage")
PASSWORD = "outage-bench-2026"
USERS = 8
PAGE_GAP_S = 0.4  # each manager asks for a page every 0.4 s: about 20 pages/s in all
WEBHOOK_GAP_S = 0.2
CLIENT_TIMEOUT_S = 30.0

SEED = """
import secrets
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from logs.models import WebhookEndpoint
from logs.webhooks import secret_hash
from tenants.models import AccessPoint, Building, Membership
building = Building.objects.create(name="Outage Towers", time_zone="America/New_York")
AccessPoint.objects.create(building=building, name="Front Door")
hasher = PBKDF2PasswordHasher()
for i in range({users}):
    user = get_user_model().objects.create(email=f"manager{{i}}@bench.test", first_name=f"Manager {{i}}")
    user.password = hasher.encode("{password}", hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    Membership.objects.create(user=user, building=building, role="manager")
WebhookEndpoint.objects.create(building=building, secret_hash=secret_hash("{secret}"))
print(building.pk)
"""

COUNT_DELIVERIES = """
from logs.models import WebhookDelivery
print(WebhookDelivery.objects.filter(outcome=WebhookDelivery.Outcome.ACCEPTED).count())
"""


class Browser:
    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT_S)
        try:
            all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", text
        finally:
            conn.close()

    def login(self, email: str) -> None:
        self.request("GET", "/accounts/login/")
        form = {"csrfmiddlewaretoken": self.cookies["csrftoken"], "login": email, "password": PASSWORD}
        status = self.request(
            "POST", "/accounts/login/", urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"}
        )[0]
        if status != 302:
            raise RuntimeError(f"{email} could not sign in: HTTP {status}")


class Recorder:
    """Every answer: (phase, path, status, seconds, redirected to the login page, seconds into the phase)."""

    def __init__(self):
        self.rows: list[tuple[str, str, int, float, bool, float]] = []
        self.phase, self.phase_started = "warm", time.monotonic()
        self.lock = threading.Lock()

    def enter(self, phase: str) -> None:
        self.phase, self.phase_started = phase, time.monotonic()

    def add(self, path: str, status: int, seconds: float, location: str) -> None:
        with self.lock:
            into = time.monotonic() - seconds - self.phase_started
            self.rows.append((self.phase, path, status, seconds, "/accounts/login" in location, into))


def browse(browser: Browser, paths: list[str], recorder: Recorder, stop_at: threading.Event, offset: int) -> None:
    i = offset
    while not stop_at.is_set():
        path = paths[i % len(paths)]
        i += 1
        started = time.monotonic()
        try:
            status, location, _ = browser.request("GET", path)
        except OSError:  # a client timeout or a refused connection: counted as an error answer
            status, location = 599, ""
        recorder.add(path, status, time.monotonic() - started, location)
        stop_at.wait(max(0.0, PAGE_GAP_S - (time.monotonic() - started)))


def send_webhooks(port: int, path: str, recorder: Recorder, accepted: list[int], stop_at: threading.Event) -> None:
    browser, ident = Browser(port), 0
    while not stop_at.is_set():
        ident += 1
        body = json.dumps({"event": {"resource_type": "door_release", "action": "create", "data": {"id": ident}}})
        started = time.monotonic()
        try:
            status = browser.request("POST", path, body, {"Content-Type": "application/json"})[0]
        except OSError:
            status = 599
        recorder.add("webhook", status, time.monotonic() - started, "")
        if status == 200:
            accepted.append(ident)
        stop_at.wait(WEBHOOK_GAP_S)


def portal_env(var: Path, redis_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "CELERY_", "EMAIL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_SITE_URL": "http://127.0.0.1:8000",  # required by production; no webhook is registered here
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PORTAL_TRUSTED_PROXY_COUNT": "0",
            "PORTAL_REQUIRE_MFA_FOR_STAFF": "false",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "REDIS_URL": redis_url,
            "PORTAL_VAR_DIR": str(var),
            "DJANGO_STATIC_ROOT": str(var / "static"),
            "PORTAL_LOG_LEVEL": "ERROR",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PASSES_SMS_BACKEND": "passes.sms.LocmemBackend",
        }
    )
    return env


def recreate_database(drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def manage(env: dict, *args: str, code: str | None = None) -> str:
    command = [sys.executable, "manage.py", *args] + (["-c", code] if code else [])
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def wait_healthy(browser: Browser, within_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        try:
            status, _, text = browser.request("GET", "/healthz")
            if status == 200 and json.loads(text)["status"] == "ok":
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not say ok within {within_s} s of Redis coming back")


def health(browser: Browser) -> dict:
    status, _, text = browser.request("GET", "/healthz")
    return {"http": status, **json.loads(text)}


def run(scale: str) -> dict[str, tuple[float, str]]:
    small = scale == "small"
    outage_s, frozen_s, calm_s = (10.0, 5.0, 3.0) if small else (30.0, 15.0, 5.0)
    var = Path(tempfile.mkdtemp(prefix="bench-redis-outage-"))
    redis_server = RedisServer(var / "redis").start()
    env = portal_env(var, redis_server.url)
    recreate_database()
    gunicorn = None
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        secret = secrets.token_urlsafe(32)
        building = int(
            manage(env, "shell", code=SEED.format(users=USERS, password=PASSWORD, secret=secret)).split()[-1]
        )
        manage(env, "shell", code="from portal.core.services import heartbeat_record; heartbeat_record(name='beat')")
        port = free_port()
        log = (var / "gunicorn.log").open("w")
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(port, gunicorn, timeout=60)
        watcher = Browser(port)
        wait_healthy(watcher, 30)

        paths = ["/", "/logs/", f"/dashboard/{building}/", f"/dashboard/{building}/doors/", "/api/logs/entries/"]
        browsers = [Browser(port) for _ in range(USERS)]
        for i, browser in enumerate(browsers):
            browser.login(f"manager{i}@bench.test")
        recorder, accepted, stop_at = Recorder(), [], threading.Event()
        threads = [
            threading.Thread(target=browse, args=(b, paths, recorder, stop_at, i), daemon=True)
            for i, b in enumerate(browsers)
        ]
        threads.append(
            threading.Thread(
                target=send_webhooks,
                args=(port, f"/webhooks/bmx/{building}/{secret}/", recorder, accepted, stop_at),
                daemon=True,
            )
        )
        for thread in threads:
            thread.start()
        time.sleep(calm_s)

        recorder.enter("down")
        redis_server.kill()
        time.sleep(outage_s / 2)
        down_health = health(watcher)
        time.sleep(outage_s / 2)

        recorder.enter("recovering")
        redis_server.start()
        recovery_s = wait_healthy(watcher, 60)
        time.sleep(calm_s)

        recorder.enter("frozen")
        redis_server.freeze()
        time.sleep(frozen_s / 2)
        frozen_health = health(watcher)
        time.sleep(frozen_s / 2)

        recorder.enter("thawed")
        redis_server.thaw()
        wait_healthy(watcher, 60)
        time.sleep(calm_s)
        stop_at.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT_S + 5)

        rows = recorder.rows
        errors = [r for r in rows if r[2] >= 500]
        signed_out = [r for r in rows if r[4]]
        stored = int(manage(env, "shell", code=COUNT_DELIVERIES).split()[-1])
        problems = []
        if signed_out:
            problems.append(f"{len(signed_out)} signed-in requests were sent to the login page: {signed_out[:3]}")
        if down_health["http"] != 200 or down_health["status"] != "degraded":
            problems.append(f"/healthz while Redis was down: {down_health}")
        if frozen_health["http"] != 200 or frozen_health["status"] != "degraded":
            problems.append(f"/healthz while Redis was frozen: {frozen_health}")
        if stored != len(set(accepted)):
            problems.append(f"{len(set(accepted))} webhook deliveries accepted, {stored} stored")
        if problems:
            raise RuntimeError("redis_outage: " + "; ".join(problems))
        frozen = [r[3] for r in rows if r[0] == "frozen"]
        if os.environ.get("BENCH_VERBOSE"):
            for phase in ("warm", "down", "recovering", "frozen", "thawed"):
                times = sorted(r[3] for r in rows if r[0] == phase)
                slowest = sorted((r for r in rows if r[0] == phase), key=lambda r: -r[3])[:4]
                print(
                    f"# {phase}: {len(times)} requests, p50 {times[len(times) // 2]:.3f}s, "
                    f"p95 {times[int(len(times) * 0.95)]:.3f}s; slowest: "
                    + ", ".join(f"{r[1]} {r[3]:.3f}s at +{r[5]:.1f}s" for r in slowest),
                    file=sys.stderr,
                )
        return {
            "redis_outage_5xx": (float(len(errors)), "answers"),
            "redis_outage_requests": (float(sum(1 for r in rows if r[0] == "down")), "requests"),
            "redis_frozen_max_s": (round(max(frozen), 3), "s"),
            "redis_recovery_s": (round(recovery_s, 2), "s"),
        }
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        redis_server.stop()
        recreate_database(drop_only=True)


if __name__ == "__main__":
    for name, (value, unit) in run("small" if os.environ.get("BENCH_SCALE") == "small" else "full").items():
        print(f"{name}: {value:g} {unit}")
