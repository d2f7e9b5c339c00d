"""Issue 16, "SMS sharing has a real provider backend ... Share e-mails and SMS say who invited the
guest, to which building, and when", in Chromium at 390 and 1280 px, under the real CSP, with axe,
against the sandbox: a resident sends a visitor's pass by text through the Twilio backend (Twilio's
official library, aimed at the project's local fake of Twilio's Messages API) and by e-mail; both say
who invited the guest, to which building, when the pass is valid, and carry the guest link.

Screenshots: var/screenshots/journey-share16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from passes import services
from tests.e2e.journeys import Journey
from tests.e2e.test_pass_extend import synced_bmx_world
from tests.e2e.test_pins_and_limits import sign_in
from tests.passes.helpers import local_now, pass_input
from tests.passes.test_sms_twilio import FROM, twilio  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
NY = ZoneInfo("America/New_York")


def test_a_pass_sent_by_text_through_twilio_and_by_e_mail_says_who_where_and_when(
    live_server,
    sandbox,
    chromium,
    twilio,  # noqa: F811
    mailoutbox,
):
    bmx = synced_bmx_world()
    bmx.crimson.address = "100 Crimson Ave, New York, NY 10001"
    bmx.crimson.save(update_fields=["address"])
    day = local_now(NY).date() + dt.timedelta(days=3)
    dinner = services.pass_create(
        actor=bmx.rosa, residency=bmx.rosa_residency,
        data=pass_input("full_day", tz=NY, name="Dinner", visitors=["Sam Lee"], day=day),
    )  # fmt: skip
    token = dinner.keys.get().share_token
    validity = f"Valid on {day:%a} {day.day} {day:%b %Y}"
    j = Journey(chromium, "share16")
    page = j.page
    try:
        sign_in(page, live_server, bmx.rosa.email)
        page.goto(f"{live_server.url}/passes/{dinner.pk}/")
        to = page.get_by_label("E-mail or phone to send Sam Lee's pass to")

        to.fill("(212) 555-0199")
        page.get_by_role("button", name="Send").click()
        page.get_by_text("was sent to +12125550199").wait_for()
        j.step("01-sent-by-text")
        [text] = twilio.messages
        assert text["To"] == "+12125550199" and text["From"] == FROM
        invited = "Rosa Resident invited you to Crimson Tower, 100 Crimson Ave, New York, NY 10001."
        assert text["Body"].startswith(invited)
        assert validity in text["Body"] and "New York time" in text["Body"]
        assert text["Body"].endswith(f"/p/{token}/")

        to.fill("sam@example.com")
        page.get_by_role("button", name="Send").click()
        page.get_by_text("was sent to sam@example.com").wait_for()
        j.step("02-sent-by-e-mail")
        [email] = mailoutbox
        assert email.to == ["sam@example.com"]
        assert email.subject == "Rosa Resident invited you to Crimson Tower"
        assert "Hello Sam Lee," in email.body
        assert invited in email.body
        assert validity in email.body and f"/p/{token}/" in email.body
        assert bmx.rosa.email not in email.body
        j.assert_clean()
    finally:
        j.close()
