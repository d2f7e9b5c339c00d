"""Issue 20's "Done means" in Chromium: the resident's, the manager's, the staff member's and the guest's
journeys in Spanish and in Canadian French, at 390 px and at 1280 px, against the sandbox, under the real
CSP, with axe-core on every page (tests/e2e/journeys.py).

Everyone's browser speaks the language (the context's locale is its ``Accept-Language``); nobody has
chosen one in the portal. On every page:

1. ``<html lang>`` is the language;
2. no English is left: the page's visible text (``innerText``, the title, the options of its lists) and
   the attributes people read or hear (aria-label, title, placeholder, alt) hold none of the catalogs'
   English source strings that the language's catalog translates to something else (data shown on the
   page, such as a name, is data, and so is what carries ``translate="no"`` or a ``lang`` of its own);
   and no line reads as English (two words of English that neither Spanish nor French writes, "the",
   "your"...): text never marked, or put together by a script, is in no catalog;
3. nothing is wider than the screen;
4. axe-core finds nothing serious, and the CSP is never violated.

Every finding is collected before anything is asserted, so a failure lists ALL the English strings of
every page, and the checks are asserted in the order above but English last: a run that fails only on
English has passed the others.

A short journey checks the footer's language menu: the choice is the person's, kept in their profile.

Screenshots: var/screenshots/languages/journey-<language>-<person>-<step>-<width>.png.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import to_locale

from passes import services
from passes.models import Pass
from portal.core import crypto
from tests.dashboard.conftest import FRONT_DOOR, GARAGE, crimson  # noqa: F401 - the fixture
from tests.e2e.journeys import DESKTOP, PHONE, SCREENSHOTS, Journey
from tests.e2e.test_journeys import journey  # noqa: F401 - the fixture
from tests.e2e.test_phone_width import CULPRITS, SNAPSHOT, WIDTH
from tests.factories import PASSWORD
from tests.i18n.pseudo import data_values
from tests.logs.factories import call_for, entry_for
from tests.passes.helpers import local_now, pass_input
from tests.portal.test_mfa_everywhere import totp

LANGUAGES = ("es", "fr-ca")
BROWSER_LOCALE = {"es": "es-MX", "fr-ca": "fr-CA"}  # how a phone in Mexico City or Montréal asks
WIDTHS = {390: PHONE, 1280: DESKTOP}
FOLDER = SCREENSHOTS / "languages"
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NY = ZoneInfo("America/New_York")


def in_chromium(test):
    """The marks of a browser test (the detector's own test below needs neither a browser nor a database)."""
    for mark in (pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)):
        test = mark(test)
    return test


# --- the English the catalogs translate --------------------------------------------------------

# What a msgid holds besides words: placeholders (Python's and the scripts' interpolate()) and markup.
_PLACEHOLDER = r"%\(\w+\)[sdr]|%[sd]|\{\w*\}"
_TOKENS = re.compile(rf"(?P<placeholder>{_PLACEHOLDER})|(?P<tag><[^>]+>)|(?P<space>\s+)|(?P<literal>[^%<{{\s]+|.)")
_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Source:
    """An English source string and the pattern that finds it as a whole, whatever its placeholders hold."""

    msgid: str
    pattern: re.Pattern


def _words_of(msgid: str) -> list[str]:
    return _WORDS.findall(re.sub(rf"{_PLACEHOLDER}|<[^>]+>", " ", msgid))


def _pattern(msgid: str) -> re.Pattern:
    parts = []
    for token in _TOKENS.finditer(msgid):
        if token["placeholder"]:
            parts.append(".+?")  # a value on the same line
        elif token["tag"]:
            parts.append(r"\s*")  # markup shows no text of its own
        elif token["space"]:
            parts.append(r"\s+")
        else:
            parts.append(re.escape(html.unescape(token.group().replace("%%", "%"))))
    return re.compile(r"(?<!\w)" + "".join(parts) + r"(?!\w)")


def _shown_translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(English, what the page shows instead) for each form of the entry; a fuzzy translation is never
    compiled, so its page shows the English."""
    if entry.msgid_plural:
        forms = entry.msgstr_plural or {}
        pairs = [(entry.msgid, forms.get(0, "")), (entry.msgid_plural, forms.get(max(forms, default=0), ""))]
    else:
        pairs = [(entry.msgid, entry.msgstr)]
    return [(source, "" if entry.fuzzy else shown) for source, shown in pairs]


@cache
def english_sources(language: str) -> tuple[Source, ...]:
    """The portal's English strings that a page in ``language`` must not show: those whose translation in
    that language's catalogs (django.po and djangojs.po) is not the English itself ("Notifications" is
    French too), long enough not to be a word both languages share (two words, or eight letters)."""
    found: dict[str, Source] = {}
    pairs = [
        pair
        for path in sorted((LOCALE_DIR / to_locale(language) / "LC_MESSAGES").glob("*.po"))
        for entry in polib.pofile(str(path))
        if not entry.obsolete
        for pair in _shown_translations(entry)
    ]
    # Words the language itself writes in other strings are no English: Spanish writes "Personal" in
    # "Personal y administradores" (staff and managers), whatever "Personal" (a form's heading) becomes.
    said = "\n".join(shown for _source, shown in pairs)
    for source, shown in pairs:
        words = _words_of(source)
        long_enough = len(words) >= 2 or sum(map(len, words)) >= 8
        if shown != source and long_enough and source not in found:
            pattern = _pattern(source)
            if not pattern.search(said):
                found[source] = Source(source, pattern)
    return tuple(found.values())


def english_in(lines: list[str], sources: tuple[Source, ...], data: set[str]) -> list[str]:
    """Every source string found in ``lines``, in the page's order. Not a match that is part of data shown
    on the same line (a door named "Front door"), nor one inside a longer source string found there
    ("Building" in "Building Portal"): that one is reported."""
    found: dict[str, None] = {}
    for line in lines:
        matches = [
            (m.start(), m.end(), source.msgid)
            for source in sources
            for m in source.pattern.finditer(line)
            if not any(m.group() in value and value in line for value in data)
        ]
        kept: list[tuple[int, int]] = []
        for start, end, msgid in sorted(matches, key=lambda m: (m[0] - m[1], m[0])):  # longest first
            if not any(s <= start and end <= e for s, e in kept):
                kept.append((start, end))
                found[msgid] = None
    return list(found)


# Words of English that neither Spanish nor French writes: a line with two of them, once data is taken
# out, reads as English even if it is no catalog string (never marked, or put together by a script).
# fmt: off
ENGLISH_WORDS = frozenset({
    "the", "and", "your", "you", "with", "this", "that", "from", "is", "are", "was", "will", "has", "have", "for",
    "to", "of", "it", "be", "by", "in", "at", "or", "not", "can", "when", "what", "who", "which", "been", "into",
    "our", "their", "there",
})
# fmt: on


def english_looking(lines: list[str], data: set[str]) -> list[str]:
    found = []
    for line in lines:
        rest = line
        for value in data:
            if value in rest:
                rest = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", rest)
        if len(ENGLISH_WORDS.intersection(w.lower() for w in _WORDS.findall(rest))) >= 2 and line not in found:
            found.append(line)
    return found


# --- what a person reads on the page ------------------------------------------------------------

# The page's text as its reader gets it, line by line: innerText (what is rendered), the title, each
# list's choices, and the attributes read or heard. What carries translate="no" (data that looks like
# words) or a lang of its own (the language menu's names, each in its own language) is not the page's
# language's: its text stands in as a placeholder would.
READ_PAGE = """() => {
  const root = document.documentElement;
  const own = (el) => el.closest('[translate="no"]') || el.closest('[lang]') !== root;
  let text = document.body.innerText;
  for (const el of document.body.querySelectorAll('[translate="no"], [lang]')) {
    const shown = el.innerText && el.innerText.trim();
    if (shown) text = text.split(shown).join('\u2063data\u2063');
  }
  const lines = [document.title, ...text.split('\\n')];
  for (const el of document.body.querySelectorAll('*')) {
    if (own(el) || !el.checkVisibility()) continue;
    for (const name of ['aria-label', 'aria-description', 'title', 'placeholder', 'alt']) {
      if (el.getAttribute(name)) lines.push(el.getAttribute(name));
    }
    if (el.matches('input[type=submit], input[type=button], input[type=reset]') && el.value) lines.push(el.value);
    if (el.tagName === 'SELECT') for (const o of el.options) if (!own(o)) lines.push(o.text);
  }
  return lines.map((l) => l.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""


@dataclass
class Findings:
    """What every page of a walk showed wrong, by page."""

    language: str
    wrong_lang: list[str] = field(default_factory=list)
    too_wide: list[str] = field(default_factory=list)
    english: dict[str, list[str]] = field(default_factory=dict)
    journeys: list[Journey] = field(default_factory=list)
    pages: int = 0

    def check(self, j: Journey, name: str) -> None:
        """One page: screenshot at the walk's width, axe and the CSP watch (Journey.step), then the
        language of the page, its width and its English. After the parts a page loads by itself (the
        profile's PINs, the board's doors) are in: the network is quiet."""
        j.page.wait_for_load_state("networkidle")
        j.step(name)
        page = j.page
        where = f"{j.person} {name} {page.url}"
        lang = page.evaluate("document.documentElement.lang")
        if lang != self.language:
            self.wrong_lang.append(f"{where}: <html lang={lang!r}>")
        scroll, inner = page.evaluate(WIDTH)
        if scroll > inner:
            self.too_wide.append(f"{where}: {scroll} px > {inner} px; {page.evaluate(CULPRITS)}")
        lines, data, sources = page.evaluate(READ_PAGE), data_values(), english_sources(self.language)
        english = english_in(lines, sources, data)
        unmarked = english_looking([line for line in lines if not english_in([line], sources, data)], data)
        if english or unmarked:
            self.english[where] = english + [f"reads as English, no catalog string: {line!r}" for line in unmarked]
        self.pages += 1

    def assert_clean(self) -> None:
        assert not self.wrong_lang, "pages whose <html lang> is not the language:\n" + "\n".join(self.wrong_lang)
        assert not self.too_wide, "pages wider than the screen:\n" + "\n".join(self.too_wide)
        for j in self.journeys:
            j.assert_clean()  # axe and the CSP
        found = self.english
        # What every page shows (the header, the footer) is said once, then what each page adds.
        everywhere = set.intersection(*map(set, found.values())) if len(found) == self.pages > 1 else set()
        report = [f"on every page: {sorted(everywhere)}"] if everywhere else []
        for where, texts in found.items():
            report.append(f"{where}:\n    " + "\n    ".join(text for text in texts if text not in everywhere))
        count = sum(map(len, found.values()))
        assert not found, f"{count} English texts left on {len(found)} of {self.pages} pages:\n" + "\n".join(report)


# --- the world and signing in --------------------------------------------------------------------


def fill(crimson) -> Pass:  # noqa: F811
    """Crimson Tower with a day of entries and calls at Rosa's unit, and a pass of hers for tomorrow."""
    unit = crimson.rosa_residency.unit
    now = dt.datetime.now(dt.UTC)
    for i, door in enumerate([FRONT_DOOR, GARAGE, FRONT_DOOR, FRONT_DOOR]):
        when = now - dt.timedelta(hours=3 * i + 1)
        entry_for(crimson.building, remote_id=930000 + i, unit=unit, door=crimson.doors[door],
                  person_name="Rosa Resident", snapshot_url=SNAPSHOT, logged_at=when)  # fmt: skip
    for i in range(2):
        call_for(crimson.building, remote_id=940000 + i, unit=unit, snapshot_url=SNAPSHOT,
                 logged_at=now - dt.timedelta(hours=5 * i + 2))  # fmt: skip
    day = local_now(NY).date() + dt.timedelta(days=1)
    data = pass_input("full_day", tz=NY, name="Dinner", visitors=["Sam Lee"], day=day)
    return services.pass_create(actor=crimson.rosa, residency=crimson.rosa_residency, data=data)


def with_totp(user) -> None:
    """Staff and managers as production has them: two-factor set up (the secret encrypted at rest)."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": crypto.encrypt(TOTP_SECRET)})


def sign_in(j: Journey, findings: Findings | None, base: str, email: str, *, code: bool = False) -> None:
    """Through the sign-in form (and the two-factor code), whatever language it speaks: found by its
    fields, not its words. With ``findings``, each of its pages is checked too."""
    page = j.page
    page.goto(base + reverse("account_login"))
    if findings:
        findings.check(j, "sign-in")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    submit(page, "form:has(#id_password)")
    if code:
        page.locator("#id_code").wait_for()
        if findings:
            findings.check(j, "two-factor")
        page.locator("#id_code").fill(totp(TOTP_SECRET))
        submit(page, "form:has(#id_code)")
    page.wait_for_url(base + "/")


def submit(page, form: str) -> None:
    """Press the form's first submit button (its main action) and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").first.click()


# --- the journeys --------------------------------------------------------------------------------


def resident_walk(j: Journey, findings: Findings, base: str, crimson) -> str:  # noqa: F811
    """Home, passes, a new pass made and shared, the logs and the profile; returns the new guest link."""
    page = j.page
    sign_in(j, findings, base, crimson.rosa.email)
    findings.check(j, "01-home")
    page.goto(base + reverse("passes:list"))
    findings.check(j, "02-passes")
    page.goto(base + reverse("passes:new"))
    findings.check(j, "03-new-pass")
    tomorrow = local_now(NY).date() + dt.timedelta(days=1)
    page.locator("#id_name").fill("Plumber")
    page.locator("#id_starts_at").fill(f"{tomorrow.isoformat()}T09:00")
    page.locator("#id_ends_at").fill(f"{tomorrow.isoformat()}T12:00")
    page.locator("#id_visitors").fill("Pat Plumber")
    submit(page, "form[data-pass-form]")
    page.wait_for_url(re.compile(r"/passes/\d+/$"))
    findings.check(j, "04-pass-created")
    page.locator("form[action*='/share/'] input[name=to]").first.fill("pat@example.com")
    submit(page, "form[action*='/share/']")
    findings.check(j, "05-pass-shared")
    page.goto(base + reverse("logs:list"))
    findings.check(j, "06-logs")
    page.goto(base + reverse("tenants:profile"))
    findings.check(j, "07-profile")
    token = Pass.objects.get(name="Plumber").keys.get().share_token
    return base + reverse("passes:guest", kwargs={"token": token})


def manager_walk(j: Journey, findings: Findings, base: str, crimson) -> None:  # noqa: F811
    page = j.page
    building = {"pk": crimson.building.pk}
    sign_in(j, None, base, crimson.manager.email, code=True)
    page.goto(base + reverse("tenants:building_people", kwargs=building))
    findings.check(j, "01-people")
    page.goto(base + reverse("tenants:building", kwargs=building))
    findings.check(j, "02-building")
    page.goto(base + reverse("logs:list"))
    toggle = page.get_by_test_id("filters-toggle")
    if toggle.is_visible():  # on a phone the filters fold behind a button
        toggle.click()
        # open, Bootstrap's transition over: while the fold still grows, what it clips is not yet there to tap
        page.locator("#log-filters.collapse.show").wait_for()
    page.locator("#id_q").fill("4B")
    page.locator("#id_door").select_option(label="Front door")
    submit(page, "#log-filters form")
    page.wait_for_url(re.compile(r"q=4B"))
    findings.check(j, "03-logs-filtered")
    page.goto(base + reverse("logs:charts"))
    page.locator("canvas").first.wait_for()
    findings.check(j, "04-charts")


def staff_walk(j: Journey, findings: Findings, base: str, crimson) -> None:  # noqa: F811
    page = j.page
    sign_in(j, findings, base, crimson.staff.email, code=True)
    page.goto(base + reverse("dashboard:board", kwargs={"building_id": crimson.building.pk}))
    findings.check(j, "01-door-board")
    door = crimson.doors[FRONT_DOOR].pk
    page.locator(f"article[data-door-id='{door}'] a[data-bs-target='#release-dialog']").click()
    dialog = page.locator("#release-dialog")
    dialog.locator("[type=submit]").wait_for()
    findings.check(j, "02-release-dialog")
    dialog.locator("[type=submit]").click()
    dialog.locator(".release-result").wait_for()
    findings.check(j, "03-released")


@in_chromium
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_journey_speaks_the_browsers_language(
    language,
    width,
    crimson,  # noqa: F811
    sandbox,
    live_server,
    journey,  # noqa: F811
    settings,
):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    for person in (crimson.staff, crimson.manager):
        with_totp(person)
    fill(crimson)
    findings = Findings(language)
    base = live_server.url

    def browser(person: str) -> Journey:
        j = journey(f"{language}-{person}", locale=BROWSER_LOCALE[language],
                    sizes=((str(width), WIDTHS[width]),), folder=FOLDER)  # fmt: skip
        findings.journeys.append(j)
        return j

    guest_link = resident_walk(browser("resident"), findings, base, crimson)
    guest = browser("guest")  # anonymous: the pass follows the guest's own browser
    guest.page.goto(guest_link)
    findings.check(guest, "01-pass")
    manager_walk(browser("manager"), findings, base, crimson)
    staff_walk(browser("staff"), findings, base, crimson)

    findings.assert_clean()


def page_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


@in_chromium
def test_a_resident_picks_espanol_in_the_footer_and_keeps_it_after_signing_out_and_in(
    world,
    live_server,
    journey,  # noqa: F811
):
    j = journey("language-menu", locale="en-US", folder=FOLDER)
    page = j.page
    base = live_server.url
    sign_in(j, None, base, world.alice.email)
    assert page_lang(page) == "en"

    menu = page.locator("form[data-language-menu]")
    menu.locator("select").select_option(label="Español")
    submit(page, "form[data-language-menu]")

    assert page.url == base + "/" and page_lang(page) == "es"
    assert menu.locator("select option:checked").inner_text() == "Español"
    j.step("menu-01-home-in-spanish")
    world.alice.refresh_from_db()
    assert world.alice.language == "es"

    page.locator("header .dropdown-toggle").click()
    submit(page, f"header form[action='{reverse('account_logout')}']")
    # Another day, another browser: no language cookie, and it asks for English.
    j.context.clear_cookies()
    page.goto(base + reverse("account_login"))
    assert page_lang(page) == "en"
    sign_in(j, None, base, world.alice.email)

    assert page_lang(page) == "es"
    j.step("menu-02-signed-in-again")
    j.assert_clean()


def test_the_detector_finds_whole_english_strings_whatever_their_placeholders_hold_but_not_data():
    sources = tuple(
        Source(m, _pattern(m))
        for m in ("Building", "Building Portal", "Release <strong>%(door)s</strong> now", "Front door")
    )
    lines = ["Portail Building Portal", "Release Garage now", "Front door", "Buildings", "Release now"]

    assert english_in(lines, sources, data={"Front door"}) == [
        "Building Portal",
        "Release <strong>%(door)s</strong> now",
    ]
    assert english_looking(
        ["Tell me when a visitor uses this pass", "Avísame cuando la use", "Rosa and the cat"], {"Rosa and the cat"}
    ) == ["Tell me when a visitor uses this pass"]
