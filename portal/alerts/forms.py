"""The Alerts page's forms: a resident's arrival default, a manager's alert choices."""

from __future__ import annotations

from django import forms

from .categories import MANAGER_ALERTS

CHECK = {"class": "form-check-input"}


class ArrivalDefaultForm(forms.Form):
    push = forms.BooleanField(
        required=False, label="By push: on this browser and my other devices", widget=forms.CheckboxInput(CHECK)
    )
    email = forms.BooleanField(required=False, label="By e-mail", widget=forms.CheckboxInput(CHECK))


def choice_field_name(building_id: int, category: str) -> str:
    return f"alert-{building_id}-{category}"


def alert_choices_from(data, buildings) -> dict[tuple[int, str], bool]:
    """``{(building id, category): on}`` from the posted check boxes, for the given buildings only (a
    box for another building is ignored, never stored)."""
    return {
        (b.pk, category): data.get(choice_field_name(b.pk, category)) == "on"
        for b in buildings
        for category, *_rest in MANAGER_ALERTS
    }
