"""JSON as the project reads it from outside: bounded in size and in nesting depth.

Python's parser recurses once per level, so 5,000 nested lists (10 KB) raised RecursionError,
a 500; and whatever parses deep enough is walked again by whoever reads it (the idempotency
fingerprint, serializers). No body Lifeline takes nests more than a few levels (a Stripe event
about ten), so anything deeper than JSON_MAX_DEPTH is refused before it is used.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json


class JSONTooDeep(ValueError):
    pass


def loads(text: str | bytes, *, max_depth: int | None = None):
    """Parse JSON refusing NaN/Infinity and anything nested deeper than `max_depth`.

    :raises ValueError: not JSON, or too deep (JSONTooDeep).
    """
    max_depth = settings.JSON_MAX_DEPTH if max_depth is None else max_depth
    try:
        data = json.loads(text)
    except RecursionError as exc:  # the C scanner's own guard, at about 1,000 levels
        raise JSONTooDeep(f"nested more than {max_depth} levels deep") from exc
    if depth(data, stop_after=max_depth) > max_depth:
        raise JSONTooDeep(f"nested more than {max_depth} levels deep")
    return data


def depth(data, *, stop_after: int) -> int:
    """How many lists/objects deep `data` goes (a scalar is 0), counting at most one past
    `stop_after`. Iterative: the point is not to recurse on hostile input."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        if deepest > stop_after:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with API_MAX_BODY_BYTES and JSON_MAX_DEPTH (a ParseError, which the
    project's exception handler answers as a 400 in the field-errors shape)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise ParseError(too_large_message(limit))
        raw = stream.read(limit + 1)  # never more than the limit, whatever the header said
        if len(raw) > limit:
            raise ParseError(too_large_message(limit))
        try:
            text = raw.decode(get_encoding(parser_context or {}))
            return loads(text)
        except JSONTooDeep as exc:
            raise ParseError(f"The JSON body is {exc}.") from exc
        except ValueError as exc:  # includes UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc


def too_large_message(limit: int) -> str:
    return f"The request body is too large: at most {limit} bytes."
