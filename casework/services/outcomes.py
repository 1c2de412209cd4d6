"""Recording outcome events: what a carrier, a warehouse, payments or customer service saw become
of a return. Every event is kept; one that implies fraud or its absence becomes a label through
`label_record`, which settles the ledger and announces the changed outcome.

What each kind implies:
- carrier_scan: nothing, whatever the status (a weight mismatch is a reason to inspect);
- inspection: passed → not fraud; failed with empty_box or wrong_item → fraud; failed for wear,
  damage, missing parts or another reason → nothing;
- chargeback: fraud;
- customer_service: fraud_confirmed true → fraud, false → not fraud, left out → nothing.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from casework.choices import InspectionResult, LabelSource, OutcomeKind
from casework.constants import INSPECTION_REASONS_IMPLYING_FRAUD
from casework.models import OutcomeEvent
from casework.services.labels import label_record
from casework.validation import outcome_serializer_for
from core.csv_files import csv_boolean
from core.models import ApiClient
from core.services.audit import audit_record
from intake.models import ReturnRequest
from intake.services.intake import payload_hash

OUTCOME_COMMON_FIELDS = ("event_id", "order_id", "kind", "observed_at")
OUTCOME_DETAIL_FIELDS = (
    "status",
    "result",
    "reason",
    "amount",
    "reason_code",
    "note",
    "fraud_confirmed",
)
OUTCOME_COLUMNS = (*OUTCOME_COMMON_FIELDS, *OUTCOME_DETAIL_FIELDS)
LABEL_SOURCE_OF_KIND = {
    OutcomeKind.INSPECTION: LabelSource.INSPECTION,
    OutcomeKind.CHARGEBACK: LabelSource.CHARGEBACK,
    OutcomeKind.CUSTOMER_SERVICE: LabelSource.CUSTOMER_SERVICE,
}


class UnknownOrder(Exception):
    """The client has no return with the event's order id."""


class OutcomeEventConflict(Exception):
    """The event id was already used by this client with a different body."""

    def __init__(self, existing: OutcomeEvent):
        super().__init__(f"event {existing.event_id} was already sent with another body")
        self.existing = existing


@dataclass(frozen=True)
class OutcomeRecorded:
    event: OutcomeEvent
    created: bool  # False when the same event was sent before
    truth_changed: bool


def outcome_implies_fraud(*, kind: str, details: dict) -> bool | None:
    """What an event says about fraud: True, False, or None when it implies neither."""
    if kind == OutcomeKind.CHARGEBACK:
        return True
    if kind == OutcomeKind.INSPECTION:
        if details["result"] == InspectionResult.PASSED:
            return False
        return True if details["reason"] in INSPECTION_REASONS_IMPLYING_FRAUD else None
    if kind == OutcomeKind.CUSTOMER_SERVICE:
        return details.get("fraud_confirmed")
    return None  # a carrier scan


def _lock_event_id(client: ApiClient, event_id: str) -> None:
    # Serialises the same event id of one client, so two deliveries of it cannot both store it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"outcome:{client.pk}:{event_id}"]
        )


@transaction.atomic
def outcome_record(*, client: ApiClient, data: dict) -> OutcomeRecorded:
    """Stores one validated outcome event of `client`'s and, where it implies fraud or not,
    records the label it implies.

    The same event id with the same body gives back the stored event; another body raises
    OutcomeEventConflict. UnknownOrder when the client has no return of the order id.
    """
    body_hash = payload_hash(data)
    _lock_event_id(client, data["event_id"])
    existing = (
        OutcomeEvent.objects.filter(client=client, event_id=data["event_id"])
        .select_related("return_request", "label")
        .first()
    )
    if existing is not None:
        if existing.body_hash != body_hash:
            raise OutcomeEventConflict(existing)
        return OutcomeRecorded(event=existing, created=False, truth_changed=False)
    return_request = ReturnRequest.objects.filter(client=client, order_id=data["order_id"]).first()
    if return_request is None:
        raise UnknownOrder(data["order_id"])
    # Kept as JSON: an amount as its exact decimal text.
    details = {
        name: str(value) if name == "amount" else value
        for name, value in data.items()
        if name not in OUTCOME_COMMON_FIELDS
    }
    implies_fraud = outcome_implies_fraud(kind=data["kind"], details=details)
    event = OutcomeEvent.objects.create(
        client=client,
        event_id=data["event_id"],
        return_request=return_request,
        kind=data["kind"],
        details=details,
        observed_at=data["observed_at"],
        implies_fraud=implies_fraud,
        body_hash=body_hash,
    )
    audit_record(
        actor=client,
        action="outcome.record",
        obj=return_request,
        after={
            "event_id": event.event_id,
            "kind": event.kind,
            **details,
            "implies_fraud": implies_fraud,
            "observed_at": event.observed_at.isoformat(),
        },
    )
    truth_changed = False
    if implies_fraud is not None:
        truth_changed = label_record(
            return_request=return_request,
            is_fraud=implies_fraud,
            source=LABEL_SOURCE_OF_KIND[event.kind],
            observed_at=event.observed_at,
            actor=client,
            outcome_event=event,
        ).truth_changed
    return OutcomeRecorded(event=event, created=True, truth_changed=truth_changed)


@dataclass(frozen=True)
class OutcomeItemResult:
    line: int  # the CSV line, or the position in a batch
    event_id: str | None
    order_id: str | None
    status: str  # recorded | duplicate | conflict | unknown_order | invalid
    errors: dict
    truth_changed: bool = False


def _errors(serializer) -> dict:
    errors = serializer.errors
    if isinstance(errors, list):  # a serializer given something other than an object
        return {"non_field_errors": [str(message) for message in errors]}
    return {name: [str(m) for m in messages] for name, messages in errors.items()}


def _text(item, name) -> str | None:
    value = item.get(name) if isinstance(item, dict) else None
    return value if isinstance(value, str) and value else None


def outcome_items_record(
    *, client: ApiClient, items: Iterable[tuple[int, object]]
) -> Iterator[OutcomeItemResult]:
    """Validates and records (line, event) pairs one at a time, each in its own transaction: a
    bad item does not undo the ones before it."""
    for line, item in items:
        event_id, order_id = _text(item, "event_id"), _text(item, "order_id")
        serializer = outcome_serializer_for(item)
        if not serializer.is_valid():
            yield OutcomeItemResult(line, event_id, order_id, "invalid", _errors(serializer))
            continue
        try:
            recorded = outcome_record(client=client, data=serializer.validated_data)
        except UnknownOrder:
            yield OutcomeItemResult(
                line,
                event_id,
                order_id,
                "unknown_order",
                {"order_id": ["No such return for this client."]},
            )
            continue
        except OutcomeEventConflict:
            yield OutcomeItemResult(
                line,
                event_id,
                order_id,
                "conflict",
                {"event_id": ["Already sent with a different body."]},
            )
            continue
        yield OutcomeItemResult(
            line,
            event_id,
            order_id,
            "recorded" if recorded.created else "duplicate",
            {},
            recorded.truth_changed,
        )


def outcome_csv_row_to_payload(row: dict) -> dict:
    """Types a CSV row like a JSON body: empty cells are left out, so each kind's row carries only
    its own fields, and an unreadable fraud_confirmed is left for validation to name.

    Columns outside OUTCOME_COLUMNS are ignored: an outcome file is often an export with more.
    """
    payload = {name: row[name] for name in OUTCOME_COLUMNS if row.get(name) not in ("", None)}
    flag = payload.get("fraud_confirmed")
    if isinstance(flag, str) and csv_boolean(flag) is not None:
        payload["fraud_confirmed"] = csv_boolean(flag)
    return payload


def outcome_rows_record(*, client: ApiClient, rows: Iterable[dict]) -> Iterator[OutcomeItemResult]:
    """Records outcome rows (OUTCOME_COLUMNS) for `client`'s returns, each row in its own
    transaction, answered by the row's line in the file."""
    # A csv reader knows the row's real line (blank lines are skipped); a list does not.
    numbered = (
        (getattr(rows, "line_num", index), outcome_csv_row_to_payload(row))
        for index, row in enumerate(rows, start=2)
    )
    yield from outcome_items_record(client=client, items=numbered)
