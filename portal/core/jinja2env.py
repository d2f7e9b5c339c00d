"""The project's Jinja2 engine (``TEMPLATES``, alias ``"jinja2"``) and the form renderer that uses it.

Django's template language renders a ``<select>`` by including a template per ``<option>``: the log
filters (a building, a door and ~30 release methods) cost more than the rest of the log page together.
Jinja2 compiles templates to Python functions, so the same widget templates (Django ships them for
Jinja2 in ``django/forms/jinja2``) and the log table's rows cost a fraction. Both are Django's
documented means: the ``django.template.backends.jinja2.Jinja2`` backend with an ``environment``, and a
form renderer (a ``BaseRenderer`` with ``get_template()``) set as a form's ``default_renderer``.
Escaping is on (the backend's default), as in Django's templates.
"""

from __future__ import annotations

import html

from django.forms.renderers import BaseRenderer
from django.template import engines
from jinja2 import Environment
from markupsafe import Markup

from portal.core.templatetags.ui import bs_widget, is_check


def escape(value) -> Markup:
    """Jinja2's ``finalize``: every ``{{ value }}`` escaped as Django's ``escape`` does (``html.escape``:
    ``&quot;``, ``&#x27;``) instead of markupsafe's (``&#34;``, ``&#39;``), so both engines write the same
    bytes. Safe HTML (a rendered widget, a ``SafeString``) passes unchanged, as Jinja2 itself passes it.
    Not ``conditional_escape``: its lazy-string checks cost more than the escaping, ~1,000 values a page."""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


def environment(**options) -> Environment:
    env = Environment(**options, finalize=escape)
    # The helpers the Django templates load with {% load ui %}, as functions.
    env.globals.update(bs_widget=bs_widget, is_check=is_check)
    return env


class Jinja2FormRenderer(BaseRenderer):
    """Renders a form's widgets and field groups with the project's Jinja2 engine.

    ``{{ field.as_field_group }}`` renders ``includes/field.html`` (portal/core/jinja2/includes/field.html,
    the markup of templates/includes/field.html; tests/portal/test_ui_widgets.py compares the two).
    """

    field_template_name = "includes/field.html"

    def get_template(self, template_name):
        return engines["jinja2"].get_template(template_name)
