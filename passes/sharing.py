"""What a guest receives: the QR code (SVG), the calendar file, the link by e-mail or text."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Pass, VisitorKey
from .sms import send_sms


def qr_payload(key: VisitorKey) -> str:
    """What the door's reader expects in the QR code: the key's token.

    ButterflyMX serves each key's QR image at ``qr_code_url`` and its public page at
    ``instructions_url`` = ``.../public/virtual_keys/{id}/{token}`` (the documented shape); the token is
    the last segment of the latter, or the file name of the former.
    """
    path = urlsplit(key.instructions_url or "").path.rstrip("/")
    if path:
        return path.rsplit("/", 1)[-1]
    name = urlsplit(key.qr_code_url or "").path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


def qr_svg(data: str) -> str:
    """An inline SVG (path form, no Pillow) with a title for screen readers."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    img = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    svg = img.to_string(encoding="unicode")
    # Scalable and labelled: the guest page sizes it with CSS.
    svg = svg.replace("<svg ", '<svg role="img" aria-label="QR code of the pass" class="pass-qr" ', 1)
    return svg.split("?>", 1)[-1].strip()


def share_url(key: VisitorKey, request=None) -> str:
    path = reverse("passes:guest", kwargs={"token": key.share_token})
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets are folded with CRLF + space."""
    out, raw = [], line.encode()
    while len(raw) > 75:
        cut = 75 if not out else 74
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(raw[:cut].decode())
        raw = raw[cut:]
    out.append(raw.decode())
    return "\r\n ".join(out)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_for(key: VisitorKey, url: str) -> str:
    """A calendar file for the visit. Recurring passes become a weekly RRULE in the building's zone."""
    p: Pass = key.pass_obj
    tz = p.building.time_zone
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Building Portal//Visitor pass//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:pass-{p.pk}-key-{key.pk}@building-portal",
        f"DTSTAMP:{_utc(dt.datetime.now(dt.UTC))}",
        f"SUMMARY:{_ics_escape(f'Visit: {p.building.name}')}",
        f"LOCATION:{_ics_escape(p.building.address or p.building.name)}",
        f"DESCRIPTION:{_ics_escape(f'Your pass ({p.name}): {url}')}",
        f"URL:{url}",
    ]
    if p.is_recurring and p.start_date and p.time_from:
        first = dt.datetime.combine(p.start_date, p.time_from)
        last = dt.datetime.combine(p.start_date, p.time_to)
        days = ",".join(d[:2].upper() for d in p.weekdays)
        until = _utc(p.ends_at)
        lines += [
            f"DTSTART;TZID={tz}:{first.strftime('%Y%m%dT%H%M%S')}",
            f"DTEND;TZID={tz}:{last.strftime('%Y%m%dT%H%M%S')}",
            f"RRULE:FREQ=WEEKLY;BYDAY={days};UNTIL={until}",
        ]
    else:
        lines += [f"DTSTART:{_utc(p.starts_at)}", f"DTEND:{_utc(p.ends_at)}"]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


def send_by_email(key: VisitorKey, to: str, url: str) -> None:
    context = {"key": key, "pass": key.pass_obj, "url": url}
    body = render_to_string("passes/email/share.txt", context)
    send_mail(f"Your visitor pass for {key.pass_obj.building.name}", body, None, [to])


def send_by_sms(key: VisitorKey, to: str, url: str) -> None:
    send_sms(to, f"Your visitor pass for {key.pass_obj.building.name}: {url}")
