"""Django's ``{# #}`` comment ends on its own line: one spread over two lines is shown to people as text."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

OPEN_COMMENT = re.compile(r"\{#(?!.*#\})")


def test_no_django_template_has_a_comment_over_several_lines():
    folders = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    folders += list(Path(settings.BASE_DIR).glob("portal/*/templates"))
    broken = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for folder in folders
        for path in sorted(folder.rglob("*.html")) + sorted(folder.rglob("*.txt"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if OPEN_COMMENT.search(line)
    ]

    assert not broken, f"use {{% comment %}} for a comment of several lines: {broken}"
