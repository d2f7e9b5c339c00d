"""Telling people about their ButterflyMX link."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from portal.core.language import for_recipient

from .models import BmxLink


def notify_link_needs_relink(*, link: BmxLink) -> None:
    """E-mail the owner once when their link stops working (the banner on every page says it too)."""
    with for_recipient(link.user):
        send_mail(
            subject=_("Your ButterflyMX link needs attention"),
            message=_(
                "Hello %(name)s,\n\n"
                "ButterflyMX no longer accepts the portal's link to your account (%(kind)s). Sign in to the portal "
                "and link it again from your profile:\n%(url)s/\n"
            )
            % {"name": link.user.display_name, "kind": link.get_kind_display(), "url": settings.SITE_URL},
            from_email=None,
            recipient_list=[link.user.email],
            fail_silently=True,
        )
