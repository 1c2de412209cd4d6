"""Recording ground truth that arrives after a decision: inspections, chargebacks, customer calls.

Labels are never overwritten: conflicting ones are all kept and the newest observation is the
truth. When a new label changes that truth, an approved return's ledger is brought in line with
it, and the feed announces the changed outcome.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from budgets.services.ledger import ledger_settle_return
from casework.choices import FeedKind
from casework.models import FeedEvent, Label, OutcomeEvent
from casework.selectors import labels_newest_for
from casework.services.webhook_events import outcome_changed_draft
from casework.validation import LabelInputSerializer
from core.csv_files import csv_boolean
from core.models import ApiClient
from core.services.audit import audit_record
from intake.choices import Outcome
from intake.models import ReturnRequest
from webhooks.services.events import events_record

LABEL_COLUMNS = ("order_id", "is_fraud", "source", "observed_at")


@dataclass(frozen=True)
class LabelRecorded:
    label: Label
    created: bool  # False when the same observation was already on record
    truth_changed: bool


def _newest_label(return_request: ReturnRequest) -> Label | None:
    return labels_newest_for(return_ids=[return_request.pk]).get(return_request.pk)


@transaction.atomic
def label_record(
    *,
    return_request: ReturnRequest,
    is_fraud: bool,
    source: str,
    observed_at: datetime,
    actor,
    outcome_event: OutcomeEvent | None = None,
) -> LabelRecorded:
    """Stores a label and, when it changes what the return's newest label says, settles.

    Recording the same observation twice (same source, verdict, time and outcome event) changes
    nothing, so a label file can be imported again safely. `outcome_event` is the event that
    implied the label, its provenance.
    """
    # One label at a time per return, so "what was the truth before" cannot race.
    return_request = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
    same = Label.objects.filter(
        return_request=return_request,
        is_fraud=is_fraud,
        source=source,
        observed_at=observed_at,
        outcome_event=outcome_event,
    ).first()
    if same is not None:
        return LabelRecorded(label=same, created=False, truth_changed=False)
    before = _newest_label(return_request)
    label = Label.objects.create(
        return_request=return_request,
        is_fraud=is_fraud,
        source=source,
        observed_at=observed_at,
        outcome_event=outcome_event,
        client=actor if isinstance(actor, ApiClient) else None,
        reviewer=actor if actor is not None and not isinstance(actor, ApiClient) else None,
    )
    newest = _newest_label(return_request)
    truth = newest.is_fraud
    truth_before = before.is_fraud if before is not None else None
    truth_changed = truth != truth_before
    if truth_changed:
        if return_request.outcome == Outcome.APPROVED:
            ledger_settle_return(return_request=return_request, is_fraud=truth)
        FeedEvent.objects.create(return_request=return_request, kind=FeedKind.OUTCOME)
        events_record(
            drafts=[outcome_changed_draft(return_request, is_fraud=truth, source=newest.source)]
        )
    audit_record(
        actor=actor,
        action="label.record",
        obj=return_request,
        before={"is_fraud": truth_before},
        after={
            "is_fraud": truth,
            "label": label.pk,
            "label_is_fraud": is_fraud,
            "source": source,
            "observed_at": observed_at.isoformat(),
            **({"event_id": outcome_event.event_id} if outcome_event else {}),
        },
    )
    return LabelRecorded(label=label, created=True, truth_changed=truth_changed)


@dataclass(frozen=True)
class LabelRowResult:
    line: int
    order_id: str | None
    status: str  # recorded | duplicate | unknown_order | invalid
    errors: dict
    truth_changed: bool = False


def _csv_row_to_payload(row: dict) -> dict:
    """Types a CSV row like a JSON body; an unreadable is_fraud is left for validation.

    Other columns of the file are ignored: a label file is often an export with more in it.
    """
    payload = {name: row[name] for name in LABEL_COLUMNS if row.get(name) not in ("", None)}
    flag = payload.get("is_fraud")
    if isinstance(flag, str) and csv_boolean(flag) is not None:
        payload["is_fraud"] = csv_boolean(flag)
    return payload


def label_rows_record(*, client: ApiClient, rows: Iterable[dict]) -> Iterator[LabelRowResult]:
    """Validates and records label rows (LABEL_COLUMNS) for `client`'s returns, one at a time.

    Each row is its own transaction: one bad row does not undo the rows before it.
    """
    for index, row in enumerate(rows, start=2):
        # A csv reader knows the row's real line (blank lines are skipped); a list does not.
        line = getattr(rows, "line_num", index)
        serializer = LabelInputSerializer(data=_csv_row_to_payload(row))
        order_id = row.get("order_id") or None
        if not serializer.is_valid():
            errors = {
                name: [str(m) for m in messages] for name, messages in serializer.errors.items()
            }
            yield LabelRowResult(line, order_id, "invalid", errors)
            continue
        data = serializer.validated_data
        return_request = ReturnRequest.objects.filter(
            client=client, order_id=data["order_id"]
        ).first()
        if return_request is None:
            yield LabelRowResult(
                line, order_id, "unknown_order", {"order_id": ["No such return for this client."]}
            )
            continue
        recorded = label_record(
            return_request=return_request,
            is_fraud=data["is_fraud"],
            source=data["source"],
            observed_at=data["observed_at"],
            actor=client,
        )
        yield LabelRowResult(
            line,
            order_id,
            "recorded" if recorded.created else "duplicate",
            {},
            recorded.truth_changed,
        )
