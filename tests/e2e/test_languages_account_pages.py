"""The home page, the Notifications page (with a manager's alerts) and the API tokens page in Spanish and
Canadian French, in Chromium at 390 and 1280 px: the browser's Accept-Language picks the language, the
server's words and the scripts' (the JavaScript catalog) are in it, and the longer words fit a phone.

Screenshots: var/screenshots/journey-lang-<es|fr-ca>-<page>-<phone|desktop>.png.
"""

from __future__ import annotations

import pytest

from portal.core.vapid import new_key_pair
from tests.alerts.conftest import open_refusal_incident
from tests.e2e.journeys import PHONE, Journey, assert_fits
from tests.privacy_matrix import build_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

# What each page must say in each language: server-rendered words, and one the page's script writes.
WORDS = {
    "es": {
        "home": ["Llamadas recientes", "Entradas recientes", "Pases actuales y próximos"],
        "notifications": ["Qué le llega y cómo", "Alertas de sus edificios", "5 credenciales rechazadas"],
        "script": "Este dispositivo aún no recibe notificaciones.",
        "tokens": ["Crear un token", "Vence después de"],
    },
    "fr-ca": {
        "home": ["Appels récents", "Entrées récentes", "Laissez-passer en cours et à venir"],
        "notifications": ["Ce qui vous parvient, et comment", "Alertes de vos immeubles", "5 identifiants refusés"],
        "script": "Cet appareil ne reçoit pas encore les notifications.",
        "tokens": ["Créer un jeton", "Expire après"],
    },
}


@pytest.mark.parametrize("language", sorted(WORDS))
def test_the_account_pages_speak_the_browsers_language_and_fit_a_phone(
    chromium, live_server, world, settings, language
):
    pair = new_key_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = pair.public, pair.private
    build_activity(world)
    open_refusal_incident(world.building_a)
    words = WORDS[language]
    for person, pages in ((world.alice, ("home", "tokens")), (world.manager, ("notifications",))):
        j = Journey(chromium, f"lang-{language}-{person.first_name.lower()}")
        j.context.set_extra_http_headers({"Accept-Language": language})
        j.sign_in_as(person, live_server.url)
        page = j.page
        try:
            for name in pages:
                path = {"home": "/", "notifications": "/profile/notifications/", "tokens": "/profile/api-tokens/"}[name]
                page.goto(f"{live_server.url}{path}")
                assert page.locator("html").get_attribute("lang") == language
                text = page.locator("main").inner_text()
                for expected in words[name]:
                    assert expected in text, (language, name, expected)
                if name == "notifications":
                    page.get_by_text(words["script"]).wait_for()  # notifications.js, from the JS catalog
                assert_fits(page)
                page.set_viewport_size(PHONE)
                for table in page.locator(".table-responsive").all():  # a table may scroll, but not these
                    if name == "notifications":
                        assert table.evaluate("t => t.scrollWidth <= t.clientWidth"), (language, "channel table")
                j.step(name)
            j.assert_clean()
        finally:
            j.close()
