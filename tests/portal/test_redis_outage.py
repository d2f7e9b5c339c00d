"""A Redis outage degrades the portal instead of breaking it (issue 15).

gunicorn runs ``portal.settings.production`` on the test database with its cache *and* its Celery broker
on a redis-server of the test's own (tests/plugins/redis_server.py), which the test kills, restarts,
freezes (SIGSTOP) and thaws. Before the fix every signed-in page answered 500 while Redis was down
(the session lives in the cache) and hung while it was frozen.

Every request is made with a client timeout far above the portal's bound (REDIS_SOCKET_TIMEOUT_S, 0.5 s,
a few times per page): a page that hung on a frozen Redis fails the test with a timeout instead of
passing late. How fast the pages answer is measured by bench/portfolio/redis_outage.py, not here.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from celery import Celery
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from kombu.exceptions import OperationalError

from logs.models import WebhookEndpoint
from logs.webhooks import secret_hash
from portal.core.celerytask import PortalTask
from portal.core.rediscache import breaker_close
from portal.core.services import heartbeat_record
from tests import factories as f
from tests.plugins.nginx import free_port, stop, wait_for_port
from tests.plugins.redis_server import FrozenRedis, RedisServer, cache_settings, require_redis_server
from tests.plugins.workers import database_url_for_subprocess

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "outage-pass-2026"
CLIENT_TIMEOUT_S = 20  # a hang, not a slow page: the portal's own bound is a few REDIS_SOCKET_TIMEOUT_S


class Browser:
    """One signed-in person: plain HTTP to gunicorn, cookies carried by hand (production marks them Secure)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

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

    def login(self, email: str, password: str) -> int:
        self.request("GET", "/accounts/login/")
        form = {"csrfmiddlewaretoken": self.cookies["csrftoken"], "login": email, "password": password}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", "/accounts/login/", urlencode(form), headers)[0]


@pytest.fixture
def redis_server(tmp_path):
    require_redis_server()
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def portal(tmp_path, redis_server):
    """gunicorn (production settings, two workers) -> the test database; cache and broker on ``redis_server``."""
    var = tmp_path / "var"
    var.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "CELERY_", "EMAIL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_SITE_URL": f"http://127.0.0.1:{port}",
            "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain http on loopback, no TLS proxy in front
            "TOKEN_ENCRYPTION_KEYS": settings.TOKEN_ENCRYPTION_KEYS[0],
            "PORTAL_TRUSTED_PROXY_COUNT": "0",  # clients talk to gunicorn directly
            "PORTAL_REQUIRE_MFA_FOR_STAFF": "false",
            "DATABASE_URL": database_url_for_subprocess(),
            "REDIS_URL": redis_server.url,  # the cache and the broker
            "PORTAL_VAR_DIR": str(var),
            "DJANGO_STATIC_ROOT": str(var / "static"),
            "PORTAL_LOG_LEVEL": "WARNING",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PASSES_SMS_BACKEND": "passes.sms.LocmemBackend",
        }
    )
    if database_url_for_subprocess().startswith("sqlite"):
        env["PORTAL_ALLOW_UNSAFE_SQLITE"] = "true"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    log_path = var / "gunicorn.log"
    log = log_path.open("w")
    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, gunicorn, timeout=60)
        yield port
    finally:
        stop(gunicorn)
        log.close()
        from tests.plugins.log_secrets import RUN_LOG

        with RUN_LOG.open("a", encoding="utf-8") as captured:
            captured.write(log_path.read_text(errors="replace"))


@pytest.fixture
def manager(transactional_db):
    """A building's manager who signs in with a password (few PBKDF2 rounds: a test), and a webhook URL."""
    building = f.BuildingFactory(name="Outage Towers")
    f.AccessPointFactory(building=building, name="Front Door")
    email = f"manager-{uuid.uuid4().hex[:8]}@example.test"
    user = get_user_model().objects.create(email=email, first_name="Morgan")
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    f.MembershipFactory(user=user, building=building, role="manager")
    secret = secrets.token_urlsafe(32)
    WebhookEndpoint.objects.create(building=building, secret_hash=secret_hash(secret))
    heartbeat_record(name="beat")  # /healthz is about Redis here, not about a beat this test does not run
    return email, building, f"/webhooks/bmx/{building.pk}/{secret}/"


def pages(building) -> list[str]:
    """Signed-in pages: home, the logs, the door board and its polled fragment, the API."""
    return ["/", "/logs/", f"/dashboard/{building.pk}/", f"/dashboard/{building.pk}/doors/", "/api/logs/entries/"]


def health(browser: Browser) -> tuple[int, dict]:
    status, _, text = browser.request("GET", "/healthz")
    return status, json.loads(text)


def nudge(browser: Browser, webhook: str, ident: int) -> int:
    """A webhook delivery: the portal stores it and publishes a sync task to the broker."""
    body = {"event": {"resource_type": "door_release", "action": "create", "data": {"id": ident}}}
    return browser.request("POST", webhook, json.dumps(body), {"Content-Type": "application/json"})[0]


def wait_until_healthy(browser: Browser, within_s: float = 30.0) -> dict:
    deadline = time.monotonic() + within_s
    while True:
        status, body = health(browser)
        if body["status"] == "ok" or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


@pytest.mark.slow
def test_pages_sessions_and_healthz_through_a_redis_crash_and_a_freeze(portal, redis_server, manager):
    email, building, webhook = manager
    desk = Browser(portal)
    assert desk.login(email, PASSWORD) == 302
    before = [desk.request("GET", path)[0] for path in pages(building)]
    healthy = health(desk)

    redis_server.kill()
    down = [desk.request("GET", path)[:2] for path in pages(building)]
    down_health = health(desk)
    down_nudge = nudge(desk, webhook, 1)
    newcomer = Browser(portal)
    down_login = newcomer.login(email, PASSWORD)  # allauth's limits fail open; the session goes to the database
    newcomer_home = newcomer.request("GET", "/")[:2]

    redis_server.start()  # back, and empty: every cached session is gone
    back_health = wait_until_healthy(desk)
    after_crash = [desk.request("GET", path)[:2] for path in pages(building)]

    redis_server.freeze()
    frozen = [desk.request("GET", path)[:2] for path in pages(building)]
    frozen_health = health(desk)
    frozen_nudge = nudge(desk, webhook, 2)
    frozen_login_page = Browser(portal).request("GET", "/accounts/login/")[0]

    redis_server.thaw()
    thawed_health = wait_until_healthy(desk)
    after_freeze = [desk.request("GET", path)[:2] for path in pages(building)]

    assert before == [200] * 5
    assert healthy[0] == 200 and healthy[1]["status"] == "ok"
    # down: every page answers, signed in (200, not a redirect to the login page)
    assert down == [(200, "")] * 5
    assert down_health[0] == 200 and down_health[1]["status"] == "degraded"
    assert {"cache", "broker"} <= set(down_health[1]["degraded"])
    assert down_nudge == 200  # stored; the sync task could not be queued, beat's run catches up
    assert down_login == 302 and newcomer_home == (200, "")
    # back: healthy again by itself, and still signed in although Redis lost every cached session
    assert back_health["status"] == "ok"
    assert after_crash == [(200, "")] * 5
    # frozen: answers within the client's timeout (else http.client raised above), still signed in
    assert frozen == [(200, "")] * 5
    assert frozen_health[0] == 200 and frozen_health[1]["status"] == "degraded"
    assert {"cache", "broker"} <= set(frozen_health[1]["degraded"])
    assert frozen_nudge == 200 and frozen_login_page == 200
    assert thawed_health["status"] == "ok"
    assert after_freeze == [(200, "")] * 5


# --- Publishing a task while the broker is down ----------------------------------------------------


@pytest.fixture
def dead_broker_app():
    """A Celery app like the portal's (PortalTask, the bounded publish retry) on a broker that refuses."""
    app = Celery("outage-test", task_cls="portal.core.celerytask:PortalTask")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app.conf.broker_transport_options = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    return app


def test_a_task_that_cannot_be_published_from_a_request_is_logged_not_raised(dead_broker_app, caplog):
    @dead_broker_app.task(name="outage.noop")
    def noop() -> None:
        pass

    assert isinstance(noop, PortalTask)
    with caplog.at_level("WARNING", logger="portal.core.celerytask"):
        result = noop.apply_async()

    assert result is None
    assert "broker unreachable, outage.noop not queued" in caplog.text


def test_inside_a_running_task_a_failed_publish_still_raises(dead_broker_app):
    """A worker's task is Celery's to fail, retry or redeliver: nothing is silently lost there."""

    @dead_broker_app.task(name="outage.follow_up")
    def follow_up() -> None:
        pass

    @dead_broker_app.task(name="outage.publisher")
    def publisher() -> None:
        follow_up.delay()

    with pytest.raises(OperationalError):
        publisher()  # calling a task runs it as the current task, as a worker does


def test_after_a_failed_publish_the_process_stops_trying_that_broker_for_a_while(dead_broker_app, caplog):
    @dead_broker_app.task(name="outage.nudge")
    def nudge_task() -> None:
        pass

    with caplog.at_level("INFO", logger="portal.core.celerytask"):
        first, second = nudge_task.apply_async(), nudge_task.apply_async()

    assert first is None and second is None
    assert caplog.text.count("broker unreachable, outage.nudge not queued") == 1  # one real attempt
    assert "broker unreachable a moment ago, outage.nudge not queued" in caplog.text  # the second: not tried


# --- The cache's circuit breaker -------------------------------------------------------------------


def test_after_one_timeout_the_cache_does_not_ask_a_frozen_redis_again_within_the_window(settings):
    frozen = FrozenRedis()
    settings.REDIS_BREAKER_S = 60.0  # the window outlasts the test: the second call must not try
    settings.CACHES = cache_settings(frozen.port)
    from django.core.cache import cache

    try:
        first = cache.get("session-key")
        asked = (len(frozen.connections), frozen.received)
        second, added, stored = cache.get("session-key"), cache.add("lock", 1), cache.set("k", 1)
        after = (len(frozen.connections), frozen.received)
    finally:
        frozen.close()

    assert first is None and second is None and stored is None
    assert asked[0] == 1 and asked[1] > 0  # the first call really tried (and timed out)
    assert after == asked  # nothing more was sent: no new connection, no command
    assert added is True  # allauth's lock is taken, its limits fail open instead of refusing everyone


def test_a_sign_out_during_a_freeze_is_not_undone_when_that_redis_comes_back(redis_server, settings):
    """Writes that cannot reach Redis leave old values there; once it answers, the process deletes them."""
    import redis

    settings.REDIS_BREAKER_S = 60.0
    settings.CACHES = cache_settings(redis_server.port)
    from django.core.cache import cache

    cache.set("django.contrib.sessions.cached_dbabc", {"_auth_user_id": "1"}, 300)
    cache.set("django.contrib.sessions.cached_dbdef", {"step": "old"}, 300)
    raw = redis.Redis(host="127.0.0.1", port=redis_server.port)
    stored = [k.decode() for k in raw.keys("*cached_dbabc")]

    redis_server.freeze()
    try:
        cache.get("django.contrib.sessions.cached_dbabc")  # times out: the breaker opens for 60 s
        # A sign-out now is never sent, as over a cut link (a frozen Redis still runs, once thawed, what
        # reached its socket before the timeout).
        deleted = cache.delete("django.contrib.sessions.cached_dbabc")
        cache.set("django.contrib.sessions.cached_dbdef", {"step": "new"}, 300)  # saved to the database only
    finally:
        redis_server.thaw()
    still_there = raw.exists(*stored)
    breaker_close(("127.0.0.1", redis_server.port))  # the window has passed: the next call asks Redis again
    cache.get("any-other-key")  # any read (every page reads its session) retries what could not be deleted

    assert len(stored) == 1 and deleted is False and still_there == 1
    assert raw.exists(*stored) == 0
    assert cache.get("django.contrib.sessions.cached_dbdef") is None  # not the old data: a miss reads the database


# --- Sign-in limits while the cache is unreachable ------------------------------------------------


def test_sign_in_attempts_are_counted_per_address_in_the_database_while_the_cache_is_unreachable(
    client, settings, django_user_model
):
    """allauth's limits fail open without the cache; the database counts the attempts instead."""
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user(email="desk@outage.test", password="the-right-one-2026")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    settings.PORTAL_LOGIN_LIMIT_CACHE_DOWN = 3
    settings.CACHES = cache_settings(free_port())  # nothing listens there: a killed Redis
    if time.time() % 60 > 55:  # a fixed one-minute window: start in a fresh one
        time.sleep(61 - time.time() % 60)

    wrong = [client.post("/accounts/login/", {"login": user.email, "password": "guess"}) for _ in range(3)]
    right = client.post("/accounts/login/", {"login": user.email, "password": "the-right-one-2026"})

    assert all(r.status_code == 200 and "too many" not in r.content.decode().lower() for r in wrong)
    assert right.status_code == 200 and "too many failed login attempts" in right.content.decode().lower()
