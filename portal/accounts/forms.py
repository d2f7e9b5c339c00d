import uuid

from django import forms

from .services import DEFAULT_TOKEN_LIFETIME_DAYS, TOKEN_LIFETIMES_DAYS


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What will use the token, e.g. “front-desk script” or “my laptop”."
    )
    lifetime_days = forms.TypedChoiceField(
        label="Expires after",
        choices=[(days, f"{days} days") for days in TOKEN_LIFETIMES_DAYS],
        coerce=int,
        initial=DEFAULT_TOKEN_LIFETIME_DAYS,
    )
    # One per form shown: sending the same form twice (a reload of the answer) makes no second token.
    once = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("once", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
