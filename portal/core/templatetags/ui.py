"""Small template helpers for rendering Django form fields with Bootstrap classes."""

from html import escape

from django import template
from django.forms import BoundField, Select, SelectMultiple
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _html(value) -> str:
    """``conditional_escape`` without its lazy-argument checks: these helpers escape ~150 values a page."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _attrs(attrs: dict) -> str:
    """``flatatt``: ``name="value"`` pairs, then bare names for ``True``; ``False``/``None`` left out."""
    pairs = [f' {name}="{_html(value)}"' for name, value in attrs.items() if not isinstance(value, bool | None)]
    return "".join(pairs) + "".join(f" {name}" for name, value in attrs.items() if value is True)


_CHECK_TYPES = {"checkbox", "radio"}


@register.filter
def bs_widget(field: BoundField) -> str:
    """Render ``field``'s widget with the Bootstrap class its type needs, invalid state and ARIA links."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    if input_type in _CHECK_TYPES:
        css = "form-check-input"
    elif widget.__class__.__name__ in ("Select", "SelectMultiple", "NullBooleanSelect"):
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
    if type(widget) in (Select, SelectMultiple):
        return select_html(field, attrs)
    if widget.template_name in _PLAIN_INPUT_TEMPLATES and not field.field.localize:
        return input_html(field, attrs)
    return field.as_widget(attrs=attrs)


# Django's templates for these widgets are exactly ``{% include "django/forms/widgets/input.html" %}``.
_PLAIN_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "email", "url", "number", "password", "date", "datetime", "time", "search", "tel")
)


def input_html(field: BoundField, attrs: dict) -> SafeString:
    """An ``<input>`` from the widget's own context (its value formatting, its attrs), built in Python:
    the markup of Django's ``input.html``, without a template render per field."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    value = context["value"]
    value_html = f' value="{_html(value)}"' if value is not None else ""
    return mark_safe(  # every value is escaped
        f'<input type="{_html(context["type"])}" name="{_html(context["name"])}"{value_html}{_attrs(context["attrs"])}>'
    )


def _option(value, label, selected: set[str]) -> str:
    text = "" if value is None else str(value)
    # f-strings over html.escape (what django.utils.html.escape calls): format_html per option was
    # most of this function's cost for a select of 30 release methods.
    chosen = " selected" if text in selected else ""
    return f'<option value="{escape(text)}"{chosen}>{_html(label)}</option>'


def select_html(field: BoundField, attrs: dict) -> SafeString:
    """A ``<select>`` built in Python, the same markup as Django's widget templates (optgroups too).

    Django renders every ``<option>`` through a template: a filter form with a building, a door and a
    release-method list cost a log page ~10 ms.
    """
    widget = field.field.widget
    selected = set(widget.format_value(field.value()))  # Django's own reading of the current value
    options = []
    for value, label in field.field.choices:
        if isinstance(label, list | tuple):  # a group: (its name, its choices)
            inner = "".join(_option(v, lbl, selected) for v, lbl in label)
            options.append(f'<optgroup label="{_html(value)}">{inner}</optgroup>')
        else:
            options.append(_option(value, label, selected))
    final = widget.build_attrs(widget.attrs, field.build_widget_attrs({**attrs, "id": field.auto_id}, widget))
    if widget.allow_multiple_selected:
        final["multiple"] = True
    return mark_safe(f'<select name="{_html(field.html_name)}"{_attrs(final)}>{"".join(options)}</select>')


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    """``{% include "includes/field.html" with field=field %}``, built in Python.

    The same markup (tests/portal/test_ui_widgets.py renders both and compares them), for pages that
    render many fields on every request: the log filters' nine fields through the include were a
    fifth of a log page.
    """
    if field.is_hidden:
        return mark_safe(str(field))  # a BoundField renders to safe HTML
    field_id = escape(str(field.auto_id))
    help_text = field.help_text
    help_html = f'<div class="form-text" id="{field_id}-help">{_html(help_text)}</div>' if help_text else ""
    errors = field.errors
    errors_html = (
        f'<div class="invalid-feedback d-block" id="{field_id}-errors">'
        f"{' '.join(_html(error) for error in errors)}</div>"
        if errors
        else ""
    )
    label_for = escape(str(field.id_for_label))
    label = _html(field.label)
    if is_check(field):
        return mark_safe(  # every value is escaped above
            f'<div class="form-check mb-3">{bs_widget(field)}<label class="form-check-label" for="{label_for}">'
            f"{label}</label>{help_html}{errors_html}</div>"
        )
    required = ' <span class="text-danger" aria-hidden="true">*</span>' if field.field.required else ""
    return mark_safe(  # every value is escaped above
        f'<div class="mb-3"><label class="form-label" for="{label_for}">{label}{required}</label>'
        f"{bs_widget(field)}{help_html}{errors_html}</div>"
    )


@register.filter
def is_check(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", None) == "checkbox"


@register.simple_tag
def active_filter_count(form) -> int:
    """How many fields of a bound filter form hold a value: the count on a collapsed "Filters" toggle."""
    if not form.is_bound:
        return 0
    return sum(1 for field in form if not field.is_hidden and field.value() not in (None, "", [], ()))
