import uuid

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .services import DEFAULT_TOKEN_LIFETIME_DAYS, TOKEN_LIFETIMES_DAYS


def _days(days: int) -> str:
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


_days_lazy = lazy(_days, str)  # the choices are made at import; their words are read in the page's language


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use the token, e.g. “front-desk script” or “my laptop”."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=[(days, _days_lazy(days)) for days in TOKEN_LIFETIMES_DAYS],
        coerce=int,
        initial=DEFAULT_TOKEN_LIFETIME_DAYS,
    )
    # One per form shown: sending the same form twice (a reload of the answer) makes no second token.
    once = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("once", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
