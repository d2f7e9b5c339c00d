"""``python -m sandbox serve|demo-json|seed|reset|migrate``: the sandbox's own command line.

``serve`` migrates the sandbox database, seeds it when empty, and serves on a threaded WSGI server (Django's,
without autoreload), so a slow or fault-delayed request never blocks the others.
"""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup(state_dir: str | None) -> None:
    if state_dir:
        path = Path(state_dir)
        os.environ["SANDBOX_STATE_DIR"] = str(path if path.is_absolute() else ROOT / path)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    if not os.environ.get("SANDBOX_DATABASE_URL"):
        from sandbox.settings import STATE_DIR  # noqa: PLC0415 - after the environment is set

        Path(os.environ.get("SANDBOX_STATE_DIR", STATE_DIR)).mkdir(parents=True, exist_ok=True)
    import django  # noqa: PLC0415

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)


def _seed_if_empty() -> None:
    from sandbox import seed  # noqa: PLC0415

    if seed.is_empty():
        seed.load()


def serve(args: argparse.Namespace) -> None:
    _setup(args.state_dir)
    _migrate()
    _seed_if_empty()
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer  # noqa: PLC0415
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

    from sandbox import webhooks  # noqa: PLC0415

    webhooks.ORIGIN = f"http://{args.host}:{args.port}"

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *a):  # noqa: A002 - the stdlib's signature
            if args.verbose:
                super().log_message(format, *a)

    WSGIServer.request_queue_size = 64  # many test clients connect at once
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ButterflyMX sandbox listening on http://{args.host}:{args.port}", flush=True)
    _run(args, get_wsgi_application(), QuietHandler)


def _run(args: argparse.Namespace, app, handler) -> None:
    import socketserver  # noqa: PLC0415

    from django.core.servers.basehttp import WSGIServer  # noqa: PLC0415

    server_cls = type(
        "ThreadedWSGIServer", (socketserver.ThreadingMixIn, WSGIServer), {"daemon_threads": True}
    )
    httpd = server_cls((args.host, args.port), handler, ipv6=":" in args.host)
    httpd.set_app(app)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()


def demo_json(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    from sandbox.seed import demo  # noqa: PLC0415 - pure data, needs no database

    print(json.dumps(demo(), indent=None if args.compact else 2))


def reseed(args: argparse.Namespace) -> None:
    _setup(args.state_dir)
    _migrate()
    from sandbox import seed  # noqa: PLC0415

    if args.command == "reset" or seed.is_empty():
        seed.load()
        print("sandbox seeded")
    else:
        print("sandbox already seeded (use `reset` to start over)")


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
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
