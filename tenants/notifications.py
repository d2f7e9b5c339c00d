"""Telling people about their ButterflyMX link."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from .models import BmxLink


def notify_link_needs_relink(*, link: BmxLink) -> None:
    """E-mail the owner once when their link stops working (the banner on every page says it too)."""
    send_mail(
        subject="Your ButterflyMX link needs attention",
        message=(
            f"Hello {link.user.display_name},\n\n"
            "ButterflyMX no longer accepts the portal's link to your account "
            f"({link.get_kind_display()}). Sign in to the portal and link it again from your profile:\n"
            f"{settings.SITE_URL}/\n"
        ),
        from_email=None,
        recipient_list=[link.user.email],
        fail_silently=True,
    )
