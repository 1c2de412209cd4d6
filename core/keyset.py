"""Keyset pagination: a page continues after the last row's sort key, carried in an opaque
cursor, so rows inserted meanwhile are neither skipped nor repeated (unlike OFFSET)."""

import base64
import binascii
from collections.abc import Callable, Sequence
from decimal import InvalidOperation

from django.db.models import Q, QuerySet


class InvalidCursor(ValueError):
    pass


def cursor_encode(values: Sequence, *, separator: str = "|") -> str:
    raw = separator.join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(
    cursor: str, *, types: Sequence[Callable[[str], object]], separator: str = "|"
) -> tuple:
    """The sort key a cursor carries, each part parsed by its type; InvalidCursor otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = base64.urlsafe_b64decode(padded).decode().split(separator)
        if len(parts) != len(types):
            raise ValueError(cursor)
        return tuple(parse(part) for parse, part in zip(types, parts, strict=True))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, InvalidOperation) as exc:
        raise InvalidCursor("Not a cursor this list gave out.") from exc


def keyset_after(queryset: QuerySet, *, ordering: Sequence[str], key: Sequence) -> QuerySet:
    """The rows that come after `key` in `ordering` ("-field" descending), and in that order.

    The last field of `ordering` must be unique (the primary key), so every row has one place.
    """
    after = Q()
    for position, name in enumerate(ordering):
        field = name.lstrip("-")
        beyond = Q(**{f"{field}__{'lt' if name.startswith('-') else 'gt'}": key[position]})
        tied = Q(**{prior.lstrip("-"): key[i] for i, prior in enumerate(ordering[:position])})
        after |= tied & beyond
    return queryset.filter(after).order_by(*ordering)
