"""Keep the translation catalogs in step with the code: ``manage.py catalogs`` (``make makemessages``).

Runs Django's makemessages for the server's strings (domain ``django``: Python, Django and Jinja2
templates) and the scripts' (``djangojs``: static/portal, static/*/ and the service worker template) for
every language of ``settings.LANGUAGES`` but English, the source language. With ``--check`` it changes
nothing (it puts ``locale/`` back as it was) and fails when the committed catalogs lack a string the code
marks or keep one it no longer does, so ``make lint`` catches a string marked but never put in the
catalogs.
Completeness (every entry translated, none fuzzy) is tests/i18n/test_catalogs.py's.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils.translation import to_locale

# Folders whose strings are not the portal's: tests, benchmarks, the ButterflyMX sandbox (it speaks as
# ButterflyMX does, in English), vendored libraries, collected static files, docs.
IGNORED = [".venv*", "var", "tests", "bench", "sandbox", "static/vendor", "staticfiles", "docs", "node_modules"]
DOMAINS = ("django", "djangojs")


def catalog_locales() -> list[str]:
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def update(locale_dir: Path, verbosity: int = 0) -> None:
    with override_settings(LOCALE_PATHS=[locale_dir]):
        for domain in DOMAINS:
            call_command(
                "makemessages",
                locale=catalog_locales(),
                domain=domain,
                ignore_patterns=IGNORED,
                no_obsolete=True,
                no_location=True,
                verbosity=verbosity,
            )


def msgids(path: Path) -> set[tuple[str | None, str]]:
    if not path.exists():
        return set()
    return {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(path)) if not entry.obsolete}


class Command(BaseCommand):
    help = "Update locale/*/LC_MESSAGES/*.po from the code (or, with --check, fail when they are behind it)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a catalog is behind")

    def handle(self, *args, check: bool = False, verbosity: int = 1, **options):
        locale_dir = Path(settings.LOCALE_PATHS[0])
        if not check:
            update(locale_dir, verbosity)
            return
        # makemessages also writes into a ./locale folder it finds (the project's own), whatever
        # LOCALE_PATHS says: so the catalogs are updated in place and then put back as they were (times
        # included, so compiled .mo files stay current), the committed copy kept aside meanwhile.
        with tempfile.TemporaryDirectory() as scratch:
            committed = Path(scratch) / "locale"
            shutil.copytree(locale_dir, committed)
            try:
                update(locale_dir)
                wanted_dir = Path(scratch) / "wanted"
                shutil.copytree(locale_dir, wanted_dir)
            finally:
                shutil.rmtree(locale_dir)
                shutil.copytree(committed, locale_dir)
            problems = []
            for locale in catalog_locales():
                for domain in DOMAINS:
                    name = f"{locale}/LC_MESSAGES/{domain}.po"
                    wanted, present = msgids(wanted_dir / name), msgids(committed / name)
                    problems += [f"{name}: missing {msgid!r}" for _ctx, msgid in sorted(wanted - present)]
                    problems += [f"{name}: no longer used {msgid!r}" for _ctx, msgid in sorted(present - wanted)]
        if problems:
            shown = "\n".join(problems[:50]) + (f"\n... and {len(problems) - 50} more" if len(problems) > 50 else "")
            raise CommandError(f"the catalogs are behind the code; run `make makemessages`, translate:\n{shown}")
        self.stdout.write("catalogs up to date")
