"""Production settings refuse to start half-configured, and pass Django's deploy checks when complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": "x7#kq2!vR9@pL4$wN8^zT1&mB6*cY3(hJ5)fD0_gS-uE+aQ=oI~lK`rX|eW?bV>n",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "TOKEN_ENCRYPTION_KEYS": "2Hc4Q4pW6E8mT1tW2iT7c6x3oQ0yQ1bD5nqL9f0mXkA=",
}


def run_manage(*args: str, env_overrides: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TOKEN_"))}
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["PORTAL_VAR_DIR"] = str(ROOT / "var" / "settings-test")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env_overrides={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": None})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_names_every_missing_variable():
    result = run_manage(
        "check",
        env_overrides={**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": None, "TOKEN_ENCRYPTION_KEYS": None},
    )

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr
    assert "TOKEN_ENCRYPTION_KEYS" in result.stderr
    assert "DJANGO_SECRET_KEY" not in result.stderr.split("need these environment variables")[-1]


def test_check_deploy_is_clean_with_the_three_variables_set():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_malformed_variable_stops_start_up_naming_it():
    result = run_manage(
        "check",
        env_overrides={"DJANGO_SETTINGS_MODULE": "portal.settings.local", "CELERY_TASK_TIME_LIMIT": "fifteen minutes"},
    )

    assert result.returncode != 0
    assert "CELERY_TASK_TIME_LIMIT" in result.stderr


def test_a_malformed_database_url_names_the_variable():
    result = run_manage(
        "check",
        env_overrides={"DJANGO_SETTINGS_MODULE": "portal.settings.local", "DATABASE_URL": "nosuchdb://somewhere/x"},
    )

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
