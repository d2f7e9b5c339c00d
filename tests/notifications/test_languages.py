"""Everything sent to a person is in their language, whatever the language of what caused it: a notice's
live toast, push and e-mail (notify() makes the notice once per recipients' language), the e-mail's frame,
and a manager alert, which keeps its facts and is worded for whoever reads it. API errors follow the
client's Accept-Language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from portal.alerts.models import AlertIncident
from portal.live.models import LiveEvent
from portal.notifications.emails import notice_email_send
from portal.notifications.models import NotificationPreference
from portal.notifications.notices import Notice, NoticeAction
from portal.notifications.services import notify
from portal.notifications.webpush import push_payload
from tests.alerts.conftest import open_refusal_incident
from tests.notifications.conftest import run_live_only

pytestmark = pytest.mark.django_db


def speaks(user, code: str) -> None:
    user.language = code
    user.save(update_fields=["language"])


def arrival() -> Notice:
    """A notice made of catalog strings, as a caller's builder makes it (in the active language)."""
    return Notice(
        category="arrival",
        title=gettext("Guest arrivals"),
        body=gettext("Someone came in through a door"),
        url="/logs/",
        actions=(NoticeAction("mute", gettext("Mute for an hour"), "/profile/notifications/snooze/"),),
    )


def test_each_recipient_gets_the_notice_in_their_own_language_on_every_channel(
    world, settings, django_capture_on_commit_callbacks
):
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = "public", "private"
    speaks(world.alice, "es")
    speaks(world.bob, "fr-ca")
    for person in (world.alice, world.bob):
        person.push_subscriptions.create(
            endpoint=f"https://fcm.googleapis.com/fcm/send/{person.pk}", p256dh="k" * 87, auth="a" * 22
        )
        NotificationPreference.objects.create(user=person, channels={"arrival": ["push", "email"]})

    with translation.override("en"), django_capture_on_commit_callbacks() as callbacks:  # an English request
        notify([world.alice.pk, world.bob.pk], arrival)
    queued = run_live_only(callbacks)

    live = {e.audience: e.payload for e in LiveEvent.objects.filter(kind="notice")}
    alices, bobs = live[f"user:{world.alice.pk}"], live[f"user:{world.bob.pk}"]
    assert (alices["title"], alices["body"]) == ("Llegadas de invitados", "Alguien entró por una puerta")
    assert (bobs["title"], bobs["body"]) == ("Arrivées d’invités", "Quelqu’un est entré par une porte")
    assert alices["actions"][0]["title"] == "Silenciar una hora"
    assert sorted(queued) == sorted(
        [
            ("portal.notifications.tasks.push_notice_task", [world.alice.pk], alices),
            ("portal.notifications.tasks.email_notice_task", world.alice.pk, alices),
            ("portal.notifications.tasks.push_notice_task", [world.bob.pk], bobs),
            ("portal.notifications.tasks.email_notice_task", world.bob.pk, bobs),
        ]
    )


def test_the_email_around_a_notice_is_in_the_recipients_language(world, settings):
    settings.SITE_URL = "https://portal.example.test"
    speaks(world.alice, "fr-ca")
    with translation.override("fr-ca"):
        payload = arrival().as_payload()

    with translation.override("es"):  # the worker's language does not matter
        assert notice_email_send(user_ids=[world.alice.pk], notice=payload) == 1

    [message] = mail.outbox
    html, _mimetype = message.alternatives[0]
    assert "Arrivées d’invités" in message.subject
    assert "Ouvrez-le dans le portail : https://portal.example.test/logs/" in message.body
    assert '<html lang="fr-ca">' in html and "paramètres de notification" in html


def test_a_push_without_a_title_gets_the_portals_name_in_the_persons_language(world):
    with translation.override("es"):
        assert push_payload({"title": "", "body": "x"}, user_id=world.alice.pk)["title"] == "Portal del edificio"


def test_an_alert_is_stored_with_its_facts_and_read_in_each_readers_language(world, client_for):
    speaks(world.manager, "es")
    open_refusal_incident(world.building_a)

    incident = AlertIncident.objects.get()
    assert incident.title == "5 refused credentials at A Front Door"  # the admin's copy, in English
    page = client_for(world.manager).get("/profile/notifications/").content.decode()
    assert "5 credenciales rechazadas en A Front Door" in page
    assert "rechazos en A Front Door en 2 min, el último a las 14:00." in page  # 19:00 UTC in New York


def test_an_api_error_is_in_the_clients_language(client):
    answer = client.get("/api/no-such-thing/", headers={"Accept": "application/json", "Accept-Language": "fr-CA"})

    assert answer.status_code == 404 and answer.json()["detail"] == "Introuvable."
