from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core.crypto import EncryptedTextField

from .categories import DEFAULT_QUIET_ALLOWED, default_channels


class PushSubscription(models.Model):
    """One browser on one device that opted in to Web Push for its signed-in person.

    ``endpoint`` is the push service's URL for this browser (unique: a browser re-subscribing updates its
    row, and a browser handed to another person moves with the sign-in). ``p256dh`` and ``auth`` are the
    browser's keys that every payload is encrypted to; with the endpoint they let anyone write to the
    device, so they are encrypted at rest like ButterflyMX tokens. A push service answering 404 or 410
    means the browser dropped the subscription: the row is deleted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions", verbose_name=_("user")
    )
    endpoint = models.URLField(max_length=2000, unique=True, verbose_name=_("endpoint"))
    p256dh = EncryptedTextField(verbose_name=_("p256dh"))
    auth = EncryptedTextField(verbose_name=_("auth"))
    label = models.CharField(
        max_length=120,
        blank=True,
        help_text=_("Which browser and device, for the person's list."),
        verbose_name=_("label"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_success_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last success at"))
    last_failure_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last failure at"))
    last_failure = models.CharField(max_length=200, blank=True, verbose_name=_("last failure"))

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        if self.label:
            return gettext("%(label)s of user %(user)s") % {"label": self.label, "user": self.user_id}
        return gettext("browser of user %(user)s") % {"user": self.user_id}

    def subscription_info(self) -> dict:
        """The shape pywebpush (and the browser's ``PushSubscription.toJSON()``) use."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def _default_channels() -> dict:
    return {}


def _default_quiet_allowed() -> list:
    return list(DEFAULT_QUIET_ALLOWED)


class NotificationPreference(models.Model):
    """A person's choices: channels per category, quiet hours, a snooze. No row: the defaults.

    ``channels`` maps a category to the channels chosen for it (``{"call": ["push"], "arrival": []}``); a
    category not in it keeps its default (portal/notifications/categories.py), so a category added later
    reaches people without a data migration. Quiet hours are wall-clock times in the person's building's
    zone and may wrap midnight (22:00 to 07:00).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    channels = models.JSONField(default=_default_channels, blank=True, verbose_name=_("channels"))
    quiet_enabled = models.BooleanField(default=False, verbose_name=_("quiet enabled"))
    quiet_start = models.TimeField(default=time(22, 0), verbose_name=_("quiet start"))
    quiet_end = models.TimeField(default=time(7, 0), verbose_name=_("quiet end"))
    quiet_allowed = models.JSONField(default=_default_quiet_allowed, blank=True, verbose_name=_("quiet allowed"))
    snoozed_until = models.DateTimeField(null=True, blank=True, verbose_name=_("snoozed until"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return gettext("notification preferences of user %(user)s") % {"user": self.user_id}

    def channels_for(self, category: str) -> set[str]:
        chosen = (self.channels or {}).get(category)
        return set(chosen) if isinstance(chosen, list) else default_channels(category)


class SpentActionToken(models.Model):
    """A notification action's one-use token, once used (portal/notifications/action_tokens.py).

    The unique nonce makes "use" an INSERT that only one request can win; rows older than the tokens'
    lifetime mean nothing any more and are pruned by beat.
    """

    nonce = models.CharField(max_length=32, unique=True, verbose_name=_("nonce"))
    spent_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("spent at"))

    class Meta:
        verbose_name = _("spent action token")
        verbose_name_plural = _("spent action tokens")

    def __str__(self) -> str:
        return gettext("spent action token %(nonce)s…") % {"nonce": self.nonce[:6]}
