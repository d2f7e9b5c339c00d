"""Apple Wallet: a ``.pkpass``, the zip Wallet opens (Apple's "Wallet Developer Guide", "Building a Pass").

The bundle is ``pass.json``, the icons, ``manifest.json`` (each other file's SHA-1, hex) and
``signature``: a detached PKCS#7 (CMS SignedData, DER) over the manifest's bytes, made with the
operator's pass type certificate and its key, carrying Apple's WWDR intermediate so a phone can chain it
to Apple's root. cryptography's PKCS7SignatureBuilder signs (OpenSSL underneath; it adds the signing
time Apple checks).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from django.utils.translation import gettext as _

from .config import AppleCredentials
from .content import WalletPass
from .icons import icon_files

CONTENT_TYPE = "application/vnd.apple.pkpass"
FILENAME = "visitor-pass.pkpass"
BACKGROUND = "rgb(13,110,253)"  # the portal's blue, as the icon
FOREGROUND = "rgb(255,255,255)"


def _when(value) -> str:
    """W3C date and time with the building's offset, as pass.json wants dates."""
    return value.isoformat(timespec="seconds")


def _date_field(key: str, label: str, value) -> dict:
    # ignoresTimeZone: shown as the building's clock, like the guest page, wherever the phone is.
    return {
        "key": key,
        "label": label,
        "value": _when(value),
        "dateStyle": "PKDateStyleMedium",
        "timeStyle": "PKDateStyleShort",
        "ignoresTimeZone": True,
    }


def pass_json(wp: WalletPass, creds: AppleCredentials) -> dict:
    barcode = {"format": "PKBarcodeFormatQR", "message": wp.qr, "messageEncoding": "iso-8859-1"}
    if wp.pin:
        barcode["altText"] = _("PIN %(pin)s") % {"pin": wp.pin}
    back = [
        {"key": "validity", "label": _("Valid"), "value": wp.validity},
        {"key": "doors", "label": _("Doors"), "value": ", ".join(wp.doors) or _("Every door of your host")},
        {
            "key": "how",
            "label": _("How to enter"),
            "value": _("Hold the QR code up to the intercom's camera, or type the PIN on its keypad."),
        },
        {"key": "page", "label": _("Your pass online"), "value": wp.url},
    ]
    if wp.address:
        back.insert(0, {"key": "address", "label": _("Address"), "value": wp.address})
    return {
        "formatVersion": 1,
        "passTypeIdentifier": creds.pass_type_id,
        "teamIdentifier": creds.team_id,
        "serialNumber": wp.serial,
        "organizationName": creds.organization,
        "description": _("Visitor pass for %(building)s") % {"building": wp.building},
        "logoText": wp.building,
        "backgroundColor": BACKGROUND,
        "foregroundColor": FOREGROUND,
        "labelColor": FOREGROUND,
        "sharingProhibited": True,  # the QR code opens doors: one visitor's, not to be passed on
        "relevantDate": _when(wp.starts_at),
        "relevantDates": [{"startDate": _when(wp.starts_at), "endDate": _when(wp.ends_at)}],
        "expirationDate": _when(wp.ends_at),
        "barcodes": [barcode],
        "barcode": barcode,  # iOS 8 and older read only this one
        "generic": {
            "headerFields": [{"key": "kind", "label": _("Visitor pass"), "value": wp.pass_name}],
            "primaryFields": [{"key": "visitor", "label": _("Visitor"), "value": wp.visitor}],
            "secondaryFields": [
                _date_field("starts", _("From"), wp.starts_at),
                _date_field("ends", _("Until"), wp.ends_at),
            ],
            "auxiliaryFields": [{"key": "building", "label": _("Building"), "value": wp.building}]
            + ([{"key": "pin", "label": _("PIN"), "value": wp.pin}] if wp.pin else []),
            "backFields": back,
        },
    }


def manifest(files: dict[str, bytes]) -> bytes:
    # SHA-1 is what Apple's format names; the signature over this manifest is SHA-256.
    digests = {name: hashlib.sha1(data, usedforsecurity=False).hexdigest() for name, data in sorted(files.items())}
    return json.dumps(digests).encode()


def sign(data: bytes, creds: AppleCredentials) -> bytes:
    """A detached PKCS#7 signature of ``data`` (DER), with the WWDR intermediate in its certificates."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(creds.certificate, creds.key, hashes.SHA256())
        .add_certificate(creds.wwdr)
        .sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )


def pkpass(wp: WalletPass, creds: AppleCredentials) -> bytes:
    files = {"pass.json": json.dumps(pass_json(wp, creds), ensure_ascii=False).encode(), **icon_files()}
    files["manifest.json"] = manifest(files)
    files["signature"] = sign(files["manifest.json"], creds)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return out.getvalue()
