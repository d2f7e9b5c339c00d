"""The share box follows PASSES_SMS_ENABLED (issue 16): on, it takes an e-mail address or a phone number;
off, it asks for an e-mail address only and says text messages are not available, and a phone number
typed anyway gets that sentence as the error (nothing sent, nothing counted)."""

from __future__ import annotations

import pytest
from django.core import mail

from passes import sms
from portal.core.limits import rate_count
from tests.passes.conftest import make_pass

pytestmark = pytest.mark.django_db


def _detail(client, key) -> str:
    return client.get(f"/passes/{key.pass_obj_id}/").content.decode()


def test_with_texts_on_the_share_box_offers_email_or_phone(world, client_for, settings):
    settings.PASSES_SMS_ENABLED = True
    key = make_pass(world.alice.residencies.get()).keys.get()

    html = _detail(client_for(world.alice), key)

    assert 'placeholder="E-mail or phone"' in html and "E-mail or phone to send" in html
    assert "Text messages are not available" not in html


def test_with_texts_off_the_share_box_asks_for_an_email_address_and_says_why(world, client_for, settings):
    settings.PASSES_SMS_ENABLED = False
    key = make_pass(world.alice.residencies.get()).keys.get()

    html = _detail(client_for(world.alice), key)

    assert f'id="share-{key.pk}" name="to" type="email"' in html
    assert "phone" not in html.lower().split('<h2 class="h5">visitors</h2>')[-1]
    assert "Text messages are not available in this portal: send the link by e-mail, or copy it." in html
    assert f'aria-describedby="share-note-{key.pk}"' in html and f'id="share-note-{key.pk}"' in html


def test_with_texts_off_a_phone_number_gets_the_same_words_and_nothing_is_sent_or_counted(world, client_for, settings):
    settings.PASSES_SMS_ENABLED = False
    settings.PASSES_SMS_BACKEND = "passes.sms.LocmemBackend"
    sms.outbox.clear()
    key = make_pass(world.alice.residencies.get()).keys.get()
    client = client_for(world.alice)

    refused = client.post(f"/passes/keys/{key.pk}/share/", {"to": "(212) 555-0199"}, follow=True)
    sent = client.post(f"/passes/keys/{key.pk}/share/", {"to": "friend@example.com"}, follow=True)

    assert "Text messages are not available in this portal: enter an e-mail address." in refused.content.decode()
    assert [m.to for m in mail.outbox] == [["friend@example.com"]]
    assert "was sent to friend@example.com" in sent.content.decode()
    assert rate_count(key=f"msg:b:{world.building_a.pk}:u:{world.alice.pk}", window_s=3600) == 1
    assert sms.outbox == []
