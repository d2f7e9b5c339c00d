"""Who may import whom, checked with ``ast`` over the source (nothing is imported to find out).

- The sandbox and the portal meet only over HTTP: neither imports the other.
- The portal's code is in layers (docs/architecture.md, "Layers"); every import goes down or sideways
  within its layer, never up, and no two parts of the code import each other in a circle.
- An import inside a function is allowed only where :data:`LAZY_IMPORTS` says why; one that only hid a
  circle is the circle, and fails here.
- A task queued by name (``portal.celery.send_task``, beat's schedule) names a real task.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from celery import Task

ROOT = Path(__file__).resolve().parents[1]
PORTAL_PACKAGES = ("portal", "tenants", "passes", "logs")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_the_sandbox_imports_nothing_from_the_portal():
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if _top(m) in PORTAL_PACKAGES)
        for path in (ROOT / "sandbox").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_portal_imports_nothing_from_the_sandbox():
    offenders = {}
    for package in PORTAL_PACKAGES:
        for path in (ROOT / package).rglob("*.py") if (ROOT / package).exists() else []:
            bad = sorted(m for m in imported_modules(path) if _top(m) == "sandbox")
            if bad:
                offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


# --- The layers ------------------------------------------------------------------------------------
#
# Bottom first. A module may import modules of its own layer and of the layers below it. The same list,
# drawn, is in docs/architecture.md ("Layers"); change both together.

LAYERS = ("base", "tenants", "apps", "cross-app", "entry")

# Each package (or single module) of the portal, and its layer. A module belongs to the longest entry
# that contains it: `portal.core.crypto` to `portal.core`, `portal.core.home` to itself.
PLACES = {
    # base: what every app builds on, knowing none of them
    "portal": "base",  # the package itself: loads the Celery app
    "portal.celery": "base",
    "portal.settings": "base",
    "portal.butterflymx": "base",  # the ButterflyMX client, OAuth, the request budget
    "portal.core": "base",  # crypto, logging, limits, prepared queries, wall clocks, the task base class
    "portal.api": "base",  # the API's error shape and schema helpers, parsers, throttling
    "portal.live": "base",  # live events: the outbox of what happened, by audience (callers name audiences)
    # tenants: buildings, units, doors, people and their roles, ButterflyMX links and tokens, the roster
    "tenants": "tenants",
    "tenants.groups_units": "tenants",  # a manager's units and access-group members at ButterflyMX (issue 19)
    "tenants.access_tools": "tenants",  # tenants' PINs and fobs at ButterflyMX: list, add, revoke, audit
    "tenants.access_tool_forms": "tenants",  # the access-tools page's filter and "Add a fob" forms
    # apps: built on tenants, beside each other
    # passes.wallet (issue 19) is part of passes, not a part of its own: it reads the pass and its sharing,
    # and the passes app's checks read its configuration.
    "passes": "apps",
    "logs": "apps",
    "passes.key_removal": "apps",  # one visitor removed from a pass (DELETE /v4/virtual_keys/{id})
    "logs.tenant_streams": "apps",  # residents' own streams where no building-admin link exists
    "portal.notifications": "apps",  # notices to people: live, Web Push, e-mail; preferences, quiet hours
    "portal.accounts": "apps",  # sign-in, two-factor (asks tenants who is staff), API tokens
    # cross-app: services that combine several apps
    "portal.dashboard": "cross-app",  # the front desk: doors, releases, confirmations from the logs
    "portal.building_connections": "cross-app",  # a building connecting or leaving: roster and logs
    "portal.alerts": "cross-app",  # arrivals and manager alerts: logs, passes, tenants into notices
    "portal.tenant_moves": "cross-app",  # a tenant moving out: ButterflyMX, their residency and passes
    # entry: what a request, a worker or a command enters through (see also ENTRY_PARTS)
    "portal.urls": "entry",
    "portal.wsgi": "entry",
    "portal.asgi": "entry",
    "portal.api.authentication": "entry",
    "portal.api.serializers": "entry",
    "portal.core.home": "entry",
    "portal.core.navigation": "entry",
    "portal.core.health": "entry",
    "portal.core.middleware": "entry",
    "portal.core.demo": "entry",
    "tenants.access_tool_views": "entry",  # the access-tools pages (managers' and a resident's own)
}

# Inside any package above, a module with one of these names (or under a package with one) is an entry
# point, on top whatever its package's layer: it may use every app, and nothing below imports it.
# Tasks are entry points too: a task module imports the services it runs, and a service that queues a
# task names it (portal.celery.send_task) instead of importing it back.
ENTRY_PARTS = {
    "views",
    "urls",
    "webhook_urls",
    "api",
    "admin",
    "tasks",
    "management",
    "context_processors",
    "templatetags",
}

# Imports inside functions that stay, each with its reason. Everything else is imported at the top of
# its module. (module of the file, module imported) -> why.
LAZY_IMPORTS = {
    ("portal.accounts.apps", "portal.accounts.receivers"): "AppConfig.ready() connects the signal receivers",
    ("portal.core.apps", "portal.core.checks"): "AppConfig.ready() registers the system checks",
    ("passes.apps", "passes.checks"): "AppConfig.ready() registers the system checks",
    ("logs.apps", "logs.checks"): "AppConfig.ready() registers the system checks",
    ("portal.alerts.apps", "portal.alerts.receivers"): (
        "AppConfig.ready() connects the receivers of logs.signals.access_entries_stored (the sync, a layer "
        "below, tells arrivals and alerts about new entries without importing them)"
    ),
    ("portal.celery", "logging.config"): "Celery's setup_logging signal: configures logging in the worker",
    ("portal.celery", "django.conf"): "Celery's setup_logging signal: settings are read once Celery starts",
    ("portal.celery", "django"): "worker_init: django.setup() before the checks run",
    ("portal.celery", "django.core.exceptions"): "worker_init: only after django.setup()",
    ("portal.celery", "portal.core.checks"): "worker_init: the checks need the app registry, after setup()",
    ("portal.butterflymx.budget", "redis"): "redis is only needed with REDIS_URL; SQLite machines never load it",
    ("passes.sms", "twilio.http.http_client"): "twilio is large; loaded only when the Twilio backend sends",
    ("passes.sms", "twilio.rest"): "twilio is large; loaded only when the Twilio backend sends",
}

WHERE = "docs/architecture.md, 'Layers'"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a submodule when `from package import submodule`)
    path: str
    line: int
    in_function: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.source} -> {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def app_files() -> dict[str, Path]:
    """The portal's modules by name (migrations aside: they are history, frozen as they were written)."""
    files = {}
    for package in ("portal", "tenants", "passes", "logs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                files[_module_name(path)] = path
    return files


def _resolve(source: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = source.split(".") if path.name == "__init__.py" else source.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports_of(source: str, path: Path) -> list[Import]:
    found: list[Import] = []
    rel = str(path.relative_to(ROOT))

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(source, a.name, rel, child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                module = _resolve(source, path, child)
                targets = {f"{module}.{a.name}" if f"{module}.{a.name}" in app_files() else module for a in child.names}
                found.extend(Import(source, t, rel, child.lineno, in_function) for t in sorted(targets))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(ast.parse(path.read_text(), filename=rel), False)
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(i for name, path in app_files().items() for i in _imports_of(name, path))


def _place(module: str) -> str | None:
    """The longest entry of PLACES containing ``module`` (None: not the portal's code)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in PLACES:
            return ".".join(parts[:n])
    return None


def _app(module: str) -> str | None:
    """The package a module belongs to (``portal.core``, ``tenants``...): the place its layer comes from."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in PLACES and (prefix not in app_files() or (app_files()[prefix].name == "__init__.py")):
            return prefix
    return _place(module)


def layer_of(module: str) -> str | None:
    place = _place(module)
    if place is None:
        return None
    if place == module and PLACES[place] == "entry":
        return "entry"
    app = _app(module) or place
    inner = module[len(app) + 1 :].split(".") if module != app else []
    if ENTRY_PARTS.intersection(inner):
        return "entry"
    return PLACES[place]


def _unit(module: str) -> str:
    """A node of the graph of circles: one package's modules of one layer (e.g. ``tenants[entry]``)."""
    return f"{_app(module)}[{layer_of(module)}]"


def test_every_module_of_the_portal_has_a_layer():
    unplaced = sorted(m for m in app_files() if layer_of(m) is None)
    assert unplaced == [], (
        f"These modules belong to no layer: {unplaced}. Add their package to PLACES in tests/test_boundaries.py "
        f"and to the drawing in {WHERE}."
    )


def test_every_import_goes_down_or_sideways_within_its_layer():
    upward = [
        f"{i}  ({layer_of(i.source)} imports {layer_of(i.target)})"
        for i in all_imports()
        if layer_of(i.target) is not None and LAYERS.index(layer_of(i.target)) > LAYERS.index(layer_of(i.source))  # type: ignore[arg-type]
    ]
    assert upward == [], (
        f"Imports against the layers ({WHERE}): {' ; '.join(upward)}. A lower layer must not know a higher one. "
        "Move the code that needs both up (a cross-app service such as portal/building_connections.py), or pass "
        "the higher layer's part in as a callback; a service that queues a task names it "
        "(portal.celery.send_task) instead of importing the task module."
    )


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return circles


def test_no_two_parts_of_the_portal_import_each_other_in_a_circle():
    edges: dict[str, set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], list[str]] = defaultdict(list)
    for i in all_imports():
        if layer_of(i.target) is None or _unit(i.source) == _unit(i.target):
            continue
        edges[_unit(i.source)].add(_unit(i.target))
        evidence[_unit(i.source), _unit(i.target)].append(str(i))
    circles = _circles(edges)

    def upward_first(pair: tuple[str, str]) -> int:  # the edges against the layers are the likely culprits
        source, target = (LAYERS.index(unit.rpartition("[")[2].rstrip("]")) for unit in pair)
        return source - target

    detail = [
        f"{circle}: "
        + "; ".join(
            e
            for pair in sorted(((a, b) for a in circle for b in circle if (a, b) in evidence), key=upward_first)
            for e in evidence[pair][:2]
        )
        for circle in circles
    ]
    assert circles == [], (
        f"Import circles between packages or layers: {detail}. Break each by moving the code that needs both "
        f"sides up a layer ({WHERE}); an import moved into a function hides a circle, it does not remove it."
    )


def test_no_module_of_the_portal_imports_another_in_a_circle():
    """Within a package too: a circle of modules works only in one import order, which a lazy import hid."""
    edges: dict[str, set[str]] = defaultdict(set)
    for i in all_imports():
        if i.target in app_files() and i.target != i.source:
            edges[i.source].add(i.target)
    circles = _circles(edges)
    assert circles == [], (
        f"Modules importing each other in a circle: {circles}. Move what both need into a module below them, "
        f"or have the lower one take the higher one's part as an argument ({WHERE})."
    )


def test_imports_inside_functions_are_only_the_listed_ones_with_their_reasons():
    lazy = {(i.source, i.target): str(i) for i in all_imports() if i.in_function}
    unlisted = sorted(where for key, where in lazy.items() if key not in LAZY_IMPORTS)
    gone = sorted(f"{source} -> {target}" for source, target in LAZY_IMPORTS if (source, target) not in lazy)
    assert unlisted == [], (
        f"Imports inside functions: {unlisted}. Import at the top of the module. If that makes a circle, the "
        f"lazy import was hiding it: fix the layering ({WHERE}). Only a real reason (an optional or heavy "
        "library, AppConfig.ready(), Celery's start-up signals) may keep one: add it to LAZY_IMPORTS with it."
    )
    assert gone == [], f"LAZY_IMPORTS lists imports the code no longer makes: {gone}. Remove those entries."


def test_every_lazy_import_has_a_reason():
    assert all(reason.strip() for reason in LAZY_IMPORTS.values())


TASK_NAME = re.compile(r"^(portal|tenants|passes|logs)(\.\w+)*\.tasks\.\w+$")


def test_every_task_named_in_the_code_is_a_registered_task():
    """Tasks queued by name (services below the task modules, beat's schedule) cannot be mistyped."""
    named: dict[str, str] = {}
    for path in app_files().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TASK_NAME.match(node.value):
                named[node.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    assert len(named) >= 10, f"The scan found only {sorted(named)}: does TASK_NAME still match the task names?"
    missing = []
    for task_name, where in sorted(named.items()):
        module, _, attribute = task_name.rpartition(".")
        task = getattr(importlib.import_module(module), attribute, None)
        if not isinstance(task, Task) or task.name != task_name:
            missing.append(f"{where} {task_name}")
    assert missing == [], f"Names that are no registered Celery task: {missing}. Correct the name or add the task."
