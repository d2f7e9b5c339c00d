"""Production hardening: deploy checks, security headers, the CSP everywhere, JSON logs without secrets."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.core.logging import JsonFormatter, RedactSecretsFilter
from tests.plugins.workers import broker_url, celery_worker

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": "prod-like-" + "x7Kp2mQ9vR4tW8yZ1bC5nF3hJ6lD0sG" * 2,
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "TOKEN_ENCRYPTION_KEYS": "2Hc4Q4pW6E8mT1tW2iT7c6x3oQ0yQ1bD5nqL9f0mXkA=",
    "BMX_ACCOUNTS_BASE": "https://accounts.butterflymx.com",
    "BMX_API_BASE": "https://api.butterflymx.com",
    "PORTAL_SITE_URL": "https://portal.example.com",  # required (E107)
}
HEADERS_SCRIPT = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# No collectstatic here: plain static storage; everything else is production's.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    r = Client(HTTP_HOST="portal.example.com").get("/accounts/login/", secure=True)
cookies = {k: {"secure": v["secure"], "httponly": v["httponly"]} for k, v in r.cookies.items()}
print(json.dumps({"status": r.status_code, "headers": dict(r.headers), "cookies": cookies}))
"""


def run_production(*args: str) -> subprocess.CompletedProcess:
    # Only what production would have: no test-process switches such as DJANGO_ALLOW_ASYNC_UNSAFE
    # (set for Playwright's sync API), which `check --deploy` rightly rejects.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(PRODUCTION_ENV, PORTAL_VAR_DIR=str(ROOT / "var"))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


# `check --deploy --fail-level WARNING` itself: tests/portal/test_settings.py.


def test_a_production_response_carries_every_security_header_and_secure_cookies():
    result = run_production("-c", HEADERS_SCRIPT)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    headers = answer["headers"]

    assert answer["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"  # no inline, no eval
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self' https://accounts.butterflymx.com"
    assert csp["img-src"] == "'self' data: https://*.amazonaws.com https://api.butterflymx.com"
    csrf = answer["cookies"]["csrftoken"]
    assert csrf["secure"] is True and csrf["httponly"] is True


def test_production_settings_make_session_cookies_secure_and_http_only():
    result = run_production(
        "-c",
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)",
    )

    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


@pytest.mark.django_db
def test_every_page_in_every_environment_gets_the_csp(client):
    response = client.get("/accounts/login/")

    csp = response.headers["Content-Security-Policy"]
    # django-csp joins the directives in set order (it varies with the process's hash seed): compare
    # them by name, not by position
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_templates_hold_no_inline_script_handler_or_style():
    import re

    offenders = []
    pattern = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|javascript:|\sstyle=|<style", re.I)
    for folder in ("templates", "logs/templates", "passes/templates", "tenants/templates", "portal"):
        for path in (ROOT / folder).rglob("*.html"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")

    assert offenders == []


def test_json_log_lines_are_one_object_each_and_carry_no_secret():
    record = logging.LogRecord(
        "tenants", logging.INFO, __file__, 1, "refreshed with refresh_token=%s", ("rt-SECRET-123",), None
    )
    record.url = "https://bucket.s3.amazonaws.com/snap.png?X-Amz-Signature=abc"
    RedactSecretsFilter().filter(record)

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "tenants" and entry["time"].endswith("Z")
    assert "rt-SECRET-123" not in line and "X-Amz-Signature" not in line
    assert entry["message"] == "refreshed with refresh_token=[redacted]"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(90)
def test_celery_workers_log_json_lines_through_the_redacting_handler(tmp_path):
    with celery_worker(broker_url(), tmp_path, extra_env={"PORTAL_LOG_FORMAT": "json"}) as worker:
        lines = [line for line in worker.log().splitlines() if line.startswith("{")]

    entries = [json.loads(line) for line in lines]
    assert any(e["logger"].startswith("celery") and "ready" in e["message"] for e in entries), worker.log()[-2000:]
