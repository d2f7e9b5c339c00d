"""Every portfolio scenario of issue 15 (``bench/portfolio/*.py``), one after the other, with all figures.

    python bench/bench_portfolio.py                    # full scale (hours: 1,000 buildings, 1M-entry building)
    BENCH_SCALE=small python bench/bench_portfolio.py  # minutes
    BENCH_SCALE=fleet python bench/bench_portfolio.py portfolio  # the fleet's steady state alone (~15 min)
    python bench/bench_portfolio.py portfolio late_entries   # only these scenarios

A scenario module exposes ``run(scale: str) -> dict[str, tuple[float, str]]`` (figure -> (value, unit)),
starts what it needs (sandbox, workers, its own database and Redis index), cleans up, and raises when the
portal's rows differ from the sandbox's (lost or duplicated rows). Each runs in a subprocess of its own:
scenarios configure Django differently (databases, settings), which one process can do only once, and a
scenario that crashes cannot take the others with it. Figures are printed as ``name: value unit`` lines;
a failing scenario prints the figures it returned before failing (if any) and ``<name>_failed: 1 count``,
and the runner exits non-zero at the end. The modules live in ``bench/portfolio/`` (not ``bench_*.py``) so
``make bench`` runs them once, through this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "bench" / "portfolio"
# The fleet figures first (they also show whether the sync copes at all), then the fault scenarios, from
# the one that leaves the fewest traces to the most disruptive; any other module after them, by name.
ORDER = ["portfolio", "backfill_faults", "backfill_live", "late_entries", "crash_resume", "redis_outage"]
MARKER = "BENCH-PORTFOLIO-FIGURES "


def scenarios(selected: list[str]) -> list[str]:
    present = sorted(p.stem for p in SCENARIOS.glob("*.py") if not p.stem.startswith("_"))
    unknown = sorted(set(selected) - set(present))
    if unknown:
        raise SystemExit(f"no such scenario: {', '.join(unknown)} (present: {', '.join(present)})")
    ordered = [name for name in ORDER if name in present] + [name for name in present if name not in ORDER]
    return [name for name in ordered if not selected or name in selected]


def run_one(name: str, scale: str) -> None:
    """In this (child) process: run the scenario and print its figures as one JSON line."""
    import importlib
    import traceback

    sys.path.insert(0, str(ROOT))
    module = importlib.import_module(f"bench.portfolio.{name}")
    try:
        figures = module.run(scale)
        error = None
    except Exception as exc:  # reported by the parent, with the figures measured so far
        traceback.print_exc()
        figures = getattr(exc, "figures", None) or {}
        error = f"{type(exc).__name__}: {exc}"
    payload = {"figures": {k: [float(v), str(u)] for k, (v, u) in figures.items()}, "error": error}
    print(MARKER + json.dumps(payload), flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        run_one(argv[1], argv[2])
        return 0
    scale = os.environ.get("BENCH_SCALE") if os.environ.get("BENCH_SCALE") in ("small", "fleet") else "full"
    failed = []
    for name in scenarios(argv):
        print(f"# bench/portfolio/{name}.py ({scale})", flush=True)
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--one", name, scale],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        payload = None
        for line in process.stdout:  # the scenario's own output goes on, live; figures come last
            if line.startswith(MARKER):
                payload = json.loads(line[len(MARKER) :])
            else:
                sys.stderr.write(line)
        process.wait()
        payload = payload or {"figures": {}, "error": f"exited with {process.returncode}"}
        for figure, (value, unit) in payload["figures"].items():
            print(f"{figure}: {value:.2f} {unit}", flush=True)
        if payload["error"] or process.returncode:
            failed.append(name)
            print(f"{name}_failed: 1 count", flush=True)
            print(f"# {name} failed: {payload['error']}", file=sys.stderr, flush=True)
        print(f"# {name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
