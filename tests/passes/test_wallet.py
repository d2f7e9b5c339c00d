"""Wallet passes (issue 19): a guest's pass as a signed .pkpass for Apple Wallet and as a signed save
link for Google Wallet, with throwaway certificates and keys made here (tests/passes/wallet_keys.py).

The .pkpass is checked as Wallet checks it: every file's SHA-1 in the manifest, the manifest's detached
PKCS#7 signature verified by OpenSSL against the stand-in WWDR CA (a tampered manifest fails the same
check), pass.json's barcode, dates and names. The Google JWT is verified with the public key by PyJWT.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from django.core.checks import run_checks
from django.utils import timezone

from passes.sharing import qr_payload
from passes.wallet.content import serial_of
from tests.passes.conftest import make_pass
from tests.passes.test_guest_page import fresh_minute
from tests.passes.wallet_keys import ISSUER_ID, PASS_TYPE_ID, SERVICE_ACCOUNT, TEAM_ID, wallet_keys

NY = ZoneInfo("America/New_York")
START = dt.datetime(2099, 3, 10, 14, 0, tzinfo=dt.UTC)  # 10:00 in New York
END = START + dt.timedelta(hours=3)


@pytest.fixture
def apple(settings):
    for name, value in wallet_keys().apple_settings().items():
        setattr(settings, name, value)
    return wallet_keys()


@pytest.fixture
def google(settings):
    for name, value in wallet_keys().google_settings().items():
        setattr(settings, name, value)
    return wallet_keys()


@pytest.fixture
def visit(world):
    return make_pass(world.alice.residencies.get(), name="Visit", starts=START, ends=END)


def urls(p) -> tuple[str, str, str]:
    token = p.keys.get().share_token
    return f"/p/{token}/", f"/p/{token}/visitor-pass.pkpass", f"/p/{token}/google-wallet/"


def bundle(response) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        return {name: z.read(name) for name in z.namelist()}


def openssl_verifies(tmp_path, signature: bytes, content: bytes, ca_pem: str) -> subprocess.CompletedProcess:
    openssl = shutil.which("openssl")
    if openssl is None:  # `make test` installs it; under CI=true the check must run
        if os.environ.get("CI") == "true":
            pytest.fail("the openssl command is missing; `make test` installs Debian's openssl package")
        pytest.skip("the openssl command is not installed (apt-get install openssl)")
    (tmp_path / "signature.der").write_bytes(signature)
    (tmp_path / "manifest.json").write_bytes(content)
    (tmp_path / "ca.pem").write_text(ca_pem)
    return subprocess.run(
        [openssl, "smime", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "signature.der")]
        + ["-content", str(tmp_path / "manifest.json"), "-CAfile", str(tmp_path / "ca.pem"), "-purpose", "any"]
        + ["-out", str(tmp_path / "verified.out")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- Off without configuration -----------------------------------------------------------------


def test_without_wallet_settings_no_button_is_shown_and_the_downloads_are_404(world, visit, client_for):
    page, pkpass, google_url = urls(visit)
    client = client_for(None)

    html = client.get(page).content.decode()
    assert "Apple Wallet" not in html and "Google Wallet" not in html
    assert client.get(pkpass).status_code == 404
    assert client.get(google_url).status_code == 404
    detail = client_for(world.alice).get(f"/passes/{visit.pk}/").content.decode()
    assert "data-wallet-buttons" not in detail and "visitor-pass.pkpass" not in detail


def test_half_configured_wallets_are_off_and_check_names_what_is_missing(world, visit, client, settings):
    settings.WALLET_APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.WALLET_GOOGLE_ISSUER_ID = ISSUER_ID

    messages = {m.id: m.msg for m in run_checks() if m.id.startswith("passes.W")}

    assert set(messages) == {"passes.W001", "passes.W002"}
    assert "WALLET_APPLE_CERT" in messages["passes.W001"] and "WALLET_APPLE_TEAM_ID" in messages["passes.W001"]
    assert "WALLET_GOOGLE_SERVICE_ACCOUNT_KEY" in messages["passes.W002"]
    page, pkpass, google_url = urls(visit)
    assert "Apple Wallet" not in client.get(page).content.decode()
    assert client.get(pkpass).status_code == 404 and client.get(google_url).status_code == 404


def test_unreadable_or_mismatched_keys_are_off_with_a_warning_naming_the_setting(apple, google, settings, tmp_path):
    settings.WALLET_APPLE_KEY = apple.pem_key(apple.google_key)  # a key, but not the certificate's
    settings.WALLET_GOOGLE_SERVICE_ACCOUNT_KEY = str(tmp_path / "no-such-key.json")

    messages = {m.id: m.msg for m in run_checks() if m.id.startswith("passes.W")}

    assert set(messages) == {"passes.W003", "passes.W004"}
    assert "WALLET_APPLE_KEY is not the key of WALLET_APPLE_CERT" in messages["passes.W003"]
    assert "WALLET_GOOGLE_SERVICE_ACCOUNT_KEY names a file that cannot be read" in messages["passes.W004"]
    assert "-----BEGIN" not in messages["passes.W003"]  # a key is never echoed


def test_fully_configured_wallets_pass_the_check(apple, google):
    assert [m.id for m in run_checks() if m.id.startswith("passes.W")] == []


# --- Apple Wallet ------------------------------------------------------------------------------


def test_the_pkpass_manifest_hashes_every_file_and_its_signature_verifies_against_the_ca(
    apple, visit, client, tmp_path
):
    response = client.get(urls(visit)[1])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    assert response["Content-Disposition"] == 'attachment; filename="visitor-pass.pkpass"'
    assert "no-store" in response["Cache-Control"]
    files = bundle(response)
    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    assert {"pass.json", "icon.png", "icon@2x.png", "icon@3x.png"} <= set(manifest)
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name], usedforsecurity=False).hexdigest() == digest, name
    assert all(files[n].startswith(b"\x89PNG\r\n\x1a\n") for n in ("icon.png", "icon@2x.png", "icon@3x.png"))

    ca_pem = apple.pem_cert(apple.ca_cert)
    verified = openssl_verifies(tmp_path, files["signature"], files["manifest.json"], ca_pem)
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
    # The same check refuses a manifest changed after signing: the signature covers these bytes.
    tampered = openssl_verifies(
        tmp_path, files["signature"], files["manifest.json"].replace(b"}", b', "x": "0"}'), ca_pem
    )
    assert tampered.returncode != 0
    # It carries the pass certificate and the WWDR intermediate, so a phone can build the chain.
    carried = pkcs7.load_der_pkcs7_certificates(files["signature"])
    assert set(carried) == {apple.pass_cert, apple.ca_cert}
    apple.pass_cert.verify_directly_issued_by(apple.ca_cert)


def test_pass_json_has_the_guests_qr_code_dates_building_and_name(apple, visit, client):
    key = visit.keys.get()

    pass_json = json.loads(bundle(client.get(urls(visit)[1]))["pass.json"])

    assert pass_json["formatVersion"] == 1
    assert pass_json["passTypeIdentifier"] == PASS_TYPE_ID and pass_json["teamIdentifier"] == TEAM_ID
    # The QR code holds what the guest page's QR code holds, and what ButterflyMX's reader expects.
    assert qr_payload(key) == "abc123token"
    assert pass_json["barcodes"] == [
        {
            "format": "PKBarcodeFormatQR",
            "message": "abc123token",
            "messageEncoding": "iso-8859-1",
            "altText": "PIN 402758",
        }
    ]
    assert pass_json["barcode"] == pass_json["barcodes"][0]
    # Valid dates in the building's zone (10:00-13:00 New York time).
    assert pass_json["relevantDate"] == "2099-03-10T10:00:00-04:00"
    assert pass_json["expirationDate"] == "2099-03-10T13:00:00-04:00"
    assert dt.datetime.fromisoformat(pass_json["relevantDate"]) == START
    assert dt.datetime.fromisoformat(pass_json["expirationDate"]) == END
    assert pass_json["logoText"] == "Building A" and "Building A" in pass_json["description"]
    fields = pass_json["generic"]
    assert fields["primaryFields"] == [{"key": "visitor", "label": "Visitor", "value": "Visit visitor"}]
    assert [f["value"] for f in fields["secondaryFields"]] == [pass_json["relevantDate"], pass_json["expirationDate"]]
    backs = {f["key"]: f["value"] for f in fields["backFields"]}
    assert backs["doors"] == "A Front Door"
    assert backs["page"] == f"http://testserver/p/{key.share_token}/"
    assert pass_json["sharingProhibited"] is True
    # The serial says nothing about other passes: no row ids, the same for the same key.
    assert pass_json["serialNumber"] == serial_of(key)
    assert re.fullmatch(r"[0-9a-f]{32}", serial_of(key)) and serial_of(key) not in key.share_token_hash
    again = json.loads(bundle(client.get(urls(visit)[1]))["pass.json"])
    assert again["serialNumber"] == pass_json["serialNumber"]
    # Nothing about the host beyond the building.
    assert "Alice" not in json.dumps(pass_json) and "alice@" not in json.dumps(pass_json)


def test_certificates_and_keys_may_be_files_and_the_key_may_have_a_password(settings, visit, client, tmp_path):
    keys = wallet_keys()
    (tmp_path / "pass.pem").write_text(keys.pem_cert(keys.pass_cert))
    (tmp_path / "wwdr.pem").write_text(keys.pem_cert(keys.ca_cert))
    (tmp_path / "pass.key").write_bytes(
        keys.pass_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"wallet-secret"),
        )
    )
    settings.WALLET_APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.WALLET_APPLE_TEAM_ID = TEAM_ID
    settings.WALLET_APPLE_CERT = str(tmp_path / "pass.pem")
    settings.WALLET_APPLE_WWDR_CERT = str(tmp_path / "wwdr.pem")
    settings.WALLET_APPLE_KEY = str(tmp_path / "pass.key")
    settings.WALLET_APPLE_KEY_PASSWORD = "wallet-secret"

    response = client.get(urls(visit)[1])

    assert response.status_code == 200
    assert set(pkcs7.load_der_pkcs7_certificates(bundle(response)["signature"])) == {keys.pass_cert, keys.ca_cert}
    settings.WALLET_APPLE_KEY_PASSWORD = "wrong"
    assert client.get(urls(visit)[1]).status_code == 404
    assert [m.id for m in run_checks() if m.id.startswith("passes.W")] == ["passes.W003"]


# --- Google Wallet -----------------------------------------------------------------------------


def test_the_google_save_link_is_a_jwt_that_verifies_with_the_public_key_and_carries_the_pass(
    google, visit, client, settings
):
    settings.SITE_URL = "https://portal.example.test/"
    key = visit.keys.get()

    response = client.get(urls(visit)[2])

    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc) == ("https", "pay.google.com")
    assert location.path.startswith("/gp/v/save/")
    token = location.path.removeprefix("/gp/v/save/")
    claims = jwt.decode(token, google.google_key.public_key(), algorithms=["RS256"], audience="google")
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["iss"] == SERVICE_ACCOUNT and claims["typ"] == "savetowallet"
    assert claims["origins"] == ["https://portal.example.test"]
    assert claims["aud"] == "google" and abs(claims["iat"] - time.time()) < 3600
    (cls,) = claims["payload"]["genericClasses"]
    (obj,) = claims["payload"]["genericObjects"]
    assert cls["id"] == f"{ISSUER_ID}.visitor-pass" == obj["classId"]
    # The object's id: the issuer's, then the key's serial (from its link hash, not a row id).
    assert obj["id"] == f"{ISSUER_ID}.{serial_of(key)}"
    assert obj["state"] == "ACTIVE"
    assert obj["barcode"] == {"type": "QR_CODE", "value": "abc123token", "alternateText": "PIN 402758"}
    assert obj["validTimeInterval"] == {
        "start": {"date": "2099-03-10T10:00:00-04:00"},
        "end": {"date": "2099-03-10T13:00:00-04:00"},
    }
    assert obj["cardTitle"]["defaultValue"]["value"] == "Building A"
    assert obj["header"]["defaultValue"]["value"] == "Visit visitor"
    assert "Alice" not in json.dumps(claims)
    # Signed by that key only: another key's public half refuses it.
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, stranger, algorithms=["RS256"], audience="google")


def test_a_service_account_json_key_file_works_as_google_hands_it_out(google, settings, visit, client, tmp_path):
    key_file = tmp_path / "service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": SERVICE_ACCOUNT,
                "private_key": google.pem_key(google.google_key),
            }
        )
    )
    settings.WALLET_GOOGLE_SERVICE_ACCOUNT_KEY = str(key_file)

    token = urlsplit(client.get(urls(visit)[2])["Location"]).path.removeprefix("/gp/v/save/")

    assert jwt.decode(token, google.google_key.public_key(), algorithms=["RS256"], audience="google")["iss"]


# --- Only by the link, only while the pass opens a door --------------------------------------


def test_with_wallets_configured_the_guest_page_and_the_hosts_page_show_both_buttons(
    apple, google, world, visit, client_for
):
    page, pkpass, google_url = urls(visit)

    html = client_for(None).get(page).content.decode()
    assert "Add to Apple Wallet" in html and f'href="{pkpass}"' in html
    assert "Add to Google Wallet" in html and f'href="{google_url}"' in html
    detail = client_for(world.alice).get(f"/passes/{visit.pk}/").content.decode()
    assert "data-wallet-buttons" in detail and f'href="{pkpass}"' in detail and f'href="{google_url}"' in detail
    # Bob, of another unit, sees neither the pass nor its buttons.
    assert client_for(world.bob).get(f"/passes/{visit.pk}/").status_code == 404


@pytest.mark.parametrize("what", ["revoked", "expired", "used"])
def test_no_wallet_pass_for_a_pass_that_no_longer_opens_a_door(apple, google, world, client, what):
    now = timezone.now()
    residency = world.alice.residencies.get()
    if what == "revoked":
        p = make_pass(residency, status="revoked")
    elif what == "expired":
        p = make_pass(residency, starts=now - dt.timedelta(days=2), ends=now - dt.timedelta(days=1))
    else:
        p = make_pass(residency, kind="one_time", first_used_at=now - dt.timedelta(hours=1))
    page, pkpass, google_url = urls(p)

    assert "Add to Apple Wallet" not in client.get(page).content.decode()
    assert client.get(pkpass).status_code == 404
    assert client.get(google_url).status_code == 404


def test_an_upcoming_pass_can_be_added_and_an_unknown_link_cannot(apple, google, visit, client):
    assert visit.state() == "upcoming"
    assert client.get(urls(visit)[1]).status_code == 200
    assert client.get(urls(visit)[2]).status_code == 302
    assert client.get("/p/not-a-real-token-at-all/visitor-pass.pkpass").status_code == 404
    assert client.get("/p/not-a-real-token-at-all/google-wallet/").status_code == 404


def test_wallet_downloads_count_against_the_guest_limits(apple, visit, client, settings):
    fresh_minute()  # the limits count fixed one-minute windows: all three calls in one
    settings.PASSES_GUEST_RATE_PER_MINUTE = 2
    pkpass = urls(visit)[1]

    statuses = [client.get(pkpass).status_code for _ in range(3)]

    assert statuses[:2] == [200, 200] and statuses[2] == 429
