"""``python -m sandbox serve|demo-json|seed|reset|migrate|portfolio``: the sandbox's own command line.

``serve`` migrates the sandbox database, seeds it when empty, and serves on waitress (a pure-Python WSGI
server with a bounded pool of request threads), so a slow or fault-delayed request never blocks the others
and clients keep their connections alive between requests, as they do with ButterflyMX.
"""

import argparse
import json
import os
import signal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = int(os.environ.get("SANDBOX_WORKERS", "32"))


def _setup(state_dir: str | None) -> None:
    if state_dir:
        path = Path(state_dir)
        os.environ["SANDBOX_STATE_DIR"] = str(path if path.is_absolute() else ROOT / path)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    if not os.environ.get("SANDBOX_DATABASE_URL"):
        from sandbox.settings import STATE_DIR  # after the environment is set

        Path(os.environ.get("SANDBOX_STATE_DIR", STATE_DIR)).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _seed_if_empty() -> None:
    from sandbox import seed

    if seed.is_empty():
        seed.load()


def serve(args: argparse.Namespace) -> None:
    _setup(args.state_dir)
    _migrate()
    _seed_if_empty()
    from django.core.wsgi import get_wsgi_application

    from sandbox import webhooks

    webhooks.ORIGIN = f"http://{args.host}:{args.port}"
    app = get_wsgi_application()
    if args.verbose:
        app = _logged(app)
    profile = os.environ.get("SANDBOX_PROFILE")  # a cProfile of every request, written at SIGTERM
    if profile:
        app, dump = _profiled(app, profile)
    # Exit at once on SIGTERM: worker threads may be sleeping in an injected fault; SQLite WAL is crash-safe.
    signal.signal(signal.SIGTERM, lambda *_: (profile and dump(), os._exit(0)))
    _banner(f"http://{args.host}:{args.port}")
    _run(args, app)


CONTROL_ROUTES = [
    "GET  /_sandbox/health | /_sandbox/demo | /_sandbox/state",
    "POST /_sandbox/reset",
    "GET|POST /_sandbox/clock        {set: ISO} | {advance: seconds} | {reset: true}",
    "GET|POST /_sandbox/config       {token_ttl, code_ttl, webhook_backoff, webhook_timeout, payload_style,"
    " rate_limit: {rps, burst, per}}",
    "GET|POST|DELETE /_sandbox/faults {path, method, status, retry_after, latency_ms, ...}",
    "POST /_sandbox/calls            {device_id, tenant_id?, then?: [status...]}",
    "POST /_sandbox/calls/<id>/status {status}",
    "POST /_sandbox/keys/use         {access_point_id|device_id, pin|qr|rfid, unit_label?}",
    "POST /_sandbox/swipe            {tenant_id, access_point_id}",
    "POST /_sandbox/open_hours       {access_point_id, action: lock|unlock, open_hours?: [...]}",
    "POST /_sandbox/access_group_schedules {access_group_id, schedules: [{weekdays, from, to}]}",
    "POST /_sandbox/generate         {building_id, access_logs, calls, days}",
    "POST /_sandbox/portfolio        {buildings, units, doors, access_logs, calls, days, large_access_logs, ...}",
    "POST /_sandbox/logs/late        {building_id, kind: access|call, logged_at | age_s, count, spread_s, webhooks}",
    "GET|DELETE /_sandbox/traffic    ?since=&until=|last_s=  (/v4 requests per second, 429s)",
    "GET|POST|DELETE /_sandbox/webhooks/faults {drop_rate, duplicate_rate, drop_next, duplicate_next}",
    "GET|DELETE /_sandbox/webhooks/deliveries",
]


def _banner(origin: str) -> None:
    """What ``make dev`` shows: where the sandbox is, the demo logins, the client, the control routes."""
    from sandbox.seed import demo

    info = demo()
    lines = [
        f"ButterflyMX sandbox listening on {origin}  (BMX_API_BASE = BMX_ACCOUNTS_BASE = {origin})",
        f"  OAuth client: {info['client_id']} / {info['client_secret']}  redirect {info['redirect_uri']}",
        "  Logins (password sandbox-pass): " + ", ".join(u["email"] for u in info["users"][:7] if u["password"]),
        "  Control surface (docs/sandbox.md):",
        *[f"    {route}" for route in CONTROL_ROUTES],
    ]
    print("\n".join(lines), flush=True)


def _run(args: argparse.Namespace, app) -> None:
    """Serve with waitress: ``SANDBOX_WORKERS`` request threads, each keeping its database connection
    between requests (a thread per request would open a new PostgreSQL connection every time), while a
    slow or fault-delayed request occupies one thread and the others proceed.

    Connections are kept alive (HTTP/1.1) as ButterflyMX's own servers do: a client's pooled connection
    costs neither side a TCP handshake per request. An idle connection holds no thread (waitress waits
    on all of them in one loop), so a test suite's or a portfolio's many pooled connections never
    starve the request threads; one idle for ``channel_timeout`` seconds is closed.
    """
    import logging

    from waitress import serve as waitress_serve

    # waitress.serve() gives the root logger a handler (logging.basicConfig); Django's loggers have their
    # own, so without this every 4xx warning would be printed twice.
    logging.getLogger("django").propagate = False
    host = f"[{args.host}]" if ":" in args.host else args.host
    waitress_serve(
        app,
        listen=f"{host}:{args.port}",
        threads=WORKERS,
        backlog=1024,  # many test clients connect at once
        connection_limit=1000,  # open connections (most idle in clients' pools), not requests in flight
        channel_timeout=120,
        ident="ButterflyMX sandbox",
    )


def _profiled(app, path: str):
    """``SANDBOX_PROFILE=path``: where a request's CPU goes (bench/portfolio/_walk_cost.py). Requests are
    profiled one at a time (a lock), so use it for measuring, never for a concurrency test."""
    import cProfile
    import threading
    import time

    profiler = cProfile.Profile(time.thread_time)
    lock = threading.Lock()

    def profiled(environ, start_response):
        with lock:
            profiler.enable()
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                result.close()  # Django's request_finished, as the server would call it
                profiler.disable()

    return profiled, lambda: profiler.dump_stats(path)


def _logged(app):
    """``--verbose``: one line per request on stderr (method, path, status)."""
    import sys

    def logged(environ, start_response):
        def start(status, headers, exc_info=None):
            print(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')} {status}", file=sys.stderr, flush=True)
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged


def demo_json(args: argparse.Namespace) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    import django

    django.setup()  # imports the models; the demo object itself is pure data and touches no database
    from sandbox.seed import demo

    print(json.dumps(demo(), indent=None if args.compact else 2))


def reseed(args: argparse.Namespace) -> None:
    _setup(args.state_dir)
    _migrate()
    from sandbox import seed

    if args.command == "reset" or seed.is_empty():
        seed.load()
        print("sandbox seeded")
    else:
        print("sandbox already seeded (use `reset` to start over)")


def portfolio(args: argparse.Namespace) -> None:
    """Create a portfolio in a running sandbox (``--url``) or directly in its database (``--state-dir`` or
    ``SANDBOX_DATABASE_URL``), and print the answer (the admin login and the building ids) as JSON."""
    spec = {
        "buildings": args.buildings,
        "units": args.units,
        "doors": args.doors,
        "access_logs": args.access_logs,
        "calls": args.calls,
        "days": args.days,
        "large_access_logs": args.large_access_logs,
        "large_calls": args.large_calls,
        "admin_email": args.admin_email,
    }
    if args.seed is not None:
        spec["seed"] = args.seed
    if args.url:
        import requests  # only this path talks HTTP

        response = requests.post(f"{args.url.rstrip('/')}/_sandbox/portfolio", json=spec, timeout=3600)
        if response.status_code >= 400:
            raise SystemExit(f"the sandbox refused: {response.status_code} {response.text}")
        result = response.json()
    else:
        _setup(args.state_dir)
        _migrate()
        _seed_if_empty()
        from sandbox import portfolio as portfolio_module

        try:
            result = portfolio_module.create(spec)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
    if not args.ids:
        result = {**result, "building_ids": f"{len(result['building_ids'])} ids (--ids to list them)"}
    print(json.dumps(result, indent=2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="migrate, seed when empty, and serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8001")))
    p.add_argument("--state-dir", default=os.environ.get("SANDBOX_STATE_DIR"))
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.set_defaults(func=serve)
    p = sub.add_parser("demo-json", help="print the demo logins, client and ids as one JSON object")
    p.add_argument("--compact", action="store_true")
    p.set_defaults(func=demo_json)
    for name in ("seed", "reset"):
        p = sub.add_parser(name, help="seed an empty database" if name == "seed" else "back to the seed")
        p.add_argument("--state-dir", default=os.environ.get("SANDBOX_STATE_DIR"))
        p.set_defaults(func=reseed)
    p = sub.add_parser("migrate", help="create or update the sandbox database")
    p.add_argument("--state-dir", default=os.environ.get("SANDBOX_STATE_DIR"))
    p.set_defaults(func=lambda a: (_setup(a.state_dir), _migrate()))
    p = sub.add_parser("portfolio", help="add N buildings with history, administered by one account")
    p.add_argument("--url", help="a running sandbox (else the database of --state-dir / SANDBOX_DATABASE_URL)")
    p.add_argument("--state-dir", default=os.environ.get("SANDBOX_STATE_DIR"))
    p.add_argument("--buildings", type=int, default=10)
    p.add_argument("--units", type=int, default=12, help="units per building (one tenant each)")
    p.add_argument("--doors", type=int, default=3, help="access points per building (a device each)")
    p.add_argument("--access-logs", type=int, default=0, help="access-log entries per building")
    p.add_argument("--calls", type=int, default=0, help="calls per building")
    p.add_argument("--days", type=int, default=30, help="the history reaches this many days back")
    p.add_argument("--large-access-logs", type=int, default=0, help="add one building with this many entries")
    p.add_argument("--large-calls", type=int, default=0)
    p.add_argument("--admin-email", default="portfolio-admin@sandbox.test")
    p.add_argument("--seed", type=int)
    p.add_argument("--ids", action="store_true", help="print every building id")
    p.set_defaults(func=portfolio)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
