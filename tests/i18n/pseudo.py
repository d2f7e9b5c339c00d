"""A pseudo-locale: every translatable string of the portal and its libraries, wrapped in ⟪ ⟫.

A page rendered in it shows at a glance which words went through gettext (inside the brackets) and
which did not (outside). What is outside and is not data (a name, a number, an address...) is a string
the code never marked: :func:`untranslated` returns those. The catalog is built from the portal's own
msgids (the Spanish catalog's: ``manage.py catalogs --check`` proves it holds every marked string) and
from every installed app's Spanish catalog (Django's month names, allauth's forms...).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings

import django

PSEUDO = "xx"  # a language code no library ships a catalog for
OPEN, CLOSE = "⟪", "⟫"


def _marked(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}" if text else text


def _source_catalogs() -> list[polib._BaseFile]:
    ours = Path(settings.LOCALE_PATHS[0]) / "es" / "LC_MESSAGES"
    found = [polib.pofile(str(path)) for path in sorted(ours.glob("*.po"))]
    folders = [Path(django.__file__).parent / "conf" / "locale"]
    folders += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    for folder in folders:
        for mo in sorted((folder / "es" / "LC_MESSAGES").glob("*.mo")):
            found.append(polib.mofile(str(mo)))
    return found


def build_catalog(locale_dir: Path) -> None:
    """Write and compile ``<locale_dir>/xx/LC_MESSAGES/{django,djangojs}.mo``."""
    target = locale_dir / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    for domain in ("django", "djangojs"):
        pseudo = polib.POFile()
        pseudo.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
        seen = set()
        for catalog in _source_catalogs():
            for entry in catalog:
                key = (entry.msgctxt, entry.msgid)
                if not entry.msgid or key in seen:
                    continue
                seen.add(key)
                if entry.msgid_plural:
                    plural = {0: _marked(entry.msgid), 1: _marked(entry.msgid_plural)}
                    pseudo.append(
                        polib.POEntry(
                            msgctxt=entry.msgctxt,
                            msgid=entry.msgid,
                            msgid_plural=entry.msgid_plural,
                            msgstr_plural=plural,
                        )
                    )
                else:
                    pseudo.append(polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, msgstr=_marked(entry.msgid)))
        pseudo.save_as_mofile(str(target / f"{domain}.mo"))


# --- what a person reads on a page ---------------------------------------------------------------

# Attributes a person reads (or hears through a screen reader).
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription"}
# Elements whose content is not text for people. <option>s are read: choices are translated like labels.
NOT_TEXT = {"script", "style", "template", "svg", "code", "pre", "kbd", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its content exempt?
        self.texts: list[str] = []

    def _exempt(self) -> bool:
        return bool(self.stack and self.stack[-1])

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # translate="no" (HTML's own marker: names, codes) and a lang of its own (the language menu's
        # names, each in its language) are not the page's language's to translate.
        own_language = "lang" in attributes and tag != "html"
        exempt = self._exempt() or tag in NOT_TEXT or attributes.get("translate") == "no" or own_language
        if not exempt:
            self.texts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]
            if tag == "input" and attributes.get("type") in {"submit", "button", "reset"} and attributes.get("value"):
                self.texts.append(attributes["value"])
        if tag not in VOID:
            self.stack.append(exempt)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self._exempt() and data.strip():
            self.texts.append(data)


def readable_texts(html: str) -> list[str]:
    """The page's text and read attributes, in document order (the <title> included)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.texts


# Words that are the same in every language of the portal: brand and product names.
PROPER_NOUNS = ("ButterflyMX", "Apple Wallet", "Google Wallet", "Wallet", "Apple", "Google", "OAuth", "TOTP", "API", "CSV")
_NOT_A_WORD = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail addresses
    r"|https?://\S+|/[\w/.?=&%-]*"  # addresses
    r"|\b[A-Z]{1,4}\b"  # codes and zone abbreviations (EST, PT, UTC)
    r"|\b\w*\d\w*\b"  # anything with a digit: numbers, times, unit labels
)
# The innermost ⟪…⟫ first, again and again: a translated label inside a translated sentence ("⟪⟪Swipe to
# open⟫ at Front Door⟫", a time whose "a.m." is translated) nests, and the whole is marked.
_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", re.S)
_WORD = re.compile(r"[^\W\d_]{2,}")


def untranslated(texts: list[str], data: set[str]) -> list[str]:
    """The texts with words outside ⟪ ⟫ that are not data: marked nowhere, so never translated."""
    found = []
    longest_first = sorted((d for d in data if d), key=len, reverse=True)
    for text in texts:
        rest, found_one = text, True
        while found_one:
            rest, found_one = _INNERMOST.subn(" ", rest)
        for value in longest_first:
            if value in rest:  # whole words only: a door named "Door" must not hide "Doorbell"
                rest = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", rest)
        for noun in PROPER_NOUNS:
            rest = rest.replace(noun, " ")
        rest = _NOT_A_WORD.sub(" ", rest)
        if _WORD.search(rest):
            found.append(" ".join(text.split()))
    return found


def data_values() -> set[str]:
    """Every text stored in the portal's tables (names, labels, reasons...): data, not the portal's words."""
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label in {"contenttypes", "auth", "sessions", "admin"}:
            continue
        # Not fields with choices: a page shows their translated labels, never the stored value.
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.get_internal_type() in {"CharField", "TextField", "EmailField"} and not f.choices
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            values.update(str(v).strip() for v in row if v and len(str(v)) < 300)
    return {v for v in values if v}
