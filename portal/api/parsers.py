"""The API's JSON parser: DRF's, with nesting bounded (``portal.core.jsonbody``).

DRF's ``JSONParser`` turns malformed JSON into a 400 but lets ``RecursionError`` through, so a body of
ten thousand ``[`` answered 500. Here it, and anything nested deeper than ``MAX_DEPTH``, is a
``ParseError``: a 400 in the API's error shape (``portal.api.exceptions``). The default parser of every
API view (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).
"""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from portal.core.jsonbody import MAX_DEPTH, JsonTooDeep, check_depth


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return check_depth(super().parse(stream, media_type, parser_context))
        except (RecursionError, JsonTooDeep):
            raise ParseError(
                gettext("The JSON body is nested deeper than %(depth)d levels; send a flat object of the fields.")
                % {"depth": MAX_DEPTH}
            ) from None
