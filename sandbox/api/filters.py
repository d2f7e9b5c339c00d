"""The one Ransack helper: ``q[<attr>_<predicate>]`` parameters to queryset filters (§2.2).

Each endpoint declares the attributes it accepts and their types. Values that cannot be parsed are
silently ignored, as live ButterflyMX does; an integer beyond 64 bits matches nothing (no row has it).
Keys the document does not list never get here: the contract refuses them (``sandbox/contract``).
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

_KEY = re.compile(r"^q\[(?P<name>[a-z0-9_]+)\](?P<array>\[\])?$")
PREDICATES = ("_eq", "_start", "_in", "_gteq", "_lteq")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class MatchesNothing(ValueError):
    """A value no row can have (an integer beyond 64 bits): the filter matches nothing, as in Rails."""


def parse_int(value: str) -> int:
    number = int(value.strip())
    if not INT64_MIN <= number <= INT64_MAX:
        raise MatchesNothing(value)
    return number


def parse_str(value: str) -> str:
    return value


def parse_time(value: str) -> dt.datetime:
    """ISO 8601 (``Z`` or offset), ``YYYY-MM-DD`` (midnight UTC) or ``YYYY-MM-DD HH:MM:SS UTC``."""
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4].replace(" ", "T") + "+00:00"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


# attribute -> (ORM lookup path or a callable building a Q, parser)
Spec = dict[str, tuple[str | Callable[[str, Any], Q], Callable[[str], Any]]]


def _q_for(lookup: str | Callable[[str, Any], Q], predicate: str, value: Any) -> Q:
    if callable(lookup):
        return lookup(predicate, value)
    if predicate == "eq":
        return Q(**{f"{lookup}__iexact" if isinstance(value, str) else lookup: value})
    if predicate == "start":
        return Q(**{f"{lookup}__istartswith": value})
    if predicate == "in":
        return Q(**{f"{lookup}__in": value})
    if predicate == "gteq":
        return Q(**{f"{lookup}__gte": value})
    return Q(**{f"{lookup}__lte": value})


def apply_ransack(request: HttpRequest, queryset: QuerySet, spec: Spec, bare: dict | None = None) -> QuerySet:
    """Filter ``queryset`` by the request's ``q[...]`` parameters that ``spec`` knows.

    ``bare`` maps suffix-less keys (``q[release_status]``) to ``(lookup, parser)``; they mean ``_eq``.
    """
    for key in request.GET:
        match = _KEY.match(key)
        if not match:
            continue
        name = match["name"]
        values = request.GET.getlist(key)
        if bare and name in bare:
            lookup, parser = bare[name]
            attr, predicate = name, "eq"
        else:
            predicate = next((p for p in PREDICATES if name.endswith(p)), None)
            if predicate is None:
                continue
            attr = name[: -len(predicate)]
            predicate = predicate[1:]
            if attr not in spec:
                continue
            lookup, parser = spec[attr]
        try:
            if predicate == "in":
                parsed: Any = []
                impossible = False
                for v in values:
                    if v == "":
                        continue
                    try:
                        parsed.append(parser(v))
                    except MatchesNothing:
                        impossible = True  # an id no row has: it adds nothing to the list
                if not parsed:
                    if impossible:
                        queryset = queryset.none()
                    continue
            else:
                if values[-1] == "":
                    continue  # Ransack drops blank values
                parsed = parser(values[-1])
        except MatchesNothing:
            queryset = queryset.none()
            continue
        except (ValueError, TypeError):
            continue  # unparsable: silently ignored, as live
        queryset = queryset.filter(_q_for(lookup, predicate, parsed))
    return queryset
