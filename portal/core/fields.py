"""Rendering a form field's widget the Bootstrap way, for both template engines: the Django templates
load it as filters (``{% load ui %}``: portal/core/templatetags/ui.py), the Jinja2 engine as globals
(portal/core/jinja2env.py). It lives here, below both, so the base layer's Jinja2 environment does not
import a template tag library (tests/test_boundaries.py)."""

from __future__ import annotations

from django.forms import BoundField, Select

_CHECK_TYPES = {"checkbox", "radio"}


def bs_widget(field: BoundField) -> str:
    """Render ``field``'s widget with the Bootstrap class its type needs, invalid state and ARIA links."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    if input_type in _CHECK_TYPES:
        css = "form-check-input"
    elif isinstance(widget, Select):  # SelectMultiple, NullBooleanSelect, portal.core.widgets' too
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{widget.attrs.get('class', '')} {css}".strip()}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-help")
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}-errors")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


def is_check(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", None) == "checkbox"
