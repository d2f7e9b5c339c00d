"""The filtered log page's cost in CPU instructions, counted by valgrind (callgrind).

Wall-clock figures on a shared 2-vCPU VM move by ±20% from one minute to the next; the number of
instructions a request executes does not (repeatable to ~0.1%). So the cost of the log page's own
Python code is measured as docs/performance.md describes it: the managers' filtered page
(``/logs/?building=…&start=…&end=…&release_method=swipe_to_open``, 50 rows) requested through the
production WSGI application (``portal.wsgi``: production settings, its middleware, the session in
Redis, ``gc.freeze()``) in one process, 5 warm-up requests, then 20 measured ones.

Callgrind counts the whole process, start-up included, so the process runs twice under it: with the
warm-ups only and with the warm-ups plus the 20 requests. The difference / 20 is one page. PostgreSQL
and Redis run in their own processes and are not counted (their round trips are).

    python bench/log_page_instructions.py              # prints loglist_instructions_per_page: N Minstr
    python bench/log_page_instructions.py --code DIR   # the same, for the code of another checkout

Needs PostgreSQL and Redis (``PG``/``BENCH_DB``, default ``portal_instructions``; ``REDIS_URL``, default
db 12) and valgrind. The database is created and seeded once (20,000 rows, 30 days) and kept with its
keys in ``/tmp/<db>-state.json`` for the next run (``BENCH_FRESH=1`` rebuilds it). ``BENCH_CALLGRIND_DIR``
keeps callgrind's output files (``callgrind_annotate`` shows where the instructions went, by C function).
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "portal_instructions")
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
STATE = Path(tempfile.gettempdir()) / f"{DB_NAME}-state.json"
N_ROWS = 20_000
WARMUP = 5
MEASURED = 20


def production_env(state: dict) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": state["secret_key"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "TOKEN_ENCRYPTION_KEYS": state["encryption_key"],
        "PORTAL_REQUIRE_MFA_FOR_STAFF": "false",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS,
        "DJANGO_STATIC_ROOT": state["static_root"],
        "PORTAL_LOG_LEVEL": "WARNING",
        "PORTAL_SITE_URL": "https://127.0.0.1",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PASSES_SMS_BACKEND": "passes.sms.LocmemBackend",
        "PYTHONHASHSEED": "0",  # the same dict and set orders in every run
    }


def _child(code: Path, call: str) -> str:
    """``python -c`` code running ``call`` of this module as found in the checkout ``code``."""
    paths = [str(code), str(code / "bench")]
    return f"import sys; sys.path[:0] = {paths!r}; import log_page_instructions as m; m.{call}"


def build_database(code: Path) -> dict:
    """Create, migrate and seed the database (a manager, a building, N_ROWS entries); return the state."""
    import psycopg
    from cryptography.fernet import Fernet

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    state = {
        "secret_key": secrets.token_urlsafe(50),
        "encryption_key": Fernet.generate_key().decode(),
        "static_root": str(Path(tempfile.gettempdir()) / f"{DB_NAME}-static"),
        "end": (datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)).isoformat(),
    }
    env = {**os.environ, **production_env(state), "BENCH_STATE": json.dumps(state)}
    subprocess.run([sys.executable, "-c", _child(code, "_seed()")], cwd=code, env=env, check=True)
    STATE.write_text(json.dumps(state))
    return state


def _seed() -> None:
    """In a child process under production settings: migrate, collect static files, insert the rows."""
    import django

    django.setup()
    from bench_logs import insert_generated, make_world
    from django.core.management import call_command

    state = json.loads(os.environ["BENCH_STATE"])
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    building, _units, _doors, _manager = make_world()
    insert_generated(building, N_ROWS, datetime.fromisoformat(state["end"]), chunk=5_000)


def _serve(requests: int) -> None:
    """In the measured process: sign in, then ``requests`` GETs of the filtered page through portal.wsgi."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from portal.wsgi import application  # production settings, gc.freeze()
    from tenants.models import Building

    state = json.loads(os.environ["BENCH_STATE"])
    building = Building.objects.get(name="Bench Tower")
    client = Client()
    client.force_login(get_user_model().objects.get(email="bench-manager@example.test"))
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    stop = datetime.fromisoformat(state["end"]).astimezone(building.tz)
    start = stop - timedelta(days=7)
    query = (
        f"building={building.pk}&start={start:%Y-%m-%dT%H:%M}&end={stop:%Y-%m-%dT%H:%M}&release_method=swipe_to_open"
    )
    from django.db import connections

    connections.close_all()  # the page opens its own, as a worker's first request does

    def get() -> bytes:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/logs/",
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_FOR": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        status = []
        body = b"".join(application(environ, lambda s, headers, exc_info=None: status.append(s)))
        assert status[0].startswith("200"), status
        return body

    for _ in range(WARMUP):
        body = get()
    rows = body.count(b"<tr><td")
    assert rows == 50, f"expected a full page of 50 rows, got {rows}"
    assert b'<select name="release_method"' in body and b'name="start"' in body, "the filter form is missing"
    for _ in range(requests):
        get()
    print(f"# page: {len(body)} bytes, {rows} rows", file=sys.stderr)


def instructions(code: Path, state: dict, requests: int, out_dir: Path) -> int:
    out = out_dir / f"callgrind.{requests}.out"
    script = _child(code, f"_serve({requests})")
    env = {**os.environ, **production_env(state), "BENCH_STATE": json.dumps(state)}
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", script],
        cwd=code,
        env=env,
        check=True,
        stderr=subprocess.PIPE if os.environ.get("BENCH_VERBOSE") != "1" else None,
    )
    totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(errors="replace"), re.MULTILINE)
    assert totals, f"no totals in {out}"
    return int(totals.group(1))


def main() -> None:
    args = sys.argv[1:]
    code = Path(args[args.index("--code") + 1]).resolve() if "--code" in args else ROOT
    if not (code / "bench" / "log_page_instructions.py").exists():
        # Measuring an older checkout: it runs this file's copy of the request loop.
        target = code / "bench" / "log_page_instructions.py"
        raise SystemExit(f"copy {__file__} to {target} first (it imports the loop from its own tree)")
    state = json.loads(STATE.read_text()) if STATE.exists() and os.environ.get("BENCH_FRESH") != "1" else None
    if state is None:
        state = build_database(code)
    keep = os.environ.get("BENCH_CALLGRIND_DIR")  # keeps callgrind's files there, for callgrind_annotate
    with tempfile.TemporaryDirectory(prefix="log-page-instr-") as scratch:
        out_dir = Path(keep or scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        base = instructions(code, state, 0, out_dir)
        full = instructions(code, state, MEASURED, out_dir)
    per_page = (full - base) / MEASURED
    print(f"# start-up and {WARMUP} warm-up requests: {base / 1e6:.1f} Minstr ({code})", file=sys.stderr)
    print(f"loglist_instructions_per_page: {per_page / 1e6:.1f} Minstr", flush=True)


if __name__ == "__main__":
    main()
