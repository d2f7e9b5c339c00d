"""ORM queries built and compiled once, then run again with new parameters.

Django builds and compiles a queryset's SQL every time it runs one. For the small, fixed queries that
every page makes (the signed-in person, what they hold in which building) that Python work cost more
than the database took to answer: a third of the instructions of a plain signed-in page
(docs/performance.md). A :class:`PreparedQuery` is still written with the ORM, once, for every
database the project runs on; it is compiled the first time it runs on a connection alias, with
placeholder values whose positions in the SQL parameters are remembered, and from then on runs that
SQL with the real values, converting the columns as the ORM's ``values_list()`` would.

Only for queries whose shape never depends on their values: a placeholder must not be a list (``IN``
grows with it) and must not be folded into the SQL text; :meth:`PreparedQuery._compile` refuses a
placeholder that does not come out as one parameter of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Placeholders: integers no id column will hold, one per parameter name, told apart from every other
# parameter of the query by value and type.
_PLACEHOLDER_BASE = -(2**62)


class PreparedQuery:
    """``build(**params)`` returns a ``values_list()`` queryset; :meth:`rows` runs it with ``params``."""

    def __init__(self, build: Callable[..., QuerySet], *names: str) -> None:
        self._build = build
        self._placeholders = {name: _PLACEHOLDER_BASE - i for i, name in enumerate(names)}
        self._compiled: dict[str, tuple] = {}

    def _compile(self, alias: str) -> tuple:
        queryset = self._build(**self._placeholders)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots: dict[str, list[int]] = {}
        for name, marker in self._placeholders.items():
            slots[name] = [i for i, p in enumerate(params) if type(p) is int and p == marker]
            if not slots[name]:
                raise ImproperlyConfigured(f"PreparedQuery: parameter {name!r} is not a parameter of the SQL")
        # What the ORM converts on the way out (SQLite's datetimes and booleans, say), as results_iter does.
        columns = [expression for expression, _sql, _alias in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        return sql, params, slots, converters

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[list]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        sql, template, slots, converters = compiled
        if values.keys() != slots.keys():
            raise TypeError(f"PreparedQuery.rows() takes exactly {sorted(slots)}, got {sorted(values)}")
        params = list(template)
        for name, value in values.items():
            for i in slots[name]:
                params[i] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            for position, (functions, expression) in converters:
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[position] = value
        return rows
