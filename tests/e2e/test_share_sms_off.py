"""The share box in Chromium at 390 px and 1280 px, under the real CSP, with axe, both ways of
PASSES_SMS_ENABLED: off, it asks for an e-mail address only, says text messages are not available, and a
phone number never reaches the portal (the e-mail input refuses it); on, an e-mail address and a phone
number both go out."""

from __future__ import annotations

import pytest
from django.core import mail

from passes import sms
from tests.e2e.journeys import Journey, assert_fits
from tests.e2e.test_pins_and_limits import sign_in
from tests.passes.conftest import make_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def _share_box(page, key):
    return page.get_by_role("region", name=key.name)


def test_the_share_box_offers_email_only_when_texts_are_off_and_both_when_on(live_server, chromium, world, settings):
    settings.PASSES_SMS_BACKEND = "passes.sms.LocmemBackend"
    sms.outbox.clear()
    key = make_pass(world.alice.residencies.get(), name="Sam Lee").keys.get()
    j = Journey(chromium, "share-sms")
    try:
        page = j.page
        sign_in(page, live_server, "alice@example.test")

        settings.PASSES_SMS_ENABLED = False
        page.goto(f"{live_server.url}/passes/{key.pass_obj_id}/")
        box = _share_box(page, key)
        field = box.get_by_label(f"E-mail address to send {key.name}'s pass to")
        assert field.get_attribute("type") == "email"
        assert field.get_attribute("placeholder") == "E-mail address"
        note = box.get_by_text("Text messages are not available in this portal")
        assert note.is_visible()
        assert "phone" not in box.inner_text().lower()
        j.step("01-sms-off")
        field.fill("+1 212 555 0199")  # typed anyway: the browser's e-mail check holds it back
        box.get_by_role("button", name="Send").click()
        assert not field.evaluate("el => el.checkValidity()")
        assert page.url.endswith(f"/passes/{key.pass_obj_id}/") and not mail.outbox and sms.outbox == []
        field.fill("friend@example.com")
        box.get_by_role("button", name="Send").click()
        page.get_by_text("was sent to friend@example.com").wait_for()
        assert [m.to for m in mail.outbox] == [["friend@example.com"]]
        j.step("02-sms-off-sent")

        settings.PASSES_SMS_ENABLED = True
        page.goto(f"{live_server.url}/passes/{key.pass_obj_id}/")
        box = _share_box(page, key)
        field = box.get_by_label(f"E-mail or phone to send {key.name}'s pass to")
        assert field.get_attribute("placeholder") == "E-mail or phone"
        assert box.get_by_text("Text messages are not available").count() == 0
        field.fill("(212) 555-0199")
        box.get_by_role("button", name="Send").click()
        page.get_by_text("was sent to +12125550199").wait_for()
        assert [m.to for m in sms.outbox] == ["+12125550199"]
        j.step("03-sms-on-sent")
        assert_fits(page)
        j.assert_clean()
    finally:
        j.close()
