"""Which language a person reads: their own choice, else their browser's; messages in the recipient's."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from portal.core.language import for_recipient, language_of, supported

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    return response["Content-Language"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.5", "es"),
        ("fr-CA,fr;q=0.8", "fr-ca"),
        ("fr-FR", "fr-ca"),
        ("de-DE,de", "en"),
        ("", "en"),
    ],
)
def test_without_a_choice_the_browsers_language_is_used(header, expected, client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=header)

    assert page_language(response) == expected
    assert f'<html lang="{expected}"' in response.content.decode()


def test_a_persons_own_choice_wins_over_their_browsers(world, client_for):
    world.alice.language = "fr-ca"
    world.alice.save()

    response = client_for(world.alice).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="es")

    assert page_language(response) == "fr-ca"


def test_the_language_menu_saves_a_signed_in_persons_choice_and_sets_the_cookie(world, client_for):
    client = client_for(world.alice)

    response = client.post(reverse("language_choose"), {"language": "es", "next": "/passes/"})

    world.alice.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/passes/"
    assert world.alice.language == "es"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert page_language(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr-CA")) == "es"


def test_an_empty_choice_goes_back_to_the_browsers_language(world, client_for):
    world.alice.language = "es"
    world.alice.save()
    client = client_for(world.alice)

    client.post(reverse("language_choose"), {"language": "", "next": "/"})

    world.alice.refresh_from_db()
    assert world.alice.language == ""
    assert page_language(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr-CA")) == "fr-ca"


def test_an_anonymous_choice_lives_in_the_cookie(client):
    client.post(reverse("language_choose"), {"language": "fr-ca", "next": "/accounts/login/"})

    assert page_language(client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="es")) == "fr-ca"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_the_menu_never_sends_a_person_to_another_site(next_url, client):
    response = client.post(reverse("language_choose"), {"language": "es", "next": next_url})

    assert response["Location"] == "/"


def test_an_unknown_language_is_not_stored(world, client_for):
    client_for(world.alice).post(reverse("language_choose"), {"language": "klingon", "next": "/"})

    world.alice.refresh_from_db()
    assert world.alice.language == ""


def test_the_language_menu_is_on_every_page_with_each_language_in_its_own_words(client):
    html = client.get(reverse("account_login")).content.decode()

    assert 'lang="es">Español</option>' in html and 'lang="fr-ca">Français (Canada)</option>' in html


def test_messages_follow_the_recipient_not_the_request(world):
    world.bob.language = "es"
    with translation.override("fr-ca"):
        with for_recipient(world.bob) as code:
            assert translation.get_language() == code == "es"
        with for_recipient(world.bob, language="fr-CA") as code:  # the language picked when sharing
            assert code == "fr-ca"
        assert translation.get_language() == "fr-ca"


def test_supported_maps_regional_variants_to_the_portals_languages():
    assert [supported(c) for c in ("es-MX", "fr-CA", "fr", "en-GB", "pt-BR", "", None)] == [
        "es",
        "fr-ca",
        "fr-ca",
        "en",
        None,
        None,
        None,
    ]
    assert language_of(None) == "en"


def test_staff_setting_up_two_factor_can_still_choose_their_language(world, client_for, settings):
    """The set-up page is read in the person's language: the menu and the scripts' strings are reachable."""
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    client = client_for(world.staff)

    chosen = client.post(reverse("language_choose"), {"language": "es", "next": "/accounts/2fa/totp/activate/"})
    script = client.get(reverse("javascript_catalog"))

    world.staff.refresh_from_db()
    assert chosen["Location"] == "/accounts/2fa/totp/activate/" and world.staff.language == "es"
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    assert client.get("/").status_code == 302  # everything else still waits for two-factor
