"""From the sandbox placing a call to the incoming-call panel on the resident's open page (issue 18).

    call_to_screen_p50_s   median over CALLS calls: sandbox POST /_sandbox/calls -> panel painted
    call_to_screen_p95_s   95th percentile of the same (the issue's figure: under 2 s)

The portal runs as ``make dev`` runs it: the ``web`` and ``worker`` lines of Procfile.dev (whatever serves
the live stream there), on a throw-away SQLite database and embedded broker (``PORTAL_VAR_DIR``), against a
sandbox of its own. Crimson Tower is connected the way a manager connects it, its webhooks registered at
the portal's address; Rosa's home page is open in Chromium (Debian's, headless). Each call: the sandbox
places it and posts the webhook, the portal's worker reads the call from the API and publishes
``call.ringing``, the live stream carries it to the page, static/dashboard/calls.js shows the panel; the
time is taken in the page at the first animation frame after the panel is inserted (``Date.now()``, the
same wall clock as this process's). Rosa then declines it, and the next call comes.

Needs the live stream (static/portal/live.js and its server side, issue 18's ``live18`` part): without it
no event reaches the page and the warm-up call fails with a message saying so.

Run: ``python bench/bench_call_to_screen.py`` (``BENCH_CALLS=10`` for fewer calls).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
from _django import ROOT, figure

CALLS = int(os.environ.get("BENCH_CALLS", "50"))
CHROMIUM = "/usr/bin/chromium"
MAIN_ENTRANCE, ROSA_TENANT = 58801, 129201
START_TIMEOUT_S = 60
PANEL_TIMEOUT_S = 20
# Recorded in the page: when each call panel ([data-call]) was first painted.
WATCH_PANELS = """
window.__panelsPainted = [];
new MutationObserver(function (records) {
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.hasAttribute("data-call")) {
        requestAnimationFrame(function () { window.__panelsPainted.push(Date.now()); });
      }
    });
  });
}).observe(document, {childList: true, subtree: true});
"""


def procfile_commands() -> dict[str, str]:
    """Procfile.dev's processes, by name (``web: ...``), as ``make dev`` starts them through honcho."""
    found = {}
    for line in (ROOT / "Procfile.dev").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


@contextmanager
def process(name: str, command: str, env: dict[str, str], log_dir: Path):
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - open while the process runs
    proc = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the portal exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit(f"the portal did not answer at {url} within {START_TIMEOUT_S} s")


def main() -> None:
    from tests.plugins.sandbox import SandboxClient, free_port, start_sandbox, stop_sandbox

    with ExitStack() as stack:
        var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-calls-")))
        (var_dir / "sandbox").mkdir()
        sandbox_server = start_sandbox(str(var_dir / "sandbox"))
        stack.callback(stop_sandbox, sandbox_server)
        sandbox = SandboxClient(sandbox_server.url)
        sandbox.reset()
        port = free_port()
        portal_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.local",
            "PORTAL_VAR_DIR": str(var_dir),  # its own SQLite database, broker folder and keys
            "PORT": str(port),
            "PORTAL_PORT": str(port),
            "BMX_API_BASE": sandbox.url,
            "BMX_ACCOUNTS_BASE": sandbox.url,
            "BMX_CLIENT_ID": sandbox.demo["client_id"],
            "BMX_CLIENT_SECRET": sandbox.demo["client_secret"],
            "LOGS_WEBHOOK_BASE_URL": portal_url,
            # On a shared Redis, a queue of its own: a `make dev` worker never takes the bench's tasks.
            "CELERY_TASK_DEFAULT_QUEUE": f"bench-calls-{port}",
        }
        env.pop("DATABASE_URL", None)
        os.environ.update(env)

        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from logs.webhooks import webhooks_register
        from tests.dashboard.conftest import build_crimson

        call_command("migrate", verbosity=0)
        crimson = build_crimson(sandbox)
        webhooks_register(building=crimson.building)
        session = Client()
        session.force_login(crimson.rosa)

        commands = procfile_commands()
        started = {name: stack.enter_context(process(name, commands[name], env, var_dir)) for name in ("web", "worker")}
        wait_until_up(f"{portal_url}/healthz", started["web"], var_dir / "web.log")

        from playwright.sync_api import sync_playwright

        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        stack.callback(browser.close)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": portal_url}])
        context.add_init_script(WATCH_PANELS)
        page = context.new_page()
        page.goto(f"{portal_url}/")
        try:  # static/portal/live.js marks the page once its stream is open
            page.wait_for_selector("body[data-live-state=open]", state="attached", timeout=15_000)
        except Exception:  # the warm-up call below says what is missing
            pass

        def one_call(index: int) -> float:
            placed_at = time.time()
            sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
            # A function, not a string: the page's CSP forbids eval, which a string predicate needs.
            page.wait_for_function("n => window.__panelsPainted.length > n", arg=index, timeout=PANEL_TIMEOUT_S * 1000)
            painted_ms = page.evaluate("n => window.__panelsPainted[n]", index)
            panel = page.locator("[data-call]").first
            panel.get_by_role("button", name="Decline").click()
            panel.wait_for(state="detached")
            return painted_ms / 1000 - placed_at

        try:
            one_call(0)  # warm-up: connections, the worker's first task, the stream
        except Exception as exc:  # any failure here means the same thing
            tails = "\n".join(f"--- {n}.log\n{(var_dir / f'{n}.log').read_text()[-1500:]}" for n in started)
            tails += f"\n--- the sandbox's last webhook deliveries\n{sandbox.deliveries()[-3:]}\n{exc}"
            sys.exit(
                f"the warm-up call never reached the page ({type(exc).__name__}). Is the live stream "
                f"(static/portal/live.js and its server, issue 18's live18 part) merged and in Procfile.dev?\n{tails}"
            )
        samples = [one_call(i) for i in range(1, CALLS + 1)]
        samples.sort()
        figure("call_to_screen_p50_s", statistics.median(samples), "s")
        figure("call_to_screen_p95_s", samples[max(0, round(0.95 * len(samples)) - 1)], "s")
        print(f"calls: {len(samples)}, max {samples[-1]:.2f} s", flush=True)


if __name__ == "__main__":
    main()
