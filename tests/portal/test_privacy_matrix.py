"""Every URL that shows activity shows each persona only what tests/privacy_matrix.py says they may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access_matrix import COVERED_NAMESPACES
from tests.portal.test_access_matrix import ALL_NAMES
from tests.privacy_matrix import MARKERS, NO_ACTIVITY, OBJECTS, OWNERS, PERSONAS, SEES, SURFACES, build_activity

CLASSIFIED = set(SURFACES) | set(OBJECTS) | set(NO_ACTIVITY)


@pytest.fixture
def activity(world):
    return build_activity(world)


def body_of(response) -> str:
    """What a person receives: the body (streamed or not) and where a redirect sends them."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace") + "\n" + response.get("Location", "")


def leaks(text: str, persona: str) -> list[str]:
    """The markers in ``text`` of owners ``persona`` may not see."""
    return [m for owner in OWNERS if owner not in SEES[persona] for m in MARKERS[owner] if m in text]


def test_every_url_of_the_portal_is_classified_in_the_privacy_matrix():
    missing = [name for name in ALL_NAMES if name not in CLASSIFIED]

    assert not missing, (
        "add these URLs to tests/privacy_matrix.py: to SURFACES or OBJECTS if they show access-log, call, "
        f"release or pass-use data, else to NO_ACTIVITY with the reason they show none: {missing}"
    )


def test_the_privacy_matrix_lists_no_url_that_does_not_exist():
    known = set(ALL_NAMES) | set(COVERED_NAMESPACES.values())

    assert not [name for name in CLASSIFIED if name not in known]


def test_a_url_is_classified_once():
    assert not (set(SURFACES) & set(OBJECTS)) | (set(SURFACES) & set(NO_ACTIVITY)) | (set(OBJECTS) & set(NO_ACTIVITY))


@pytest.mark.parametrize("url_name", sorted(SURFACES))
def test_each_persona_sees_only_the_activity_they_may(url_name, activity, client_for):
    surface = SURFACES[url_name]
    url = reverse(url_name, kwargs=surface.kwargs(activity)) + surface.query
    leaked, missing = {}, {}
    for persona in PERSONAS:
        response = client_for(activity.world.persona(persona)).get(url)
        text = body_of(response)
        if found := leaks(text, persona):
            leaked[persona] = found
        for owner in surface.shows.get(persona, ()):
            if not any(marker in text for marker in MARKERS[owner]):
                missing.setdefault(persona, []).append(owner)
        if surface.check:
            surface.check(activity, persona, response)

    assert not leaked, f"{url} shows people activity that is not theirs to see: {leaked}"
    assert not missing, f"{url} should show these personas their own/their building's activity: {missing}"


@pytest.mark.parametrize("url_name", sorted(OBJECTS))
def test_another_units_record_is_a_404(url_name, activity, client_for):
    spec = OBJECTS[url_name]
    expected, got = {}, {}
    for owner, records in getattr(activity, spec.kind).items():
        url = reverse(url_name, kwargs=spec.kwargs(records[0]))
        for persona in PERSONAS:
            if persona == "anonymous":
                status = spec.anonymous
            else:
                status = spec.ok if owner in SEES[persona] else 404
            response = client_for(activity.world.persona(persona)).get(url)
            expected[(owner, persona)] = status
            got[(owner, persona)] = response.status_code
            assert not leaks(body_of(response), persona), (url, persona)

    assert got == expected
