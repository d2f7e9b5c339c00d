"""A notice by e-mail: text and HTML, links into the portal and nothing more.

The snapshot is never attached nor embedded: it is a link into the portal, which checks the reader's
scope when they open it (a forwarded e-mail shows nobody the visitor's face). Sent from a Celery task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from portal.core.language import for_recipient

logger = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path) if path else ""


def notice_email_send(*, user_ids: Iterable[int], notice: dict) -> int:
    """E-mail ``notice`` (a :meth:`Notice.as_payload`) to each active person with an address; returns how many."""
    sent = 0
    for user in get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).exclude(email=""):
        context = {
            "user": user,
            "notice": notice,
            "link": _absolute(notice.get("url") or ""),
            "snapshot_link": _absolute(notice.get("image_url") or ""),
            "settings_link": _absolute(reverse("notifications:settings")),
        }
        # The notice's own texts were written in this person's language (portal.notifications.services.notify);
        # the e-mail's frame around them is, here.
        with for_recipient(user):
            subject = " ".join(str(notice.get("title") or gettext("Notification")).split())[:150]
            text = render_to_string("notifications/email/notice.txt", context)
            html = render_to_string("notifications/email/notice.html", context)
        sent += send_mail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            message=text,
            from_email=None,
            recipient_list=[user.email],
            html_message=html,
            fail_silently=False,
        )
    return sent
