"""The portal's address follows PORT in development and is required in production (issue 16).

`make dev` with PORT=8123 once registered webhooks at port 8000: every delivery failed. honcho hands
each process its own PORT (web 8123, worker 8223, beat 8323), and the worker is the one registering,
so the Makefile passes the web's port as PORTAL_PORT too, which the settings read first.
"""

from __future__ import annotations

import subprocess

import pytest

from .test_settings import PRODUCTION_ENV, ROOT, run_manage

SHOW = [
    "shell",
    "--no-imports",
    "-c",
    "from django.conf import settings; print(settings.SITE_URL, settings.LOGS_WEBHOOK_BASE_URL)",
]
DEV = {"DJANGO_SETTINGS_MODULE": "portal.settings.local", "PORT": None, "LOGS_WEBHOOK_BASE_URL": None}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        # what honcho gives the worker of `make dev PORT=8123`: its own PORT, and the Makefile's PORTAL_PORT
        ({"PORT": "8223", "PORTAL_PORT": "8123"}, "http://127.0.0.1:8123"),
        ({"PORT": "8123", "PORTAL_SITE_URL": "https://portal.example.com"}, "https://portal.example.com"),
    ],
)
def test_in_development_the_webhook_address_follows_the_port(env, expected):
    result = run_manage(*SHOW, env_overrides={**DEV, **env})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, expected]


def test_make_dev_passes_its_port_to_every_process_as_portal_port():
    result = subprocess.run(
        ["make", "-n", "dev", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )

    honcho = [line for line in result.stdout.splitlines() if "honcho" in line]
    assert honcho and "PORT=8123 PORTAL_PORT=8123 " in honcho[-1], result.stdout + result.stderr


@pytest.mark.parametrize("value", [None, "", "portal.example.com", "https://", "ftp://portal.example.com"])
def test_production_refuses_to_start_without_a_usable_portal_site_url(value):
    result = run_manage("check", "--deploy", env_overrides={**PRODUCTION_ENV, "PORTAL_SITE_URL": value})

    assert result.returncode != 0
    assert "portal.E107" in result.stderr
    assert "PORTAL_SITE_URL is" in result.stderr and "webhook URLs ButterflyMX delivers to" in result.stderr
    assert "PORTAL_SITE_URL=https://portal.example.com" in result.stderr  # the hint says what to set
    assert result.stderr.count("portal.E1") == 1


def test_a_separate_webhook_address_is_checked_too():
    env = {**PRODUCTION_ENV, "LOGS_WEBHOOK_BASE_URL": "hooks.example.com"}

    result = run_manage("check", "--deploy", env_overrides=env)

    assert result.returncode != 0
    assert "LOGS_WEBHOOK_BASE_URL is 'hooks.example.com'" in result.stderr


def test_production_with_a_portal_site_url_uses_it_for_webhooks():
    env = {**PRODUCTION_ENV, "PORT": "9000", "DJANGO_SETTINGS_MODULE": "portal.settings.production"}

    result = run_manage(*SHOW, env_overrides=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://portal.example.com", "https://portal.example.com"]
