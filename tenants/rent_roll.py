"""A rent roll (CSV: unit, name, e-mail, phone, move-in date) into move-ins: previewed, then applied whole.

**What a rent roll means here.** Each row is someone who lives in that unit. A row whose e-mail is
already the unit's tenant changes nothing; a row for someone new moves them in (``POST /v4/tenants``,
ButterflyMX invites them). **A rent roll never moves anyone out.** Rent rolls list leaseholders, often
not every occupant (a partner, a roommate, a live-in carer), and are often partial (one floor, one
property of a portfolio); and a move-out is not undoable (ButterflyMX deletes the tenant, their PIN,
fobs and passes; moving them back in is a new tenant with a new invitation). So a tenant missing from
the roll is only *listed* in the preview ("not on the rent roll"), and the manager moves them out one by
one, on purpose.

**Per-row errors.** Unknown units (not units of the building as the last roster sync saw them), bad
e-mails, phones and dates, names without a first and last part, an e-mail on more than one row
(duplicates: every such row), someone already a tenant of another unit (a move between units is a
move-out and a move-in). A roll with any error is not applied at all: the preview says what to fix.

**Nothing half-done.** The rows are applied in order. ButterflyMX has no batch create, so if it refuses
row 7 after rows 1-6 were created, the six are deleted again (``DELETE /v4/tenants/{id}``) and the
import ends "refused and undone": ButterflyMX is as before and the portal records nothing but the attempt
(``RentRollImport`` and one ``TenantMove`` "move-in undone" row per tenant made and deleted: their
invitation e-mails were sent, and their links no longer work; the manager is told so). If an undo itself
fails (ButterflyMX down), that tenant exists there: the portal mirrors it as a tenant (so the list shows
the truth and it can be moved out), and the result names each such tenant: an honest "undo incomplete",
never a silent half.

One import runs at a time per building (``RentRollImport``'s constraint).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .lifecycle import (
    HalfDone,
    MoveError,
    Newcomer,
    admin_client,
    audit,
    bmx_tenant_create,
    bmx_tenant_delete,
    mirror_tenant,
    move_ins_claim,
    normalise_email,
    normalise_phone,
)
from .models import Building, RentRollImport, TenantMove, TenantRecord, Unit

MAX_BYTES = 256 * 1024
MAX_ROWS = 200  # each new row is a ButterflyMX write and an e-mail to a person
STALE_AFTER = dt.timedelta(minutes=15)  # a "running" import older than this died with its process

# Header spellings accepted for each column (lower case, spaces, dashes and underscores ignored).
HEADERS = {
    "unit": {"unit", "unitlabel", "apartment", "apt"},
    "name": {"name", "fullname", "tenant", "tenantname", "resident"},
    "email": {"email", "emailaddress", "mail"},
    "phone": {"phone", "phonenumber", "mobile", "cell"},
    "move_in": {"moveindate", "movein", "moveinon", "leasestart"},
}
REQUIRED = ("unit", "name", "email")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")


class RollError(Exception):
    """The file as a whole cannot be read (not CSV, too big, columns missing)."""


@dataclass
class RollRow:
    line: int  # the line number in the file (the header is line 1)
    unit_text: str
    name: str
    email: str
    phone: str
    move_in_text: str
    unit: Unit | None = None
    first_name: str = ""
    last_name: str = ""
    move_in: dt.date | None = None
    errors: list[str] = field(default_factory=list)
    lives_there: TenantRecord | None = None  # already the unit's tenant: nothing to do

    @property
    def action(self) -> str:
        if self.errors:
            return "error"
        return "stays" if self.lives_there is not None else "move_in"

    def newcomer(self) -> Newcomer:
        assert self.unit is not None
        return Newcomer(self.unit, self.first_name, self.last_name, self.email, self.phone, self.move_in)


@dataclass
class RollPlan:
    building: Building
    rows: list[RollRow]
    not_on_roll: list[TenantRecord]

    @property
    def moves_in(self) -> list[RollRow]:
        return [r for r in self.rows if r.action == "move_in"]

    @property
    def stays(self) -> list[RollRow]:
        return [r for r in self.rows if r.action == "stays"]

    @property
    def errors(self) -> list[RollRow]:
        return [r for r in self.rows if r.action == "error"]

    @property
    def can_apply(self) -> bool:
        return not self.errors and bool(self.moves_in)


def read_upload(upload) -> str:
    """The text of an uploaded CSV file (UTF-8, with or without Excel's byte-order mark)."""
    if upload.size > MAX_BYTES:
        raise RollError(_too_big())
    raw = upload.read(MAX_BYTES + 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RollError(_("The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”.")) from None


def _too_big() -> str:
    return _("The file is larger than %(size)s KB; split it into smaller rent rolls.") % {"size": MAX_BYTES // 1024}


def _column(header: str) -> str | None:
    key = re.sub(r"[\s_\-]", "", header.strip().lower())
    return next((name for name, spellings in HEADERS.items() if key in spellings), None)


def _split_name(name: str) -> tuple[str, str]:
    """ "Last, First" or "First Middle Last" -> (first, last); ("", "") when there are not two parts."""
    if "," in name:
        last, _, first = name.partition(",")
    else:
        first, _, last = name.strip().rpartition(" ")
    return " ".join(first.split()), " ".join(last.split())


def _date(text: str) -> dt.date:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC).date()  # a date: the zone is moot
        except ValueError:
            continue
    raise ValueError(text)


def plan(building: Building, text: str) -> RollPlan:
    """Read the rent roll and say, row by row, what applying it would do. Changes nothing."""
    if len(text.encode()) > MAX_BYTES:
        raise RollError(_too_big())
    # The separator is the one the header line uses most: spreadsheets in some locales save ";" or tabs.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise RollError(
            _("The file is empty: its first line must name the columns (unit, name, email, ...).")
        ) from None
    columns = {_column(h): i for i, h in reversed(list(enumerate(header))) if _column(h)}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RollError(
            _(
                "The first line must name the columns; missing: %(missing)s. Expected: unit, name, "
                "email, phone, move-in date."
            )
            % {"missing": ", ".join(missing)}
        )
    rows: list[RollRow] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines of a spreadsheet export
            if len(rows) >= MAX_ROWS:
                raise RollError(
                    _("The file has more than %(count)s rows; split it into smaller rent rolls.") % {"count": MAX_ROWS}
                )

            def cell(name: str, cells=cells) -> str:
                i = columns.get(name)
                return cells[i].strip() if i is not None and i < len(cells) else ""

            rows.append(
                RollRow(reader.line_num, cell("unit"), cell("name"), cell("email"), cell("phone"), cell("move_in"))
            )
    except csv.Error as exc:
        raise RollError(
            _("Line %(line)s is not valid CSV (%(why)s).") % {"line": reader.line_num, "why": exc}
        ) from None
    _check_rows(building, rows)
    on_roll = {r.email for r in rows if r.email}
    not_on_roll = [
        t
        for t in TenantRecord.objects.filter(building=building, is_active=True).select_related("unit")
        if t.email.lower() not in on_roll
    ]
    return RollPlan(building, rows, not_on_roll)


def _check_rows(building: Building, rows: list[RollRow]) -> None:
    units = {
        u.label.strip().lower(): u for u in Unit.objects.filter(building=building, is_active=True, bmx_id__isnull=False)
    }
    tenants = {
        t.email.lower(): t
        for t in TenantRecord.objects.filter(building=building, is_active=True).select_related("unit")
        if t.email
    }
    today = timezone.localdate(timezone=building.tz)
    for row in rows:
        row.unit = units.get(row.unit_text.lower())
        if not row.unit_text:
            row.errors.append(_("No unit given."))
        elif row.unit is None:
            row.errors.append(
                _("Unit “%(unit)s” is not a unit of %(building)s (as of the last roster sync).")
                % {"unit": row.unit_text, "building": building.name}
            )
        row.first_name, row.last_name = _split_name(row.name)
        if not row.first_name or not row.last_name:
            row.errors.append(
                _("Name “%(name)s”: give a first and a last name (“First Last” or “Last, First”).") % {"name": row.name}
            )
        try:
            row.email = normalise_email(row.email)
        except MoveError as exc:
            row.errors.append(str(exc) if row.email else _("No e-mail address given."))
        try:
            row.phone = normalise_phone(row.phone)
        except MoveError as exc:
            row.errors.append(str(exc))
        if row.move_in_text:
            try:
                move_in = _date(row.move_in_text)
            except ValueError:
                row.errors.append(
                    _("Move-in date “%(date)s”: write it as 2026-12-01 or 12/01/2026.") % {"date": row.move_in_text}
                )
            else:
                row.move_in = move_in
                if move_in > today + dt.timedelta(days=366):
                    row.errors.append(
                        _("Move-in date %(date)s is more than a year ahead.")
                        % {"date": formats.date_format(move_in, "SHORT_DATE_FORMAT")}
                    )
        there = tenants.get(row.email)
        if there is not None and row.unit is not None:
            if there.unit_id == row.unit.pk:
                row.lives_there = there
            else:
                where = there.unit.label if there.unit else "?"
                row.errors.append(
                    _(
                        "%(email)s already lives in unit %(unit)s: a move between units is a move-out (from the "
                        "residents list) and then a move-in."
                    )
                    % {"email": row.email, "unit": where}
                )
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if "@" in row.email:
            lines[row.email].append(row.line)
    for row in rows:
        others = [n for n in lines.get(row.email, []) if n != row.line]
        if others:
            row.errors.append(
                ngettext(
                    "%(email)s is also on line %(lines)s: one row per person.",
                    "%(email)s is also on lines %(lines)s: one row per person.",
                    len(others),
                )
                % {"email": row.email, "lines": ", ".join(map(str, others))}
            )


# --- Apply -------------------------------------------------------------------------------------------


@dataclass
class RollResult:
    record: RentRollImport
    moved_in: list[RollRow] = field(default_factory=list)
    refused: RollRow | None = None
    reason: str = ""
    undone: list[RollRow] = field(default_factory=list)  # created, then deleted again
    left: list[tuple[RollRow, str]] = field(default_factory=list)  # created, and the undo failed


def apply(building: Building, text: str, *, actor) -> tuple[RollPlan, RollResult | None]:
    """Plan again (the roster may have changed since the preview) and, when the plan has no errors,
    apply every move-in or none. Returns the plan and the result (None: not applied, see the plan)."""
    roll = plan(building, text)
    if not roll.can_apply:
        return roll, None
    client = admin_client(building)
    move_ins_claim(building, len(roll.moves_in))
    record = _claim(building, actor, rows=len(roll.rows))
    result = RollResult(record)
    created: list[tuple[RollRow, dict]] = []
    try:
        for row in roll.moves_in:
            try:
                created.append((row, bmx_tenant_create(client, building, row.newcomer())))
            except HalfDone as half:
                created.append((row, half.item))
                result.refused, result.reason = row, str(half)
                break
            except MoveError as exc:
                result.refused, result.reason = row, str(exc)
                break
    finally:
        _finish(building, actor, client, roll, result, created)
    return roll, result


def _claim(building: Building, actor, *, rows: int) -> RentRollImport:
    RentRollImport.objects.filter(
        building=building, status=RentRollImport.Status.RUNNING, created_at__lt=timezone.now() - STALE_AFTER
    ).update(status=RentRollImport.Status.INCOMPLETE, summary="The import stopped (its process ended).")
    try:
        with transaction.atomic():
            return RentRollImport.objects.create(building=building, started_by=actor, rows=rows)
    except IntegrityError:
        raise MoveError(_("Another rent-roll import of this building is running; wait for it to finish.")) from None


def _finish(building, actor, client, roll: RollPlan, result: RollResult, created: list[tuple[RollRow, dict]]) -> None:
    """All made: mirror them. One refused (or the loop died): delete what was made, mirror what stays."""
    src = TenantMove.Source.RENT_ROLL
    complete = result.refused is None and len(created) == len(roll.moves_in)
    kept: list[tuple[RollRow, dict]] = []
    if complete:
        kept = created
    else:
        for row, item in created:
            error = bmx_tenant_delete(client, item["id"])
            if error is None:
                result.undone.append(row)
            else:
                result.left.append((row, error))
                kept.append((row, item))
    with transaction.atomic():
        for row, item in kept:
            assert row.unit is not None  # only rows without errors were applied
            tenant = mirror_tenant(building, row.unit, item)
            detail = "" if complete else "left at ButterflyMX: the undo of a refused rent roll failed"
            audit(TenantMove.Action.MOVED_IN, building=building, actor=actor, record=tenant, source=src, detail=detail)
            if complete:
                result.moved_in.append(row)
        for row in result.undone:
            item = next(i for r, i in created if r is row)
            audit(
                TenantMove.Action.MOVE_IN_UNDONE,
                building=building,
                actor=actor,
                source=src,
                bmx_tenant_id=item["id"],
                name=row.name,
                email=row.email,
                unit_label=row.unit.label if row.unit else row.unit_text,
                detail=f"rent roll line {row.line}; refused at line {result.refused.line if result.refused else '?'}",
            )
        status = (
            RentRollImport.Status.DONE
            if complete
            else (RentRollImport.Status.INCOMPLETE if result.left else RentRollImport.Status.UNDONE)
        )
        RentRollImport.objects.filter(pk=result.record.pk).update(
            status=status, moved_in=len(result.moved_in), summary=_summary(result)[:2000], finished_at=timezone.now()
        )
    result.record.refresh_from_db()


def _summary(result: RollResult) -> str:
    if result.refused is None and not result.left and not result.undone:
        return f"{len(result.moved_in)} moved in."
    parts = [f"Line {result.refused.line} refused: {result.reason}" if result.refused else "Stopped."]
    if result.undone:
        parts.append(
            f"{len(result.undone)} created and deleted again (lines {', '.join(str(r.line) for r in result.undone)})."
        )
    if result.left:
        parts.append("Undo failed for: " + "; ".join(f"line {r.line} {r.email} ({e})" for r, e in result.left))
    return " ".join(parts)
