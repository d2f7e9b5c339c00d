"""Every model and field of the portal's apps has a translatable name: the Django admin's titles, column
headers and form labels (and any form built from a model) read them, in the operator's language."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils.functional import Promise

# The apps whose rows people see (pages, the admin). portal.core and portal.live hold operational tables
# (heartbeats, rate counters, the live outbox) that no page and no admin screen shows.
APPS = ("accounts", "alerts", "dashboard", "notifications", "tenants", "passes", "logs")
# Fields a library declares (django-rest-knox's AbstractAuthToken): named in the library, not here.
LIBRARY_FIELDS = {("ApiToken", name) for name in ("digest", "token_key", "created", "expiry", "user")}


def _models():
    return [model for label in APPS for model in apps.get_app_config(label).get_models()]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m._meta.label)
def test_the_model_and_every_field_have_translatable_names(model):
    meta = model._meta
    assert isinstance(meta.verbose_name, Promise) and isinstance(meta.verbose_name_plural, Promise), meta.label
    plain = [
        field.name
        for field in meta.get_fields(include_hidden=False)
        if field.concrete
        and not field.auto_created
        and (model.__name__, field.name) not in LIBRARY_FIELDS
        and not isinstance(field.verbose_name, Promise)
    ]
    assert not plain, f"{meta.label}: fields named without gettext_lazy: {plain}"


def test_every_app_of_the_portal_has_a_translatable_name():
    """The admin's section titles."""
    ours = [
        config
        for config in apps.get_app_configs()
        if config.name.split(".")[0] in {"portal", "tenants", "passes", "logs"}
    ]

    assert ours and [c.label for c in ours if not isinstance(c.verbose_name, Promise)] == []
