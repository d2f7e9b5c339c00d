"""The tenants area in other languages: the profile's language choice, and invitations written in the
invitee's language (their own choice if they have an account, else the one the manager picked)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def people_url(building) -> str:
    return reverse("tenants:building_people", kwargs={"pk": building.pk})


def test_the_profile_offers_each_language_in_its_own_language_and_saves_the_choice(world, client_for):
    client = client_for(world.alice)

    page = client.get(reverse("tenants:profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    saved = client.post(reverse("tenants:profile"), {"first_name": "Alice", "language": "es", "push": ""}, follow=True)

    assert '<option value="es" lang="es">Español</option>' in page
    assert '<option value="fr-ca" lang="fr-ca">Français (Canada)</option>' in page
    assert "Your browser&#x27;s language" in page
    world.alice.refresh_from_db()
    assert world.alice.language == "es"
    # The page after saving, and its message, are in the language just chosen.
    html = saved.content.decode()
    assert '<html lang="es"' in html and "Su perfil está guardado." in html
    assert '<option value="es" lang="es" selected>' in html


def test_an_empty_choice_on_the_profile_goes_back_to_the_browsers_language(world, client_for):
    world.alice.language = "fr-ca"
    world.alice.save()

    client_for(world.alice).post(reverse("tenants:profile"), {"first_name": "Alice", "language": ""})

    world.alice.refresh_from_db()
    assert world.alice.language == ""


def test_an_invitation_to_someone_new_is_written_in_the_language_the_manager_chose(world, client_for):
    invite = {"email": "nouvelle@example.test", "role": "staff", "language": "fr-ca"}

    answer = client_for(world.manager).post(people_url(world.building_a), invite, HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Invitation à Building A"
    assert "vous invite à Building A comme personnel de la réception" in message.body
    assert "pendant 14 jours" in message.body


def test_without_a_choice_the_invitation_follows_the_inviting_managers_language(world, client_for):
    world.manager.language = "es"
    world.manager.save()

    client_for(world.manager).post(people_url(world.building_a), {"email": "nuevo@example.test", "role": "manager"})

    (message,) = mail.outbox
    assert message.subject == "Invitación a Building A"
    assert "como administrador en el portal del edificio" in message.body


def test_someone_with_an_account_reads_the_notice_in_their_own_language_whatever_the_manager_chose(world, client_for):
    world.charlie.language = "es"
    world.charlie.save()
    invite = {"email": world.charlie.email, "role": "manager", "language": "fr-ca"}

    client_for(world.manager).post(people_url(world.building_a), invite)

    (message,) = mail.outbox
    assert message.subject == "Ahora es administrador en Building A"
    assert "autenticación en dos pasos" in message.body


def test_the_invitation_page_and_the_manager_pages_read_in_french(world, client_for):
    client_for(world.manager).post(people_url(world.building_a), {"email": "new@example.test", "role": "staff"})
    link = mail.outbox[0].body.split("http://testserver", 1)[1].split()[0]

    guest = client_for(None).get(link, HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()
    people = client_for(world.manager).get(people_url(world.building_a), HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()

    assert "Invitation à Building A" in guest and "Créer un compte" in guest
    assert "Inviter du personnel ou un gestionnaire" in people and "Personnel et gestionnaires" in people
