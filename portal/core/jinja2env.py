"""The project's Jinja2 engine (``TEMPLATES``, alias ``"jinja2"``) and the form renderer that uses it.

Django's template language renders a ``<select>`` by including a template per ``<option>``: the log
filters (a building, a door and ~30 release methods) cost more than the rest of the log page together.
Jinja2 compiles templates to Python functions, so the same widget templates (Django ships them for
Jinja2 in ``django/forms/jinja2``) and the log table's rows cost a fraction. Both are Django's
documented means: the ``django.template.backends.jinja2.Jinja2`` backend with an ``environment``, and a
form renderer (a ``BaseRenderer`` with ``get_template()``) set as a form's ``default_renderer``.
Escaping is on (the backend's default), as in Django's templates, and writes the same entities
(:func:`django_entities`).
"""

from __future__ import annotations

from django.forms.renderers import BaseRenderer
from django.template import engines
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment

from portal.core.fields import bs_widget, is_check

# markupsafe (Jinja2's escaping) writes " and ' as &#34; and &#39;, Django's escape as &quot; and &#x27;.
_ENTITIES = (("&#34;", "&quot;"), ("&#39;", "&#x27;"))


def django_entities(rendered: str) -> SafeString:
    """Jinja2's output with the quote entities Django's templates write, so a page's bytes do not
    depend on which engine wrote them. Only an escaped quote yields ``&#34;``/``&#39;`` (an escaped
    ``&`` becomes ``&amp;``, so an escaped "&#34;" reads ``&amp;#34;``), and Django's own HTML has
    neither. Two ``str.replace`` calls over the page: escaping every value twice to get them (a
    ``finalize`` of Django's ``escape``) cost ~10% of a log page."""
    for jinja, django in _ENTITIES:
        rendered = rendered.replace(jinja, django)
    return mark_safe(rendered)  # the output of an autoescaping template, entities swapped


def render(template_name: str, context: dict, request=None) -> SafeString:
    """A Jinja2 template of the project's engine, as safe HTML for a Django template's context."""
    return django_entities(engines["jinja2"].get_template(template_name).render(context, request))


def environment(**options) -> Environment:
    # Jinja2's i18n extension on Django's translations: ``{{ _("Door") }}``, ``{{ ngettext(...) }}`` and
    # ``{{ pgettext(...) }}`` read the same catalogs in the active language; newstyle gettext escapes
    # and formats (``_("%(n)s rows", n=3)``) as Django's does. makemessages finds ``_("...")`` in these
    # .html files like in Django's templates; plural and context forms are extracted by xgettext's
    # Python keywords through locale/jinja_keywords.py (see Makefile "messages").
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    env = Environment(**options)
    env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
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

    def render(self, template_name, context, request=None):
        return django_entities(super().render(template_name, context, request=request))
