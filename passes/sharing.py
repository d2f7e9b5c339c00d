"""What a guest receives: the QR code (SVG), the calendar file, the link by e-mail or text."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.core.language import for_recipient

from .models import WEEKDAYS, Pass, VisitorKey
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
    label = escape(_("QR code of the pass"))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="pass-qr" ', 1)
    return svg.split("?>", 1)[-1].strip()


def share_url(key: VisitorKey, request=None) -> str:
    path = reverse("passes:guest", kwargs={"token": key.share_token})
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def first_occurrence(p: Pass) -> dt.date | None:
    """The first day from ``start_date`` that is one of the pass's weekdays (RFC 5545: DTSTART is the
    first occurrence, so it must be a day the rule allows); None when no allowed day is in the range."""
    day = p.start_date
    while day <= p.end_date:
        if WEEKDAYS[day.weekday()] in p.weekdays:
            return day
        day += dt.timedelta(days=1)
    return None


def ics_for(key: VisitorKey, url: str) -> bytes:
    """A calendar file for the visit (RFC 5545, written by the icalendar library): times in the
    building's zone with its VTIMEZONE; a recurring pass is a weekly RRULE from its first allowed day."""
    p: Pass = key.pass_obj
    tz = ZoneInfo(p.building.time_zone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Building Portal//Visitor pass//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"pass-{p.pk}-key-{key.pk}@building-portal")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    # In the language of the request: the guest's browser's, as on the guest page the file comes from.
    event.add("summary", _("Visit: %(building)s") % {"building": p.building.name})
    event.add("location", p.building.address or p.building.name)
    event.add("description", _("Your pass (%(name)s): %(url)s") % {"name": p.name, "url": url})
    event.add("url", url)
    first = first_occurrence(p) if p.is_recurring and p.start_date and p.time_from and p.time_to else None
    if first is not None:
        event.add("dtstart", dt.datetime.combine(first, p.time_from, tzinfo=tz))
        event.add("dtend", dt.datetime.combine(first, p.time_to, tzinfo=tz))
        byday = [d[:2].upper() for d in p.weekdays]
        event.add("rrule", {"freq": "weekly", "byday": byday, "until": p.ends_at.astimezone(dt.UTC)})
    else:
        event.add("dtstart", p.starts_at.astimezone(tz))
        event.add("dtend", p.ends_at.astimezone(tz))
    cal.add_component(event)
    # One VTIMEZONE per TZID used, with the zone's transitions around the pass's dates (a short file).
    days = [p.starts_at.astimezone(tz).date(), p.ends_at.astimezone(tz).date(), *filter(None, [first, p.end_date])]
    cal.add_missing_timezones(
        first_date=min(days) - dt.timedelta(days=366), last_date=max(days) + dt.timedelta(days=366)
    )
    return cal.to_ical()


def inviter_name(p: Pass) -> str:
    """Who invited the guest, as the guest knows them: the resident's name (never their e-mail address),
    or the ButterflyMX tenant's a member of staff made the pass for."""
    tenant_name = f"{p.tenant.first_name} {p.tenant.last_name}".strip() if p.tenant is not None else ""
    if p.residency is None and tenant_name:
        return tenant_name
    for user in (p.residency.user if p.residency else None, p.created_by):
        if user is not None and user.get_full_name():
            return user.get_full_name()
    return _("A resident")


def zone_words(tz_name: str) -> str:
    """'America/New_York' -> 'New York time': the zone as a guest reads it."""
    return _("%(city)s time") % {"city": tz_name.rsplit("/", 1)[-1].replace("_", " ")}


# A recurring pass's validity: one whole sentence per case (every day or some days, all day or hours),
# so each language words each its own way.
_RECURRING = {
    (True, True): gettext_lazy("Valid every day, all day, from %(first)s to %(last)s."),
    (True, False): gettext_lazy("Valid every day, %(from)s–%(to)s %(zone)s, from %(first)s to %(last)s."),
    (False, True): gettext_lazy("Valid on %(days)s, all day, from %(first)s to %(last)s."),
    (False, False): gettext_lazy("Valid on %(days)s, %(from)s–%(to)s %(zone)s, from %(first)s to %(last)s."),
}


def validity_words(p: Pass) -> str:
    """When the pass opens the doors, in the building's zone, as a sentence: 'Valid from ... to ...', in
    the language being rendered, dates and times in its named formats (portal/formats)."""
    tz = p.building.tz
    zone = zone_words(p.building.time_zone)
    if p.is_recurring and p.start_date and p.end_date and p.time_from and p.time_to:
        return _RECURRING[(p.every_day, p.is_all_day)] % {
            "days": p.weekday_labels,
            "from": formats.time_format(p.time_from, "TIME_FORMAT"),
            "to": formats.time_format(p.time_to, "TIME_FORMAT"),
            "zone": zone,
            "first": formats.date_format(p.start_date, "DATE_FORMAT"),
            "last": formats.date_format(p.end_date, "DATE_FORMAT"),
        }
    start, end = p.starts_at.astimezone(tz), p.ends_at.astimezone(tz)
    if start.date() == end.date():
        text = _("Valid on %(day)s, %(from)s–%(to)s %(zone)s.") % {
            "day": formats.date_format(start, "DATE_FORMAT"),
            "from": formats.time_format(start, "TIME_FORMAT"),
            "to": formats.time_format(end, "TIME_FORMAT"),
            "zone": zone,
        }
    else:
        text = _("Valid from %(start)s to %(end)s %(zone)s.") % {
            "start": formats.date_format(start, "DATETIME_FORMAT"),
            "end": formats.date_format(end, "DATETIME_FORMAT"),
            "zone": zone,
        }
    if p.kind in (Pass.Kind.ONE_TIME, Pass.Kind.DELIVERY):
        text += " " + _("It opens the door for one visit.")
    return text


def _message_context(key: VisitorKey, url: str) -> dict:
    p = key.pass_obj
    return {
        "key": key,
        "pass": p,
        "url": url,
        "inviter": inviter_name(p),
        "building": p.building,
        "validity": validity_words(p),
    }


def send_by_email(key: VisitorKey, to: str, url: str, language: str | None = None) -> None:
    """The guest link by e-mail, written in ``language`` (the one the resident picked when sharing)."""
    with for_recipient(language=language):
        context = _message_context(key, url)
        body = render_to_string("passes/email/share.txt", context)
        invited = _("%(inviter)s invited you to %(building)s") % {
            "inviter": context["inviter"],
            "building": key.pass_obj.building.name,
        }
    # One line whatever the names hold: a header cannot carry a line break.
    send_mail(" ".join(invited.split()), body, None, [to])


def send_by_sms(key: VisitorKey, to: str, url: str, language: str | None = None) -> None:
    """The guest link by text message, in ``language`` (as :func:`send_by_email`)."""
    with for_recipient(language=language):
        body = render_to_string("passes/sms/share.txt", _message_context(key, url)).strip()
    send_sms(to, body)
