"""Passes in the reader's language (issue 20): the share e-mail and text in the language the resident
picks for the guest, the guest page, its calendar file in the guest's browser's language, dates and times
in that language's named formats (portal/formats) in the building's zone."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.utils import translation

from passes import sharing, sms
from tests.passes.conftest import make_pass
from tests.passes.test_sms_twilio import _evening_pass, _named_building


@pytest.fixture
def evening_key(world):
    """Alice Lindqvist's pass for Sat 14 Mar 2099, 18:00-23:30 New York time, at Crimson Tower (with its address)."""
    _named_building(world)
    return _evening_pass(world).keys.get()


@pytest.fixture
def outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def _share(client, key, **data):
    return client.post(f"/passes/keys/{key.pk}/share/", data, follow=True)


def test_the_share_email_goes_out_in_the_language_the_resident_picks(world, client_for, evening_key):
    page = _share(client_for(world.alice), evening_key, to="amigo@example.com", language="es")

    [email] = mail.outbox
    assert email.to == ["amigo@example.com"]
    assert email.subject == "Alice Lindqvist le invitó a Crimson Tower"
    assert email.body.startswith("Hola, Dinner visitor:")
    assert "Alice Lindqvist le invitó a Crimson Tower, 12 Harbor St, Brooklyn, NY 11201." in email.body
    # Spanish weekday and month names from the named formats, the building's zone in words.
    assert "Válido el sáb 14 mar 2099, 18:00–23:30 hora de New York." in email.body
    assert "Abra su pase aquí para ver su código QR y su PIN:" in email.body
    assert f"/p/{evening_key.share_token}/" in email.body
    assert "invited you" not in email.body and "Valid " not in email.body
    # The resident's own page stays in their language: only the message is the guest's.
    assert "The pass of Dinner visitor was sent to amigo@example.com." in page.content.decode()


def test_the_share_text_message_goes_out_in_the_language_the_resident_picks(world, client_for, evening_key, outbox):
    _share(client_for(world.alice), evening_key, to="(212) 555-0199", language="es")

    [message] = outbox
    assert message.to == "+12125550199"
    assert message.body.startswith("Alice Lindqvist le invitó a Crimson Tower, 12 Harbor St, Brooklyn, NY 11201.")
    assert "Válido el sáb 14 mar 2099, 18:00–23:30 hora de New York." in message.body
    assert f"Su pase: http://testserver/p/{evening_key.share_token}/" in message.body


def test_the_message_is_in_the_language_picked_not_the_one_the_resident_reads(world, client_for, evening_key):
    world.alice.language = "fr-ca"  # Alice reads the portal in French...
    world.alice.save(update_fields=["language"])

    page = _share(client_for(world.alice), evening_key, to="amigo@example.com", language="es")  # ...her guest Spanish

    [email] = mail.outbox
    assert email.subject == "Alice Lindqvist le invitó a Crimson Tower"
    assert "Válido el sáb 14 mar 2099" in email.body
    assert "Le laissez-passer de Dinner visitor a été envoyé à amigo@example.com." in page.content.decode()


def test_the_language_choice_starts_at_the_residents_own_and_is_the_default_without_one(world, client_for, evening_key):
    world.alice.language = "fr-ca"
    world.alice.save(update_fields=["language"])
    client = client_for(world.alice)

    detail = client.get(f"/passes/{evening_key.pass_obj_id}/").content.decode()
    assert '<option value="fr-ca" lang="fr-ca" selected>' in detail
    assert f'id="share-language-{evening_key.pk}" name="language"' in detail

    _share(client, evening_key, to="ami@example.com")  # a form posted without the choice: her own language

    [email] = mail.outbox
    assert email.subject == "Alice Lindqvist vous invite à Crimson Tower"
    assert "Valide le sam 14 mar 2099, 18\xa0h\xa000–23\xa0h\xa030 heure de New York." in email.body


def test_an_unknown_language_is_refused_in_words_and_nothing_is_sent(world, client_for, evening_key):
    page = _share(client_for(world.alice), evening_key, to="amigo@example.com", language="tlh")

    assert mail.outbox == []
    assert "Select a valid choice. tlh is not one of the available choices." in page.content.decode()


def test_the_guest_page_follows_the_guests_french_browser(world, client, evening_key):
    page = client.get(f"/p/{evening_key.share_token}/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")

    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="fr-ca"' in html
    assert "<title>Laissez-passer de visiteur" in html
    assert 'aria-label="Code QR du laissez-passer"' in html
    assert "Pour <strong>Dinner visitor</strong>" in html
    assert "Comment entrer" in html and "Ajouter au calendrier" in html
    # Quebec's way of writing the time, the building's clock.
    assert "sam 14 mar 2099, 18\xa0h\xa000" in html and "23\xa0h\xa030" in html
    assert "Visitor pass" not in html and "How to enter" not in html
    assert page["Vary"] and "Accept-Language" in page["Vary"]  # a cache keeps one page per language


def test_the_guest_page_of_a_revoked_pass_speaks_spanish_to_a_spanish_browser(world, client):
    p = make_pass(world.alice.residencies.get(), status="revoked")

    html = client.get(f"/p/{p.keys.get().share_token}/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.8").content.decode()

    assert '<html lang="es"' in html
    assert "Este pase fue revocado." in html and "Ya no abre ninguna puerta. Pida uno nuevo a su anfitrión." in html


def test_the_calendar_file_is_in_the_guests_language(world, client, evening_key):
    response = client.get(f"/p/{evening_key.share_token}/pass.ics", HTTP_ACCEPT_LANGUAGE="fr-CA")

    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["summary"]) == "Visite\xa0: Crimson Tower"
    assert str(event["description"]).startswith("Votre laissez-passer (Dinner)\xa0: http://testserver/p/")


def test_validity_words_follow_the_language_being_rendered(world):
    weekly = make_pass(
        world.alice.residencies.get(), kind="recurring", weekdays=["mon", "tue", "wed", "thu", "fri"],
        time_from=dt.time(0, 0), time_to=dt.time(23, 59), start_date=dt.date(2099, 1, 5),
        end_date=dt.date(2099, 1, 30),
    )  # fmt: skip

    with translation.override("es"):
        spanish = sharing.validity_words(weekly)
    with translation.override("fr-ca"):
        french = sharing.validity_words(weekly)

    assert spanish == "Válido los días lun–vie, todo el día, del lun 5 ene 2099 al vie 30 ene 2099."
    assert french == "Valide les lun–ven, toute la journée, du lun 5 jan 2099 au ven 30 jan 2099."
