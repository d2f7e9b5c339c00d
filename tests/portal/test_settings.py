"""Production settings refuse to start half-configured or leaky, and pass Django's deploy checks when complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "2Hc4Q4pW6E8mT1tW2iT7c6x3oQ0yQ1bD5nqL9f0mXkA="
# A complete production configuration: nothing is contacted by `check` (no --database), so the hosts
# need not exist.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": "x7#kq2!vR9@pL4$wN8^zT1&mB6*cY3(hJ5)fD0_gS-uE+aQ=oI~lK`rX|eW?bV>n",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "TOKEN_ENCRYPTION_KEYS": KEY,
    "DATABASE_URL": "postgres://portal:secret@db.example.com:5432/portal",
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "EMAIL_URL": "smtp+tls://portal:secret@smtp.example.com:587",
    "PASSES_SMS_BACKEND": "passes.sms.LocmemBackend",  # any backend that does not print the message
    "PORTAL_SITE_URL": "https://portal.example.com",  # required (E107)
}
# What this process's environment may hold that would change the configuration under test.
INHERITED = ("DJANGO_", "TOKEN_", "DATABASE_URL", "REDIS_URL", "CELERY_", "EMAIL_URL", "PASSES_", "PORTAL_")


def run_manage(*args: str, env_overrides: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED)}
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


def test_check_deploy_is_clean_with_a_complete_production_configuration():
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


# --- Production refuses to leak (portal/core/checks.py) ------------------------------------------

REFUSED = {
    # name: (what changes in the complete configuration, check id, words the message must hold, override)
    "console e-mail": (
        {"EMAIL_URL": None, "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
        "portal.E101",
        ["EMAIL_BACKEND is django.core.mail.backends.console.EmailBackend", "password-reset", "EMAIL_URL"],
        "PORTAL_ALLOW_UNSAFE_EMAIL_BACKEND",
    ),
    "file e-mail": (
        {"EMAIL_URL": None, "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"},
        "portal.E101",
        ["EMAIL_BACKEND is django.core.mail.backends.filebased.EmailBackend", "files on disk"],
        "PORTAL_ALLOW_UNSAFE_EMAIL_BACKEND",
    ),
    "console SMS": (
        {"PASSES_SMS_BACKEND": "passes.sms.ConsoleBackend"},
        "portal.E102",
        ["PASSES_SMS_BACKEND is passes.sms.ConsoleBackend", "guest-pass link"],
        "PORTAL_ALLOW_UNSAFE_SMS_BACKEND",
    ),
    "SQLite": (
        {"DATABASE_URL": None},
        "portal.E103",
        ["SQLite", "DATABASE_URL=postgres://"],
        "PORTAL_ALLOW_UNSAFE_SQLITE",
    ),
    "file cache": (
        {"REDIS_URL": None, "CELERY_BROKER_URL": "redis://redis.example.com:6379/0"},
        "portal.E104",
        ["cache (default) is file-based", "REDIS_URL"],
        "PORTAL_ALLOW_UNSAFE_FILE_CACHE",
    ),
    "file broker": (
        {"CELERY_BROKER_URL": "filesystem://"},
        "portal.E105",
        ["CELERY_BROKER_URL is the filesystem broker", "REDIS_URL"],
        "PORTAL_ALLOW_UNSAFE_FILE_BROKER",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_check_deploy_refuses_a_leaky_or_one_machine_configuration_naming_it(name):
    changes, check_id, words, override = REFUSED[name]

    result = run_manage("check", "--deploy", env_overrides={**PRODUCTION_ENV, **changes})

    assert result.returncode != 0
    assert check_id in result.stderr, result.stderr
    for word in [*words, f"{override}=true"]:
        assert word in result.stderr
    assert result.stderr.count("portal.E1") == 1  # only the one refused configuration


@pytest.mark.parametrize("name", list(REFUSED))
def test_its_own_explicit_variable_accepts_a_refused_configuration(name):
    changes, _check_id, _words, override = REFUSED[name]

    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env_overrides={**PRODUCTION_ENV, **changes, override: "true"}
    )

    assert result.returncode == 0, result.stderr + result.stdout


def test_one_override_accepts_only_its_own_configuration():
    leaky = {"DATABASE_URL": None, "PASSES_SMS_BACKEND": "passes.sms.ConsoleBackend"}

    result = run_manage(
        "check", "--deploy", env_overrides={**PRODUCTION_ENV, **leaky, "PORTAL_ALLOW_UNSAFE_SQLITE": "true"}
    )

    assert result.returncode != 0
    assert "portal.E102" in result.stderr and "portal.E103" not in result.stderr


def test_a_malformed_token_encryption_key_is_refused_naming_which_without_echoing_it():
    result = run_manage(
        "check", "--deploy", env_overrides={**PRODUCTION_ENV, "TOKEN_ENCRYPTION_KEYS": f"{KEY},not-a-fernet-key"}
    )

    assert result.returncode != 0
    assert "portal.E106" in result.stderr
    assert "TOKEN_ENCRYPTION_KEYS: key #2 of 2 is not a valid Fernet key" in result.stderr
    assert "not-a-fernet-key" not in result.stderr


def test_development_settings_are_not_refused():
    result = run_manage("check", env_overrides={"DJANGO_SETTINGS_MODULE": "portal.settings.local"})

    assert result.returncode == 0, result.stderr
    assert "portal.E1" not in result.stderr


def _start(command: list[str], changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED)}
    env.update({k: v for k, v in {**PRODUCTION_ENV, **changes}.items() if v is not None})
    env["PORTAL_VAR_DIR"] = str(ROOT / "var" / "settings-test")
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


LEAKY_EMAIL = {"EMAIL_URL": None, "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
BIN = Path(sys.executable).parent


def test_gunicorn_refuses_to_boot_a_leaky_configuration():
    # gunicorn runs no system checks: portal/wsgi.py runs production's refusals itself.
    result = _start([str(BIN / "gunicorn"), "portal.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"], LEAKY_EMAIL)

    assert result.returncode != 0
    assert "Production refuses to start" in result.stderr
    assert "portal.E101" in result.stderr and "EMAIL_BACKEND is django.core.mail.backends.console" in result.stderr


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_celery_refuses_to_start_a_leaky_configuration(command, tmp_path):
    extra = ["--schedule", str(tmp_path / "beat-schedule")] if command == "beat" else ["--pool", "solo"]
    result = _start(
        [str(BIN / "celery"), "-A", "portal", command, *extra], {"PASSES_SMS_BACKEND": "passes.sms.ConsoleBackend"}
    )

    assert result.returncode != 0
    assert "Production refuses to start" in result.stderr
    assert "portal.E102" in result.stderr
