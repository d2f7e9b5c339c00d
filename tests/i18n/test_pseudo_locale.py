"""Every page, for every persona who may open it, rendered in a pseudo-locale: no word left unmarked.

Each URL of the access matrix (``tests/access_matrix.py``: a new page joins it or the suite fails), in the
world of the privacy matrix (every unit, the desk and another building with activity), for each persona
that gets a 200. A text outside ⟪ ⟫ that is not data is a string never marked for translation: it would
stay English on a Spanish or French page. `make lint` runs this file.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from tests.access_matrix import MATRIX, PERSONAS
from tests.i18n import pseudo
from tests.privacy_matrix import build_activity


@pytest.fixture(scope="session")
def pseudo_locale_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("locale")
    pseudo.build_catalog(folder)
    return folder


@pytest.fixture
def in_pseudo_locale(settings, pseudo_locale_dir):
    settings.LOCALE_PATHS = [pseudo_locale_dir, *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (pseudo.PSEUDO, "Pseudo")]
    return pseudo.PSEUDO


def _detail_texts(payload) -> list[str]:
    """An API's error texts (``detail`` and field errors): people read them in the client's language."""
    found = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "detail" and isinstance(value, str):
                found.append(value)
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                found += value
            else:
                found += _detail_texts(value)
    elif isinstance(payload, list):
        for value in payload:
            found += _detail_texts(value)
    return found


def test_the_pseudo_locale_shows_unmarked_words_and_passes_marked_ones():
    """The detector itself: a marked word passes, an unmarked one is found, data is data."""
    texts = pseudo.readable_texts(
        '<p>⟪Visitor pass⟫ Alice Aardvark</p><button title="Close it">x</button><span translate="no">Raw</span>'
        '<option lang="es">Español</option><p>12:30 EST · 4B · a@b.test</p>'
        '<p>⟪Please <a href="/signup/">sign up</a> <b>first</b>.⟫ Unmarked</p><label>⟪⟪Guest arrivals⟫ by push⟫</label>'
    )

    assert pseudo.untranslated(texts, {"Alice Aardvark"}) == ["Close it", "⟪.⟫ Unmarked"]


# Answers for programs, not people, whatever the caller's Accept-Language: /healthz's check names and
# details (exception class names, database vendors, "stale: ...") are read by monitoring rules and
# operators, as the logs are, and must not change with a load balancer's language.
FOR_PROGRAMS = {"healthz"}


@pytest.mark.parametrize("url_name", sorted(set(MATRIX) - FOR_PROGRAMS))
def test_no_page_shows_a_word_that_was_never_marked_for_translation(url_name, world, client_for, in_pseudo_locale):
    activity = build_activity(world)
    entry = MATRIX[url_name]
    url = reverse(url_name, kwargs=entry.kwargs(world)) + entry.query
    data = pseudo.data_values()
    found, wrong_lang = {}, []
    for persona in PERSONAS:
        if entry.expect[persona] != 200:
            continue
        response = client_for(activity.world.persona(persona)).get(url, HTTP_ACCEPT_LANGUAGE=in_pseudo_locale)
        kind = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if kind.startswith("text/html"):
            html = body.decode()
            if "<html" in html and f'<html lang="{in_pseudo_locale}"' not in html:
                wrong_lang.append(persona)
            texts = pseudo.readable_texts(html)
        elif kind.startswith("application/json"):
            texts = _detail_texts(json.loads(body or b"null"))
        else:
            continue
        if words := pseudo.untranslated(texts, data):
            found[persona] = sorted(set(words))

    assert not wrong_lang, f"{url}: <html lang> is not the page's language for {wrong_lang}"
    assert not found, f"{url}: text never marked for translation (wrap it in gettext/translate): {found}"
    assert settings.LANGUAGE_CODE == "en"
