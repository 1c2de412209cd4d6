"""The API's JSON parser: bounded nesting, so no body can exhaust the parser's stack."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A return is a flat object inside a list: anything deeper than this is not a request the API
# can accept, and refusing it early keeps later code (hashing, validation) off deep structures.
MAX_JSON_DEPTH = 20


def json_depth(value) -> int:
    """How deeply lists and objects nest in `value`, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep.") from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep.")
        return data
