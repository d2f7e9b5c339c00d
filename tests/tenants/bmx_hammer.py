"""A separate process that uses the portal's ButterflyMX client, for the shared-budget tests.

    python -m tests.tenants.bmx_hammer <mode> <count> <start_at>

Its environment names the sandbox (BMX_API_BASE, ...), the budget settings and the token (HAMMER_TOKEN).
- ``walk``: ``count`` background GETs of ``/v4/buildings`` as fast as the budget lets, starting at the wall
  time ``start_at``; prints one line per answer with the time it arrived (``time.time()``).
- ``meet429``: one interactive GET of ``/v4/buildings`` that meets the sandbox's injected 429 (its
  Retry-After is longer than the client waits); prints the error's status and retry_after.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from portal.butterflymx import BmxClient, BmxError

    mode, count, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    token = os.environ["HAMMER_TOKEN"]
    if mode == "walk":
        client = BmxClient(token, background=True)
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(count):
            client.get("/v4/buildings")
            print(f"answer {time.time():.6f}", flush=True)
    elif mode == "meet429":
        try:
            BmxClient(token, max_wait=5).get("/v4/buildings")
        except BmxError as exc:
            print(f"error {exc.status} {exc.retry_after}", flush=True)
        else:
            print("no error", flush=True)


if __name__ == "__main__":
    main()
