"""SMS sharing through Twilio's official library, against a local stand-in of Twilio's Messages API.

The stand-in (:class:`FakeTwilio`) is a small HTTP server implementing what ``client.messages.create``
calls: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with Basic auth and a form body, answering
201 with a Message resource, or Twilio's error JSON (401 code 20003, 400 code 21211 / 21602 / 21604). The
library is aimed at it through ``TWILIO_API_BASE`` (a custom ``http_client``, the library's documented
extension point). The message bodies read here are the ones the guest receives.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from passes import sharing, sms
from portal.core.limits import rate_count
from tests.passes.conftest import make_pass
from tests.plugins.log_secrets import register_secret

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "fake-auth-token-7f3a9c"  # the stand-in's own credential
KEY_SID, KEY_SECRET = "SK" + "fedcba9876543210" * 2, "fake-api-key-secret-2b8d"
FROM = "+12125550100"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class FakeTwilio:
    """Twilio's Messages create endpoint, as documented, on 127.0.0.1; remembers what it accepted."""

    def __init__(self, credentials: dict[str, str]):
        self.credentials = credentials  # username -> password
        self.messages: list[dict[str, str]] = []
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: the share link is in the body
                pass

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, code: int, message: str) -> None:
                more = f"https://www.twilio.com/docs/errors/{code}"
                self._answer(status, {"code": code, "message": message, "more_info": more, "status": status})

            def do_POST(self):
                fake.requests.append(self.path)
                match = re.fullmatch(r"/2010-04-01/Accounts/(AC\w{32})/Messages\.json", self.path)
                if not match:
                    return self._error(404, 20404, "The requested resource was not found")
                user, _, password = (
                    base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"")
                    .decode()
                    .partition(":")
                )
                if match.group(1) != ACCOUNT or fake.credentials.get(user) != password:
                    return self._error(401, 20003, "Authenticate")
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if not E164.match(form.get("To", "")):
                    return self._error(400, 21211, f"The 'To' number {form.get('To')} is not a valid phone number.")
                if not (form.get("From") or form.get("MessagingServiceSid")):
                    return self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
                if not form.get("Body"):
                    return self._error(400, 21602, "Message body is required.")
                fake.messages.append(form)
                sid = f"SM{len(fake.messages):032x}"
                return self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": ACCOUNT,
                        "to": form["To"],
                        "from": form.get("From"),
                        "messaging_service_sid": form.get("MessagingServiceSid"),
                        "body": form["Body"],
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json",
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio(settings):
    register_secret(TOKEN, "twilio auth token")
    register_secret(KEY_SECRET, "twilio api key secret")
    with FakeTwilio({ACCOUNT: TOKEN, KEY_SID: KEY_SECRET}) as fake:
        settings.PASSES_SMS_BACKEND = "passes.sms.TwilioBackend"
        settings.TWILIO_API_BASE = fake.url
        settings.TWILIO_ACCOUNT_SID = ACCOUNT
        settings.TWILIO_AUTH_TOKEN = TOKEN
        settings.TWILIO_API_KEY_SID = settings.TWILIO_API_KEY_SECRET = ""
        settings.TWILIO_FROM_NUMBER = FROM
        settings.TWILIO_MESSAGING_SERVICE_SID = ""
        yield fake


def _named_building(world):
    b = world.building_a
    b.name, b.address = "Crimson Tower", "12 Harbor St, Brooklyn, NY 11201"
    b.save()
    world.alice.last_name = "Lindqvist"
    world.alice.save()


def _evening_pass(world):
    """Sat 14 Mar 2099, 18:00-23:30 in New York."""
    ny = ZoneInfo("America/New_York")
    return make_pass(
        world.alice.residencies.get(),
        name="Dinner",
        starts=dt.datetime(2099, 3, 14, 18, 0, tzinfo=ny),
        ends=dt.datetime(2099, 3, 14, 23, 30, tzinfo=ny),
    )


def test_a_share_by_text_goes_through_twilio_and_says_who_where_and_when(world, client_for, twilio):
    _named_building(world)
    key = _evening_pass(world).keys.get()

    response = client_for(world.alice).post(f"/passes/keys/{key.pk}/share/", {"to": "(212) 555-0199"}, follow=True)

    assert "was sent to +12125550199" in response.content.decode()
    [message] = twilio.messages
    assert message["To"] == "+12125550199" and message["From"] == FROM
    assert twilio.requests == [f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"]
    body = message["Body"]
    assert body.startswith("Alice Lindqvist invited you to Crimson Tower, 12 Harbor St, Brooklyn, NY 11201.")
    assert "Valid on Sat 14 Mar 2099, 18:00–23:30 New York time." in body
    assert body.endswith(f"/p/{key.share_token}/")


def test_an_api_key_and_a_messaging_service_are_used_when_configured(world, twilio, settings):
    settings.TWILIO_API_KEY_SID, settings.TWILIO_API_KEY_SECRET = KEY_SID, KEY_SECRET
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32

    sms.send_sms("+12125550199", "hello")

    assert twilio.messages == [{"To": "+12125550199", "Body": "hello", "MessagingServiceSid": "MG" + "1" * 32}]


def test_a_refusal_by_twilio_sends_nothing_counts_nothing_and_says_so(world, client_for, twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong-token"
    key = make_pass(world.alice.residencies.get()).keys.get()

    response = client_for(world.alice).post(f"/passes/keys/{key.pk}/share/", {"to": "+12125550199"}, follow=True)

    assert "could not be sent just now; nothing was sent" in response.content.decode()
    assert twilio.messages == [] and len(twilio.requests) == 1  # it was asked, and refused
    assert rate_count(key=f"msg:b:{world.building_a.pk}:u:{world.alice.pk}", window_s=3600) == 0


def test_the_twilio_backend_without_its_settings_is_refused_by_name(twilio, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = ""

    with pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN.*TWILIO_FROM_NUMBER"):
        sms.send_sms("+12125550199", "hello")
    assert twilio.requests == []


def test_with_texts_off_a_phone_number_is_refused_and_nothing_is_sent(world, client_for, twilio, settings):
    settings.PASSES_SMS_ENABLED = False
    key = make_pass(world.alice.residencies.get()).keys.get()

    response = client_for(world.alice).post(f"/passes/keys/{key.pk}/share/", {"to": "+12125550199"}, follow=True)

    assert "Text messages are not available in this portal: enter an e-mail address." in response.content.decode()
    assert twilio.requests == []


def test_the_share_email_says_who_invited_the_guest_where_and_when(world, client_for):
    _named_building(world)
    key = _evening_pass(world).keys.get()

    client_for(world.alice).post(f"/passes/keys/{key.pk}/share/", {"to": "friend@example.com"})

    [email] = mail.outbox
    assert email.subject == "Alice Lindqvist invited you to Crimson Tower"
    assert f"Hello {key.name}," in email.body
    assert "Alice Lindqvist invited you to Crimson Tower, 12 Harbor St, Brooklyn, NY 11201." in email.body
    assert "Valid on Sat 14 Mar 2099, 18:00–23:30 New York time." in email.body
    assert f"/p/{key.share_token}/" in email.body
    assert "alice@example.test" not in email.body  # the guest learns a name, not the resident's address


def test_validity_in_words_follows_the_buildings_zone_and_the_kind(world):
    la = ZoneInfo("America/Los_Angeles")
    residency = world.charlie.residencies.get()  # building B, Los Angeles
    overnight = make_pass(
        residency, starts=dt.datetime(2099, 7, 3, 22, 0, tzinfo=la), ends=dt.datetime(2099, 7, 4, 6, 0, tzinfo=la)
    )
    assert sharing.validity_words(overnight) == (
        "Valid from Fri 3 Jul 2099, 22:00 to Sat 4 Jul 2099, 06:00 Los Angeles time."
    )

    once = make_pass(
        residency, kind="one_time", starts=dt.datetime(2099, 7, 3, 0, 0, tzinfo=la),
        ends=dt.datetime(2099, 7, 3, 23, 59, tzinfo=la),
    )  # fmt: skip
    assert sharing.validity_words(once).endswith("It opens the door for one visit.")

    weekly = make_pass(
        residency, kind="recurring", weekdays=["mon", "wed"], time_from=dt.time(9, 0),
        time_to=dt.time(17, 0), start_date=dt.date(2099, 1, 5), end_date=dt.date(2099, 1, 30),
    )  # fmt: skip
    assert sharing.validity_words(weekly) == (
        "Valid on Mon, Wed, 09:00–17:00 Los Angeles time, from Mon 5 Jan 2099 to Fri 30 Jan 2099."
    )


def test_a_resident_without_a_name_is_not_named_by_their_email(world):
    world.alice.first_name = world.alice.last_name = ""
    world.alice.save()
    p = make_pass(world.alice.residencies.get())

    assert sharing.inviter_name(p) == "A resident"


# --- Production start-up ----------------------------------------------------------------------------


def test_production_refuses_the_twilio_backend_without_its_settings_and_accepts_it_complete():
    from tests.portal.test_settings import PRODUCTION_ENV, run_manage

    twilio_env = {"PASSES_SMS_BACKEND": "passes.sms.TwilioBackend", "TWILIO_ACCOUNT_SID": ACCOUNT}
    refused = run_manage("check", "--deploy", env_overrides={**PRODUCTION_ENV, **twilio_env})
    complete = {**twilio_env, "TWILIO_API_KEY_SID": KEY_SID, "TWILIO_API_KEY_SECRET": KEY_SECRET}
    complete["TWILIO_FROM_NUMBER"] = FROM
    accepted = run_manage("check", "--deploy", "--fail-level", "ERROR", env_overrides={**PRODUCTION_ENV, **complete})

    assert refused.returncode != 0 and "portal.E111" in refused.stderr
    assert "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)" in refused.stderr
    assert "TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID)" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr
    assert KEY_SECRET not in accepted.stderr + accepted.stdout + refused.stderr


def test_production_refuses_the_console_sms_backend_only_while_texts_are_on():
    from tests.portal.test_settings import PRODUCTION_ENV, run_manage

    console = {**PRODUCTION_ENV, "PASSES_SMS_BACKEND": "passes.sms.ConsoleBackend"}
    on = run_manage("check", "--deploy", env_overrides=console)
    off = run_manage(
        "check", "--deploy", "--fail-level", "ERROR", env_overrides={**console, "PASSES_SMS_ENABLED": "false"}
    )

    assert on.returncode != 0 and "portal.E102" in on.stderr and "PASSES_SMS_ENABLED=false" in on.stderr
    assert off.returncode == 0, off.stderr
