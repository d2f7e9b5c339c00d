"""Google Wallet: a "save" link, ``https://pay.google.com/gp/v/save/<JWT>`` (Google Wallet API, "JWT").

The JWT is RS256-signed with the operator's service-account key (PyJWT) and carries the pass itself: a
generic object (the visitor's QR code, PIN, validity and building) and its generic class, so the first
save creates the class and the operator has nothing to create by hand in the Business Console. Google
verifies the signature against the service account's public keys; nothing is sent to Google by the
portal: the guest's browser opens the link.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from .config import GoogleCredentials
from .content import WalletPass

SAVE_URL = "https://pay.google.com/gp/v/save/"
BACKGROUND = "#0d6efd"


def _text(value: str) -> dict:
    """A localized string of the pass, in the language it is written in (the guest's: "fr-CA")."""
    return {
        "defaultValue": {
            "language": to_locale(get_language() or settings.LANGUAGE_CODE).replace("_", "-"),
            "value": value,
        }
    }


def class_id(creds: GoogleCredentials) -> str:
    return f"{creds.issuer_id}.{creds.class_suffix}"


def generic_object(wp: WalletPass, creds: GoogleCredentials) -> dict:
    barcode = {"type": "QR_CODE", "value": wp.qr}
    if wp.pin:
        barcode["alternateText"] = _("PIN %(pin)s") % {"pin": wp.pin}
    where = f"{wp.building}, {wp.address}" if wp.address else wp.building
    return {
        "id": f"{creds.issuer_id}.{wp.serial}",
        "classId": class_id(creds),
        "state": "ACTIVE",
        "cardTitle": _text(wp.building),
        "subheader": _text(_("Visitor")),
        "header": _text(wp.visitor),
        "barcode": barcode,
        "hexBackgroundColor": BACKGROUND,
        # RFC 3339 with the building's offset: Google shows and expires the pass by these.
        "validTimeInterval": {
            "start": {"date": wp.starts_at.isoformat(timespec="seconds")},
            "end": {"date": wp.ends_at.isoformat(timespec="seconds")},
        },
        "textModulesData": [
            {"id": "valid", "header": _("Valid"), "body": wp.validity},
            {"id": "building", "header": _("Building"), "body": where},
            {"id": "doors", "header": _("Doors"), "body": ", ".join(wp.doors) or _("Every door of your host")},
        ],
        "linksModuleData": {"uris": [{"id": "page", "uri": wp.url, "description": _("Your pass online")}]},
    }


def save_jwt(wp: WalletPass, creds: GoogleCredentials) -> str:
    site = urlsplit(settings.SITE_URL)
    claims = {
        "iss": creds.service_account_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()),
        "origins": [f"{site.scheme}://{site.netloc}"],
        "payload": {
            "genericClasses": [{"id": class_id(creds)}],
            "genericObjects": [generic_object(wp, creds)],
        },
    }
    return jwt.encode(claims, creds.key, algorithm="RS256")


def save_url(wp: WalletPass, creds: GoogleCredentials) -> str:
    return SAVE_URL + save_jwt(wp, creds)
