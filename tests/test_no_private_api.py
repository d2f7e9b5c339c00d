"""The apps use Django, DRF and django-filter through their public, documented API only.

A private attribute or module of a library can change in any release without a word in its release
notes; code that reaches into one (a compiler's internals, a filter's ``__dict__``, a backend
subclass) breaks on an upgrade, or worse, keeps running and does something else. Read from the
source with ``ast``: the app code (portal, tenants, passes, logs) may not

- touch ``__dict__`` (of a library object, or of anything: ``vars()`` and the public API say the same),
- import from ``django.db.models.sql`` (the ORM's compiler and query internals) or
  ``django.db.backends`` (the database backends' internals; ``ENGINE`` names a backend, nobody
  subclasses one; only its ``signals`` module is documented, :data:`DOCUMENTED_MODULES`), or call
  ``get_compiler()``/reach through ``queryset.query.<attribute>``,
- import a private name (``_name``) or from a private module of a library,
- use an attribute with a leading underscore that the app code does not define itself (so it is a
  library's), except the few that Django documents under such names (:data:`DOCUMENTED`),
- override a library's private method (a ``_name`` method calling ``super()._name``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "tenants", "passes", "logs")
INTERNAL_MODULES = ("django.db.models.sql", "django.db.backends")
# Modules under an internal package that Django documents as public.
DOCUMENTED_MODULES = {
    "django.db.backends.signals": "connection_created (docs: ref/signals, 'Database Wrappers')",
}

# Leading-underscore names that are public API, where documented.
DOCUMENTED = {
    "_meta": "the Model _meta API (docs: ref/models/meta)",
    "_default_manager": "Model._default_manager (docs: topics/db/managers, 'Default managers')",
    "_base_manager": "Model._base_manager (docs: topics/db/managers, 'Base managers')",
    "_db": "a manager's database, as in the docs' custom user manager (topics/auth/customizing)",
    "_replace": "namedtuple's API",
    "_asdict": "namedtuple's API",
    "_fields": "namedtuple's API",
    "_make": "namedtuple's API",
}

# Not Django, DRF or django-filter: drf-spectacular's AutoSchema offers no public hook that adds
# responses to every operation (views' own extend_schema(responses=...) replace the public one).
OUTSIDE_THE_RULE = {
    ("portal/api/schema.py", "_get_response_bodies"): "drf-spectacular",
    ("portal/api/schema.py", "_get_filter_parameters"): "drf-spectacular",
    ("portal/api/schema.py", "_get_response_for_code"): "drf-spectacular",
}

# Files being removed on another branch, skipped until it is merged (each entry: path -> why); empty now.
REMOVED_ELSEWHERE: dict[str, str] = {}


def app_files() -> dict[str, ast.Module]:
    files = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name not in REMOVED_ELSEWHERE:
                files[name] = ast.parse(path.read_text(), filename=name)
    return files


def own_names(trees) -> set[str]:
    """Every name the app code defines: functions, classes, attributes it assigns, variables, arguments."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[-1])
    return names


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def overrides_a_private_method(node: ast.AST) -> bool:
    """``def _name(...)`` calling ``super()._name``: a library's private method, overridden."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not private(node.name):
        return False
    return any(
        isinstance(inner, ast.Attribute)
        and inner.attr == node.name
        and isinstance(inner.value, ast.Call)
        and isinstance(inner.value.func, ast.Name)
        and inner.value.func.id == "super"
        for inner in ast.walk(node)
    )


def violations() -> list[str]:
    files = app_files()
    ours = own_names(files.values()) - {fn for (_, fn) in OUTSIDE_THE_RULE}
    found = []
    for name, tree in files.items():
        for node in ast.walk(tree):
            where = f"{name}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute):
                if (name, node.attr) in OUTSIDE_THE_RULE:
                    continue
                if node.attr == "__dict__":
                    found.append(f"{where}: touches __dict__; use the object's public API")
                elif node.attr == "get_compiler":
                    found.append(f"{where}: get_compiler() is the ORM's internals; use the QuerySet API")
                elif isinstance(node.value, ast.Attribute) and node.value.attr == "query":
                    found.append(f"{where}: .query.{node.attr} reaches into a Query object's internals")
                elif private(node.attr) and node.attr not in ours and node.attr not in DOCUMENTED:
                    found.append(f"{where}: .{node.attr} is a library's private attribute")
            elif isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for module in modules:
                    if module.startswith(INTERNAL_MODULES) and module not in DOCUMENTED_MODULES:
                        found.append(f"{where}: imports {module}, Django's internals")
                    elif any(private(part) for part in module.split(".")):
                        found.append(f"{where}: imports the private module {module}")
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    found += [
                        f"{where}: imports the private name {a.name} from {node.module}"
                        for a in node.names
                        if private(a.name)
                    ]
            if overrides_a_private_method(node) and (name, node.name) not in OUTSIDE_THE_RULE:
                found.append(f"{where}: {node.name} overrides a library's private method")
    return found


def test_app_code_uses_no_private_api_of_django_drf_or_django_filter():
    found = violations()
    assert not found, "Private API of a library in app code (see this test's docstring):\n" + "\n".join(found)


def test_the_exceptions_still_exist():
    """Entries for code that is gone would hide a new use under the same name."""
    for path, reason in REMOVED_ELSEWHERE.items():
        assert (ROOT / path).exists(), f"{path} is gone ({reason}): delete its entry from REMOVED_ELSEWHERE"
    for (path, name), library in OUTSIDE_THE_RULE.items():
        assert name in (ROOT / path).read_text(), f"{path} no longer uses {library}'s {name}: delete the entry"


def test_the_check_catches_what_it_names(tmp_path, monkeypatch):
    """The checker itself, on a file of every forbidden kind."""
    bad = (
        "from django.db.models.sql.compiler import SQLCompiler\n"
        "from django.db.backends.postgresql import base\n"
        "from django_filters.filterset import _private\n"
        "def f(filter_, qs):\n"
        "    filter_.__dict__.pop('_field', None)\n"
        "    qs.query.get_compiler('default')\n"
        "    return qs.query.where, filter_._field_cache_of_a_library\n"
        "class S:\n"
        "    def _render(self):\n"
        "        return super()._render()\n"
    )
    app = tmp_path / "portal"
    app.mkdir()
    (app / "bad.py").write_text(bad)
    for other in APPS[1:]:
        (tmp_path / other).mkdir()
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    found = "\n".join(violations())
    for expected in (
        "imports django.db.models.sql.compiler",
        "imports django.db.backends.postgresql",
        "private name _private",
        "touches __dict__",
        "get_compiler() is",
        ".query.where",
        "._field_cache_of_a_library is a library's private attribute",
        "_render overrides a library's private method",
    ):
        assert expected in found, expected
