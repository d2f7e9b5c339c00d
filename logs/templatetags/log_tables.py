"""The body of the door-entry table, built in Python.

The list page's 50 rows x 9 cells went through ~800 template variable lookups and lazy-aware escapes:
~4 ms of a ~20 ms page (measured in docs/performance.md), the largest single part of it. The markup is
the same a ``{% for %}`` loop would write; every value is escaped with :func:`html.escape` (what
Django's ``escape`` filter calls). tests/logs/test_browse.py checks the markup and the escaping.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

DASH = "—"


def _text(value) -> str:
    return escape(str(value)) if value else DASH


@register.simple_tag
def entry_rows(rows: list[dict], multi_building: bool) -> SafeString:
    """``<tr>`` elements for the rows :func:`logs.views.entry_list` prepares (plain strings).

    Columns in the order a person on a phone reads them (the table scrolls sideways from the third):
    when, whether the door opened, where, who, how."""
    out = []
    for r in rows:
        url = escape(r["url"])
        status = r["status"]
        badge = "text-bg-secondary" if status == "Locked" else "text-bg-success"
        thumb = ""
        if r["snapshot"]:
            thumb = (
                f'<a href="{url}"><img class="log-thumb rounded" src="{escape(r["snapshot_url"])}" '
                f'alt="Snapshot of the entry at {escape(r["short"])}" loading="lazy" width="64" height="48" '
                f'referrerpolicy="no-referrer"></a>'
            )
        building = f"<td>{escape(r['building'])}</td>" if multi_building else ""
        out.append(
            f'<tr><td class="text-nowrap"><a href="{url}"><time datetime="{escape(r["iso"])}">{escape(r["when"])}'
            f'</time></a> <span class="small text-body-secondary">{escape(r["zone"])}</span></td>'
            f'<td><span class="badge {badge}">{_text(status)}</span></td>{building}'
            f"<td>{_text(r['door'])}</td><td>{_text(r['unit'])}</td><td>{_text(r['person'])}</td>"
            f"<td>{escape(r['method'])}</td><td>{_text(r['type'])}</td><td>{thumb}</td></tr>"
        )
    return mark_safe("\n".join(out))  # every value above is escaped
