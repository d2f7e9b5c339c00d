"""Issue 19, "Wallet passes", in Chromium at 390 px under the real CSP, with axe: with the operator's
(throwaway) Apple and Google credentials set, a guest opens the link of a pass made at the sandbox, sees
"Add to Apple Wallet" and "Add to Google Wallet", and downloads the .pkpass through the browser; its
QR code is the one ButterflyMX holds for that visitor (read from the sandbox's state), and the Google
button leads to Google's save link.

Screenshots: var/screenshots/journey-wallet19-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import io
import json
import zipfile
from zoneinfo import ZoneInfo

import pytest

from passes import services
from tests.e2e.journeys import PHONE, Journey
from tests.e2e.test_pass_extend import synced_bmx_world
from tests.passes.helpers import pass_input, window_for_kind
from tests.passes.wallet_keys import wallet_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
NY = ZoneInfo("America/New_York")


def test_a_guest_on_a_phone_adds_the_pass_to_apple_wallet_and_sees_google_wallet(
    live_server, sandbox, chromium, settings
):
    keys = wallet_keys()
    for name, value in {**keys.apple_settings(), **keys.google_settings()}.items():
        setattr(settings, name, value)
    bmx = synced_bmx_world()
    walker = services.pass_create(
        actor=bmx.rosa,
        residency=bmx.rosa_residency,
        data=pass_input("custom", tz=NY, name="Dog walker", visitors=["Sam"], **window_for_kind("custom", NY)),
    )
    key = walker.keys.get()
    (at_bmx,) = [v for v in sandbox.state()["virtual_keys"] if v["id"] == key.bmx_virtual_key_id]
    j = Journey(chromium, "wallet19")
    page = j.page
    try:
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}/p/{key.share_token}/")
        apple = page.get_by_role("link", name="Add to Apple Wallet")
        google = page.get_by_role("link", name="Add to Google Wallet")
        assert apple.is_visible() and google.is_visible()
        # Both fit the phone's width, beside the calendar button or below it.
        for button in (apple, google):
            box = button.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        j.step("01-guest-page")

        page.set_viewport_size(PHONE)
        with page.expect_download() as downloading:
            apple.click()
        download = downloading.value
        assert download.suggested_filename == "visitor-pass.pkpass"
        with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as bundle:
            names = set(bundle.namelist())
            pass_json = json.loads(bundle.read("pass.json"))
        assert {"pass.json", "manifest.json", "signature", "icon.png"} <= names
        # The QR code in the wallet is the one ButterflyMX holds for this visitor.
        assert pass_json["barcodes"][0]["message"] == at_bmx["qr"]
        assert pass_json["generic"]["primaryFields"][0]["value"] == "Sam"
        assert pass_json["logoText"] == bmx.crimson.name

        # The Google button leads, through the portal, to Google's save link (not followed: no network).
        answer = page.request.get(live_server.url + google.get_attribute("href"), max_redirects=0)
        assert answer.status == 302
        assert answer.headers["location"].startswith("https://pay.google.com/gp/v/save/")
        j.assert_clean()
    finally:
        j.close()
