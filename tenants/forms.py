"""Forms of the tenants app: the profile, the PIN, which link to remove, and a building's usage limits."""

from __future__ import annotations

from django import forms

from .models import BmxLink
from .pin_rules import REFUSED


class ProfileForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    phone = forms.RegexField(
        label="Phone",
        regex=r"^\+?[0-9 ().-]{7,20}$",
        required=False,
        error_messages={"invalid": "Enter a phone number of digits, spaces and + ( ) - only."},
        help_text="Kept in the portal only; ButterflyMX's API does not accept a phone number.",
    )
    push = forms.BooleanField(label="Also update my name at ButterflyMX", required=False, initial=True)


class PinForm(forms.Form):
    code = forms.CharField(
        label="New PIN",
        max_length=6,
        required=False,
        error_messages={"max_length": REFUSED},  # the same words as every other refused code
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}),
        help_text="6 digits, not a sequence (123456) or a repeated pattern (111111, 121212). Leave empty and "
        "choose Generate for a strong one.",
    )
    generate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("generate") and not data.get("code"):
            self.add_error("code", "Enter a PIN, or choose Generate.")
        return data


class BuildingLimitsForm(forms.Form):
    """A manager's hourly limits for one building; an empty field goes back to the portal's default."""

    MAX = 100_000

    def __init__(self, *args, usage=(), **kwargs):
        super().__init__(*args, **kwargs)
        for row in usage:  # ``tenants.limits.LimitUsage``, one per limit, in display order
            self.fields[row.limit.field] = forms.IntegerField(
                label=row.limit.label + " per hour",
                required=False,
                min_value=0,
                max_value=self.MAX,
                initial=row.value,
                help_text=f"Default {row.default}. Leave empty for the default; 0 stops it.",
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )


class LinkKindForm(forms.Form):
    """Which link the Unlink button removes. A form, not ``request.POST["kind"]`` straight into a query:
    a NUL byte there reached PostgreSQL, which cannot hold one in text, and answered 500."""

    kind = forms.ChoiceField(choices=BmxLink.Kind.choices)


STAFF_ROLE_CHOICES = [("staff", "Front-desk staff"), ("manager", "Manager")]


class InviteForm(forms.Form):
    """A manager invites someone to a building as staff or manager."""

    email = forms.EmailField(label="E-mail", max_length=254)
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES, initial="staff")


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES)
