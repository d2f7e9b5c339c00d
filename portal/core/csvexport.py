"""The one way the portal writes CSV: every cell neutralised against formula injection, streamed.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or ``|``, ``%``) is a formula to Excel, LibreOffice and
Google Sheets: a resident's ButterflyMX name ``=HYPERLINK(...)`` or a release reason ``+cmd|...`` would run
in a manager's spreadsheet. defusedcsv (a drop-in for :mod:`csv`) prefixes such cells with ``'``, except
plain numbers such as ``-3`` or ``1,5``; ISO timestamps start with a digit and are left alone. It does not
treat a leading tab or carriage return (which OWASP lists too, since some spreadsheets trim them and then
read the ``=`` behind), so :func:`_neutralise` adds that before defusedcsv sees the cell.

Every CSV export goes through :func:`csv_response`; ``tests/portal/test_csv_injection.py`` fails when
code elsewhere writes CSV (``csv.writer``, ``csv.DictWriter``, defusedcsv) on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from defusedcsv import csv as defused_csv
from django.http import StreamingHttpResponse

_WHITESPACE_TRIGGERS = ("\t", "\r")
_FLUSH_ROWS = 1000


def _neutralise(value):
    if isinstance(value, str) and value.startswith(_WHITESPACE_TRIGGERS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose ``write`` returns what it was given: the writer's output, per row."""

    def write(self, value: str) -> str:
        return value


class CsvRowWriter:
    """``writerow(cells) -> str``: one CSV line, every cell neutralised."""

    def __init__(self) -> None:
        self._writer = defused_csv.writer(_Echo())

    def writerow(self, row: Iterable) -> str:
        return self._writer.writerow([_neutralise(cell) for cell in row])


def csv_response(rows: Iterable[Iterable], *, header: list[str], filename: str) -> StreamingHttpResponse:
    """A streamed ``text/csv`` attachment of ``header`` then ``rows``, in chunks of lines (constant memory)."""
    writer = CsvRowWriter()

    def stream():
        yield writer.writerow(header)
        buffer: list[str] = []
        for row in rows:
            buffer.append(writer.writerow(row))
            if len(buffer) >= _FLUSH_ROWS:
                yield "".join(buffer)
                buffer = []
        if buffer:
            yield "".join(buffer)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
