"""Feeding CSV rows of the shared columns through the same validation and intake as the API."""

from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.models import ApiClient
from intake.choices import AttributeType
from intake.constants import ATTRIBUTE_COLUMN_PREFIX, BATCH_LIMIT
from intake.selectors import attribute_types_declared
from intake.services.intake import BatchItemResult, return_submit_batch
from intake.validation import return_payloads_validate

INTEGER_COLUMNS = ("days_since_purchase", "returns_velocity_30d")
FLOAT_COLUMNS = ("return_ratio",)
IGNORED_COLUMNS = ("is_fraud", "pattern")


def _parsed(value, parse):
    try:
        return parse(value)
    except (ValueError, InvalidOperation):
        return value


def _to_cents(value: str) -> str:
    # Exported prices carry float noise (79.53399999999999); money is kept to the cent.
    return str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _number(value: str) -> int | float:
    return int(value) if value.lstrip("+-").isdigit() else float(value)


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(value)


ATTRIBUTE_PARSERS = {AttributeType.NUMBER: _number, AttributeType.BOOLEAN: _boolean}


def csv_row_to_payload(row: dict, attribute_types: dict[str, str] | None = None) -> dict:
    """Types a CSV row like a JSON body; values that do not parse are left for validation.

    A column `attr_<name>` is the return's attribute `<name>`, typed by its declaration in
    `attribute_types` (an empty cell is a missing attribute).
    """
    payload = {k: v for k, v in row.items() if k not in IGNORED_COLUMNS and v not in ("", None)}
    attributes = {}
    for column in [k for k in payload if k.startswith(ATTRIBUTE_COLUMN_PREFIX)]:
        name, value = column[len(ATTRIBUTE_COLUMN_PREFIX) :], payload.pop(column)
        parse = ATTRIBUTE_PARSERS.get((attribute_types or {}).get(name))
        attributes[name] = _parsed(value, parse) if parse else value
    if attributes:
        payload["attributes"] = attributes
    parsers = dict.fromkeys(INTEGER_COLUMNS, int)
    parsers.update(dict.fromkeys(FLOAT_COLUMNS, float), order_value=_to_cents)
    for name, parse in parsers.items():
        if name in payload:
            payload[name] = _parsed(payload[name], parse)
    return payload


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def csv_rows_submit(
    *,
    client: ApiClient,
    rows: Iterable[dict],
    chunk_size: int = BATCH_LIMIT,
    nudge: bool = True,
    history: bool = False,
) -> Iterator[list[BatchItemResult]]:
    """Submits rows in API-sized batches, yielding each batch's results as it is stored;
    `history` as for return_submit_batch."""
    attribute_types = attribute_types_declared()
    for chunk in _chunks(rows, chunk_size):
        items = return_payloads_validate(
            [csv_row_to_payload(row, attribute_types) for row in chunk], history=history
        )
        yield return_submit_batch(client=client, items=items, nudge=nudge, history=history)
