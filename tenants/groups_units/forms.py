"""Forms of a building's units and access-group members (managers)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import INT64_MAX, TENANTS, UNITS


class UnitForm(forms.Form):
    """A unit's label and floor, as ButterflyMX takes them (both required; the floor is a floor label)."""

    label = forms.CharField(
        label=_("Unit label"),
        max_length=64,
        help_text=_("As on the intercom's directory, e.g. 4B or C404."),
    )
    floor = forms.CharField(label=_("Floor"), max_length=32, help_text=_("The floor's label, e.g. 4."))

    def __init__(self, *args, prefix_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if prefix_id:  # one rename form per unit on the page: ids must not repeat
            self.auto_id = f"id_{prefix_id}_%s"


class MemberForm(forms.Form):
    """Put one tenant or unit in or out of an access group (its ButterflyMX id)."""

    kind = forms.ChoiceField(choices=[(TENANTS, _("Tenant")), (UNITS, _("Unit"))])
    action = forms.ChoiceField(choices=[("add", _("Add")), ("remove", _("Remove"))])
    member = forms.IntegerField(
        min_value=1,
        max_value=INT64_MAX,
        error_messages={"required": _("Choose a tenant or a unit."), "invalid": _("Choose a tenant or a unit.")},
    )
