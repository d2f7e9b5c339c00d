"""The notification settings form and the subscription a browser sends."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .categories import CHANNELS, EMAIL, PUSH, Category
from .models import NotificationPreference


def _name(category: Category, what: str) -> str:
    return f"{category.key.replace('.', '_')}__{what}"


class PreferencesForm(forms.Form):
    """Channels per category (only the categories of the person's roles), and quiet hours."""

    quiet_enabled = forms.BooleanField(label=_("Turn on quiet hours"), required=False)
    # Needed only with quiet hours on (clean()): marked required, they read as mandatory on a page where
    # quiet hours are an option; left empty with quiet hours off, the saved times stay.
    quiet_start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args, categories: tuple[Category, ...], preference: NotificationPreference, **kwargs):
        initial = {
            "quiet_enabled": preference.quiet_enabled,
            "quiet_start": preference.quiet_start,
            "quiet_end": preference.quiet_end,
        }
        allowed = set(preference.quiet_allowed or [])
        for category in categories:
            chosen = preference.channels_for(category.key)
            for channel in CHANNELS:
                initial[_name(category, channel)] = channel in chosen
            initial[_name(category, "quiet")] = category.key in allowed
        super().__init__(*args, initial=initial, **kwargs)
        self.categories = categories
        self.preference = preference
        for category in categories:
            kind = {"kind": category.label}
            self.fields[_name(category, PUSH)] = forms.BooleanField(
                label=gettext("%(kind)s by push") % kind, required=False
            )
            self.fields[_name(category, EMAIL)] = forms.BooleanField(
                label=gettext("%(kind)s by e-mail") % kind, required=False
            )
            self.fields[_name(category, "quiet")] = forms.BooleanField(
                label=gettext("%(kind)s during quiet hours") % kind, required=False
            )

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        for name in ("quiet_start", "quiet_end"):
            if cleaned.get(name) is not None or name in self.errors:
                continue
            if cleaned.get("quiet_enabled"):
                self.add_error(name, gettext("Give a time, or turn quiet hours off."))
            else:
                cleaned[name] = getattr(self.preference, name)
        return cleaned

    def rows(self) -> list[dict]:
        """One row per category for the template: its label, help and its three checkboxes."""
        return [
            {
                "category": category,
                "push": self[_name(category, PUSH)],
                "email": self[_name(category, EMAIL)],
                "quiet": self[_name(category, "quiet")],
            }
            for category in self.categories
        ]

    def channels(self) -> dict[str, list[str]]:
        data = self.cleaned_data
        return {
            category.key: [channel for channel in CHANNELS if data.get(_name(category, channel))]
            for category in self.categories
        }

    def quiet_allowed(self, previous: list[str]) -> list[str]:
        """Categories let through quiet hours: this form's choices, plus those of categories it did not show."""
        shown = {category.key for category in self.categories}
        kept = [key for key in previous if key not in shown]
        return kept + [c.key for c in self.categories if self.cleaned_data.get(_name(c, "quiet"))]


class SubscriptionForm(forms.Form):
    """``PushSubscription.toJSON()`` of a browser, flattened: the endpoint and its two keys."""

    endpoint = forms.URLField(max_length=2000, assume_scheme="https")
    p256dh = forms.RegexField(regex=r"^[A-Za-z0-9_-]{80,100}={0,2}$", max_length=100)  # a 65-byte P-256 point
    auth = forms.RegexField(regex=r"^[A-Za-z0-9_-]{16,32}={0,2}$", max_length=32)  # a 16-byte secret
