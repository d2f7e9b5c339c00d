"""The catalogs are complete: every string the code marks has a reviewed translation in every language.

`make lint` runs this file after ``manage.py catalogs --check`` (which proves the catalogs hold every
string the code marks): together, a string marked but not translated fails the build.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

from portal.core.management.commands.catalogs import catalog_locales

LOCALE = Path(settings.LOCALE_PATHS[0])
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")


def test_there_is_a_catalog_for_every_language_but_the_source_one():
    assert {path.parts[-3] for path in CATALOGS} == set(catalog_locales())


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: "/".join(p.parts[-3:]))
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    catalog = polib.pofile(str(path))
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]

    assert not untranslated, f"{path}: {len(untranslated)} strings without a translation: {untranslated[:20]}"
    assert not fuzzy, f"{path}: fuzzy (guessed, never reviewed) translations: {fuzzy[:20]}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: "/".join(p.parts[-3:]))
def test_every_translation_keeps_the_placeholders_of_its_source(path):
    """A translation that drops or renames %(name)s would show the wrong value, or fail at run time."""
    wrong = []
    for entry in polib.pofile(str(path)).translated_entries():
        pairs = (
            [(entry.msgid, entry.msgstr)]
            if not entry.msgid_plural
            else [(entry.msgid_plural if n else entry.msgid, text) for n, text in sorted(entry.msgstr_plural.items())]
        )
        for source, text in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                # a plural's singular may say "one" instead of %(count)s; the other forms must keep all
                if (
                    entry.msgid_plural
                    and source == entry.msgid
                    and set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source))
                ):
                    continue
                wrong.append((source, text))

    assert not wrong, f"{path}: placeholders differ from the source: {wrong[:10]}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: "/".join(p.parts[-3:]))
def test_msgfmt_compiles_the_catalog_strictly(path, tmp_path):
    """The Makefile compiles with ``msgfmt --check-format``: a broken entry fails here first."""
    done = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "out.mo"), str(path)], capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: "/".join(p.parts[-3:]))
def test_the_header_states_the_languages_plural_rule(path):
    """makemessages starts a catalog with a fuzzy header and 'plural=EXPRESSION': msgfmt then drops the
    header, and Python's gettext fails on the first plural of that language."""
    catalog = polib.pofile(str(path))

    assert not catalog.metadata_is_fuzzy
    assert re.fullmatch(r"nplurals=\d; plural=.+;", catalog.metadata.get("Plural-Forms", "")), catalog.metadata
    assert "EXPRESSION" not in catalog.metadata["Plural-Forms"]
