"""Forms of the tenants app: the profile, the PIN, which link to remove, and a building's usage limits."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .lifecycle import MoveError, normalise_phone
from .models import BmxLink
from .pin_rules import REFUSED
from .rent_roll import MAX_BYTES


def language_choices(blank_label) -> list[tuple[str, str]]:
    """The portal's languages, each named in its own language (as settings.LANGUAGES names them)."""
    return [("", blank_label), *settings.LANGUAGES]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    phone = forms.RegexField(
        label=_("Phone"),
        regex=r"^\+?[0-9 ().-]{7,20}$",
        required=False,
        error_messages={"invalid": _("Enter a phone number of digits, spaces and + ( ) - only.")},
        help_text=_("Kept in the portal only; ButterflyMX's API does not accept a phone number."),
    )
    # ``User.language``: pages, e-mails and text messages in this language; empty = the browser's.
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("For the portal's pages, e-mails and text messages."),
    )
    push = forms.BooleanField(label=_("Also update my name at ButterflyMX"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices(_("Your browser's language"))


class PinForm(forms.Form):
    code = forms.CharField(
        label=_("New PIN"),
        max_length=6,
        required=False,
        error_messages={"max_length": REFUSED},  # the same words as every other refused code
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}),
        help_text=_(
            "6 digits, not a sequence (123456) or a repeated pattern (111111, 121212). Leave empty and "
            "choose Generate for a strong one."
        ),
    )
    generate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("generate") and not data.get("code"):
            self.add_error("code", _("Enter a PIN, or choose Generate."))
        return data


class BuildingLimitsForm(forms.Form):
    """A manager's hourly limits for one building; an empty field goes back to the portal's default."""

    MAX = 100_000

    def __init__(self, *args, usage=(), **kwargs):
        super().__init__(*args, **kwargs)
        for row in usage:  # ``tenants.limits.LimitUsage``, one per limit, in display order
            self.fields[row.limit.field] = forms.IntegerField(
                label=row.limit.form_label,
                required=False,
                min_value=0,
                max_value=self.MAX,
                initial=row.value,
                help_text=_("Default %(default)s. Leave empty for the default; 0 stops it.") % {"default": row.default},
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )


class LinkKindForm(forms.Form):
    """Which link the Unlink button removes. A form, not ``request.POST["kind"]`` straight into a query:
    a NUL byte there reached PostgreSQL, which cannot hold one in text, and answered 500."""

    kind = forms.ChoiceField(choices=BmxLink.Kind.choices)


STAFF_ROLE_CHOICES = [("staff", _("Front-desk staff")), ("manager", _("Manager"))]


class InviteForm(forms.Form):
    """A manager invites someone to a building as staff or manager, choosing the e-mail's language
    (someone with a portal account who chose a language gets theirs)."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES, initial="staff")
    language = forms.ChoiceField(
        label=pgettext_lazy("of an e-mail", "Language"),
        required=False,
        help_text=_("Of the e-mail. Someone who chose a language in the portal gets theirs."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices(_("Mine"))


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)


class MoveInForm(forms.Form):
    """A manager moves a tenant in: ButterflyMX creates the tenant and e-mails them an invitation.
    ``units``: the building's units; ``groups``: its access groups as ButterflyMX lists them."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, empty_label=_("Choose a unit"))
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, help_text=_("ButterflyMX sends the invitation to this address.")
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        help_text=_("Optional; for ButterflyMX's text messages. Like +12125550123."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    move_in = forms.DateField(
        label=_("Move-in date"),
        required=False,
        help_text=_("Empty or today: access starts now. A later date: access starts that morning."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    groups = forms.TypedMultipleChoiceField(
        label=_("Access groups"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, units, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = _unit_label  # the building is the page's
        self.fields["groups"].choices = [(g["id"], g["name"]) for g in groups]

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except MoveError as exc:
            raise forms.ValidationError(str(exc)) from None


def _unit_label(unit) -> str:
    return unit.label


class RentRollForm(forms.Form):
    file = forms.FileField(
        label=_("Rent roll (CSV)"),
        help_text=_("Columns: unit, name, email, phone, move-in date. The first line names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class RentRollApplyForm(forms.Form):
    """The previewed rent roll, sent back to be applied (signed, for this building, for an hour: see
    ``tenants.views``); it is planned again before anything is done."""

    roll = forms.CharField(widget=forms.HiddenInput, max_length=2 * MAX_BYTES)
