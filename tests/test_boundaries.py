"""The sandbox and the portal meet only over HTTP: neither imports the other (checked with ``ast``)."""

import ast
from pathlib import Path

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
