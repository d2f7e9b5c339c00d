"""What every journey step does: screenshots at phone and desktop size, axe-core, and the CSP watch.

axe-core (tests/e2e/vendor, MPL-2.0) is evaluated through the DevTools protocol (``page.evaluate``),
which the page's CSP does not govern, so the journey itself runs under the REAL policy (no
``bypass_csp``): any ``securitypolicyviolation`` event or CSP console error fails the test.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.test import Client

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BOTH_SIZES = (("phone", PHONE), ("desktop", DESKTOP))
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var what = e.violatedDirective + " blocked " + (e.blockedURI || "inline");
  window.__cspViolations.push(what + " on " + location.pathname);
});
"""


def assert_fits(page) -> None:
    """No page wider than the screen: at 390 px and at 1280 px the document scrolls only downwards."""
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= viewport["width"], f"{page.url} is {wide} px wide at {viewport['width']} px"


SETTLED = """() => Promise.all(document.getAnimations()
  .filter((animation) => animation.effect && animation.effect.getComputedTiming().endTime !== Infinity)
  .map((animation) => animation.finished.catch(() => null)))"""


class Journey:
    """A person's browser. ``locale`` is the browser's language (its ``Accept-Language`` and
    ``navigator.language``); ``sizes`` the sizes each step is seen at (the last one stays set);
    ``folder`` where the screenshots go."""

    def __init__(
        self, chromium, person: str, *, locale: str | None = None, sizes=BOTH_SIZES, folder: Path = SCREENSHOTS
    ):
        folder.mkdir(parents=True, exist_ok=True)
        self.person = person
        self.sizes = sizes
        self.folder = folder
        self.context = chromium.new_context(viewport=sizes[-1][1], accept_downloads=True, locale=locale)
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("dialog", lambda dialog: dialog.accept())  # data-confirm's window.confirm
        self.csp_errors: list[str] = []
        self.page.on(
            "console",
            lambda m: self.csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.axe_findings: list[str] = []
        self.steps: list[str] = []

    def sign_in_as(self, user, base_url: str) -> None:
        """Start this browser signed in as ``user`` (a session made by Django's test client, handed over
        as the session cookie), for journeys whose subject is not the sign-in form itself."""
        client = Client()
        client.force_login(user)
        self.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])

    def step(self, name: str) -> None:
        """Screenshot the current page at each size, run axe on it and collect CSP violations."""
        page = self.page
        page.wait_for_load_state("load")
        # A dialog still fading in (Bootstrap's .fade) is half transparent: axe would measure the contrast
        # of a blend, and the screenshot would show it. Wait for every finite animation and transition.
        page.evaluate(SETTLED)
        for size, viewport in self.sizes:
            page.set_viewport_size(viewport)
            path = self.folder / f"journey-{self.person}-{name}-{size}.png"
            page.screenshot(path=str(path), full_page=True)
        page.evaluate(AXE)
        result = page.evaluate(
            "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']})).violations)"
        )
        for violation in json.loads(result):
            if violation["impact"] in ("serious", "critical"):
                targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
                self.axe_findings.append(f"{name} {page.url}: {violation['id']} ({violation['impact']}) {targets}")
        self.csp_errors.extend(page.evaluate("window.__cspViolations || []"))
        self.steps.append(name)

    def assert_clean(self) -> None:
        assert self.csp_errors == [], "CSP violations:\n" + "\n".join(self.csp_errors)
        assert self.axe_findings == [], "serious/critical axe violations:\n" + "\n".join(self.axe_findings)

    def close(self) -> None:
        self.context.close()
