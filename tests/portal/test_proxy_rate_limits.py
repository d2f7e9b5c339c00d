"""Rate limits behind the proxy, end to end: two clients, a real nginx, gunicorn on production settings.

nginx listens on 127.0.0.1 and each client connects from an address of its own on the loopback network
(127.x.y.2 and 127.x.y.3): nginx sees two different ``$remote_addr`` and appends each to
``X-Forwarded-For``, exactly as in production. gunicorn runs ``portal.settings.production`` with
PORTAL_TRUSTED_PROXY_COUNT=1 (its default), two workers sharing the cache (Redis when the run has it),
and the test database. Before the fix every limit keyed on nginx's own address: the first client's
failures locked the second out.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.plugins.nginx import free_port, require_nginx, start_nginx, stop, wait_for_port
from tests.plugins.workers import database_url_for_subprocess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "front-desk-pass-2026"
TOO_MANY = "Too many failed login attempts"


class Client:
    """One browser at one address: plain HTTP to nginx, cookies carried by hand (they are Secure)."""

    def __init__(self, address: str, port: int):
        self.address, self.port = address, port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
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
            return response.status, text
        finally:
            conn.close()

    def login(self, email: str, password: str, forged_xff: str | None = None) -> tuple[int, str]:
        """One POST of the login form (a GET first, for the CSRF cookie and token, when there is none yet)."""
        if "csrftoken" not in self.cookies:
            self.request("GET", "/accounts/login/")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://127.0.0.1:{self.port}/accounts/login/",  # nginx says the request is https
        }
        if forged_xff:
            headers["X-Forwarded-For"] = forged_xff  # a client's own header: nginx appends the real address
        form = {"csrfmiddlewaretoken": self.cookies["csrftoken"], "login": email, "password": password}
        return self.request("POST", "/accounts/login/", urlencode(form), headers)


@pytest.fixture
def behind_nginx(tmp_path):
    """The portal as production runs it: nginx -> gunicorn (production settings) -> the test database."""
    require_nginx()
    var = tmp_path / "var"
    var.mkdir()
    port, upstream = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "CELERY_", "EMAIL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "PORTAL_SITE_URL": f"https://127.0.0.1:{port}",  # required (E107)
            "TOKEN_ENCRYPTION_KEYS": settings.TOKEN_ENCRYPTION_KEYS[0],
            "PORTAL_TRUSTED_PROXY_COUNT": "1",  # production's default, said out loud
            "PORTAL_REQUIRE_MFA_FOR_STAFF": "false",
            "PASSES_GUEST_MISSES_PER_MINUTE": "3",
            "DATABASE_URL": database_url_for_subprocess(),
            "PORTAL_VAR_DIR": str(var),
            "DJANGO_STATIC_ROOT": str(var / "static"),
            "PORTAL_LOG_LEVEL": "WARNING",
            # Production refuses the printing backends; nothing is sent in this test anyway.
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PASSES_SMS_BACKEND": "passes.sms.LocmemBackend",
        }
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    else:  # the fresh-machine run: one machine's files, accepted knowingly (portal/core/checks.py)
        env.pop("REDIS_URL", None)
        env |= {f"PORTAL_ALLOW_UNSAFE_{thing}": "true" for thing in ("FILE_CACHE", "FILE_BROKER")}
    if database_url_for_subprocess().startswith("sqlite"):
        env["PORTAL_ALLOW_UNSAFE_SQLITE"] = "true"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    log_path = var / "servers.log"
    log = log_path.open("w")
    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{upstream}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    nginx = start_nginx(var, port, upstream, log)
    try:
        wait_for_port(upstream, gunicorn, timeout=60)
        wait_for_port(port, nginx)
        yield port
    finally:
        stop(nginx)
        stop(gunicorn)
        log.close()
        from tests.plugins.log_secrets import RUN_LOG

        with RUN_LOG.open("a", encoding="utf-8") as captured:
            captured.write(log_path.read_text(errors="replace"))


@pytest.fixture
def two_addresses():
    """Two loopback addresses of their own (limits on Redis outlive a run: a re-run starts afresh)."""
    net = f"127.{random.randrange(1, 255)}.{random.randrange(0, 255)}"
    return f"{net}.2", f"{net}.3"


@pytest.fixture
def front_desk(transactional_db):
    """The front desk's account, with a password production's hasher checks (few rounds: a test)."""
    email = f"desk-{uuid.uuid4().hex[:8]}@example.test"
    user = get_user_model().objects.create(email=email, first_name="Desk")
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return email


def test_failed_logins_from_one_address_do_not_lock_the_front_desk_out_at_another(
    behind_nginx, two_addresses, front_desk
):
    attacker, desk = (Client(address, behind_nginx) for address in two_addresses)

    first_five = [attacker.login(front_desk, "wrong-guess") for _ in range(5)]
    sixth = attacker.login(front_desk, "wrong-guess")
    right_from_attacker = attacker.login(front_desk, PASSWORD)
    # The client writes the desk's address into X-Forwarded-For itself: nginx appends its real one.
    forged = attacker.login(front_desk, PASSWORD, forged_xff=two_addresses[1])
    at_the_desk = desk.login(front_desk, PASSWORD)

    assert [status for status, _ in first_five] == [200] * 5
    assert not any(TOO_MANY in page for _, page in first_five)
    assert TOO_MANY in sixth[1]  # the pair (account, this address) is locked
    assert right_from_attacker[0] == 200 and TOO_MANY in right_from_attacker[1]
    assert forged[0] == 200 and TOO_MANY in forged[1]
    assert at_the_desk[0] == 302  # signed in: the attacker's failures were not the desk's


def test_the_locked_address_gets_429_and_a_forged_header_does_not_free_it(behind_nginx, two_addresses, front_desk):
    flooder, other = (Client(address, behind_nginx) for address in two_addresses)

    statuses = [flooder.login(f"nobody-{i}@example.test", "wrong-guess")[0] for i in range(31)]
    forged = flooder.login("someone@example.test", "wrong-guess", forged_xff="198.51.100.7")
    forged_as_other = flooder.login("someone@example.test", "wrong-guess", forged_xff=two_addresses[1])
    other_status, _ = other.login(front_desk, PASSWORD)

    # allauth's "login": "30/m/ip", keyed on the flooder's own address
    assert statuses == [200] * 30 + [429]
    assert forged[0] == 429 and forged_as_other[0] == 429
    assert other_status == 302


def test_guest_pages_are_limited_per_real_address(behind_nginx, two_addresses):
    guesser, visitor = (Client(address, behind_nginx) for address in two_addresses)
    if time.time() % 60 > 50:  # a fixed one-minute window: start in a fresh one
        time.sleep(61 - time.time() % 60)

    guesses = [guesser.request("GET", f"/p/{secrets.token_urlsafe(16)}/")[0] for _ in range(4)]
    forged = guesser.request("GET", "/p/guess/", headers={"X-Forwarded-For": two_addresses[1]})[0]
    visitor_status, page = visitor.request("GET", "/p/another-guess/")

    assert guesses == [404, 404, 404, 429]  # PASSES_GUEST_MISSES_PER_MINUTE=3
    assert forged == 429
    assert visitor_status == 404 and not re.search("Too many requests", page)
