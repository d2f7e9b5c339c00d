"""The tenants pages (profile, buildings, people, units, access groups, PINs and fobs, limits, rent roll,
move-in) in Spanish and Canadian French on a 390 px phone: the longer words must not widen a page.

Screenshots: var/screenshots/lang-<language>-<persona>-<url name>.png.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.e2e.journeys import PHONE, SCREENSHOTS
from tests.e2e.test_phone_width import CULPRITS, WIDTH, fill, full_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]


@pytest.mark.parametrize("language", ["es", "fr-ca"])
@pytest.mark.parametrize("persona", ["alice", "manager"])
def test_the_tenants_pages_fit_a_phone_in_spanish_and_french(language, persona, world, chromium, live_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    fill(world)
    person = world.persona(persona)
    person.language = language  # their own choice: what PersonLanguageMiddleware applies
    person.save(update_fields=["language"])
    client = Client()
    client.force_login(person)
    pages = {name: url for name, url in full_pages(client, world, persona).items() if name.startswith("tenants:")}
    assert "tenants:profile" in pages

    context = chromium.new_context(viewport=PHONE, extra_http_headers={"Accept-Language": language})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    wide, wrong = [], []
    try:
        for name, url in pages.items():
            page.goto(live_server.url + url)
            page.wait_for_load_state("load")
            if page.get_attribute("html", "lang") != language:
                wrong.append(name)
            slug = re.sub(r"[^\w.-]+", "_", name)
            page.screenshot(path=str(SCREENSHOTS / f"lang-{language}-{persona}-{slug}.png"), full_page=True)
            scroll, inner = page.evaluate(WIDTH)
            if scroll > inner:
                wide.append(f"{name} {url}: {scroll} px > {inner} px; {page.evaluate(CULPRITS)}")
    finally:
        context.close()

    assert wrong == [], f"pages not in {language}: {wrong}"
    assert wide == [], "pages wider than 390 px:\n" + "\n".join(wide)
