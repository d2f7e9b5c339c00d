"""``<select>`` widgets whose options reach their template as plain ``(value, label, selected)`` tuples.

Django's select widgets build a dictionary per option (attributes copied, an index, a template name;
``ChoiceWidget.optgroups``) and render each through its own template: for the ~45 options of the log
filters that was most of the filter form's cost. These widgets fill the documented
``Widget.get_context()`` with the options as tuples, and their Jinja2 template
(portal/core/jinja2/portal/widgets/select.html) writes the markup of Django's ``select.html`` in one
loop. Rendered only by :class:`portal.core.jinja2env.Jinja2FormRenderer`;
tests/portal/test_ui_widgets.py compares them with Django's own widgets.
"""

from __future__ import annotations

from django import forms


class _PlainOptions:
    template_name = "portal/widgets/select.html"
    allow_multiple_selected: bool
    choices: list

    def get_context(self, name, value, attrs):
        # The base widget's context (name, attributes, the value as Django formats it: a list of
        # strings); Django's per-option dictionaries are left out.
        context = forms.Widget.get_context(self, name, value, attrs)  # type: ignore[arg-type]
        chosen = set(context["widget"]["value"])
        groups = []
        taken = False  # a single select marks only the first matching option, as Django's does
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):  # a group: (its name, its choices)
                group, members = option_value, label
            else:
                group, members = None, [(option_value, label)]
            options = []
            for member_value, member_label in members:
                text = "" if member_value is None else str(member_value)
                selected = text in chosen and (self.allow_multiple_selected or not taken)
                taken |= selected
                options.append((text, member_label, selected))
            groups.append((group, options))
        context["widget"]["groups"] = groups
        if self.allow_multiple_selected:  # what Select.get_context adds
            context["widget"]["attrs"]["multiple"] = True
        return context


class ListedSelect(_PlainOptions, forms.Select):
    pass


class ListedSelectMultiple(_PlainOptions, forms.SelectMultiple):
    pass
