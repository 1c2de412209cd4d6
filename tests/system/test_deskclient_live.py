"""The typed client end to end against a live server and a real worker: submit one and a batch,
wait for the decisions, follow the feed, and report an empty box on an approved return."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from budgets.choices import EntryKind
from budgets.models import LedgerEntry
from casework.models import Label
from core.choices import ApiRole
from core.services.api_clients import api_key_create
from deskclient import DeskApiError, DeskClient
from intake.models import ReturnRequest

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def a_return(order_id: str, value: str) -> dict:
    return {
        "order_id": order_id,
        "customer_id": f"C-{order_id}",
        "order_value": value,
        "product_category": "Toys",
        "payment_method": "Credit Card",
        "days_since_purchase": 12,
    }


def test_submit_wait_follow_and_report_an_outcome(live_server, active_model, worker, submitter):
    _, labeler_key = api_key_create(client=submitter, name="warehouse", role=ApiRole.LABELER)
    desk = DeskClient(live_server.url, submitter.key, timeout=10)
    warehouse = DeskClient(live_server.url, labeler_key, timeout=10)

    first = desk.submit_return("LIVE-1", "C-LIVE-1", Decimal("24.00"), "Toys", "Credit Card", 12)
    assert (first.order_id, first.status, first.decision) == ("LIVE-1", "pending", None)
    results = desk.submit_batch([a_return(f"LIVE-{n}", "31.50") for n in (2, 3, 4)])
    assert [r.status for r in results] == ["accepted"] * 3

    decided = [desk.wait_for_decision(f"LIVE-{n}", timeout=60) for n in (1, 2, 3, 4)]
    assert all(r.status == "decided" and r.decision is not None for r in decided)
    assert decided[0].decision.expected_cost.approve >= Decimal("0")
    approved = next(r for r in decided if r.outcome == "approved")

    feed = list(desk.decisions(limit=2))  # pages of two, followed to the end
    assert sorted(e.return_.order_id for e in feed if e.event == "decision") == [
        "LIVE-1",
        "LIVE-2",
        "LIVE-3",
        "LIVE-4",
    ]
    cursor = feed[-1].cursor
    assert list(desk.decisions(after=cursor)) == []

    observed = datetime.now(UTC) - timedelta(minutes=5)
    event = warehouse.send_outcome(
        "wh-123", approved.order_id, "inspection", observed, result="failed", reason="empty_box"
    )
    assert (event.kind, event.implies_fraud, event.details["reason"]) == (
        "inspection",
        True,
        "empty_box",
    )
    label = Label.objects.get(pk=event.label_id)
    assert (label.is_fraud, label.source, label.outcome_event.event_id) == (
        True,
        "inspection",
        "wh-123",
    )
    order_value = ReturnRequest.objects.get(order_id=approved.order_id).order_value
    realized = LedgerEntry.objects.filter(return_request__order_id=approved.order_id).aggregate(
        total=Sum("amount")
    )["total"]
    assert realized == order_value
    assert LedgerEntry.objects.filter(
        return_request__order_id=approved.order_id, kind=EntryKind.REALIZED_LOSS
    ).exists()

    changed = list(desk.decisions(after=cursor))
    assert [(e.event, e.return_.order_id) for e in changed] == [("outcome", approved.order_id)]

    again = warehouse.send_outcome(
        "wh-123", approved.order_id, "inspection", observed, result="failed", reason="empty_box"
    )
    assert again == event
    with pytest.raises(DeskApiError) as conflict:
        warehouse.send_outcome(
            "wh-123", approved.order_id, "inspection", observed, result="failed", reason="damaged"
        )
    assert (conflict.value.status, list(conflict.value.errors)) == (409, ["event_id"])
    with pytest.raises(DeskApiError) as invalid:
        warehouse.send_outcome("wh-124", approved.order_id, "inspection", observed, result="failed")
    assert (invalid.value.status, list(invalid.value.errors)) == (400, ["reason"])
    with pytest.raises(DeskApiError) as refused:
        desk.send_outcome("cb-1", approved.order_id, "chargeback", observed)
    assert refused.value.status == 403
    with pytest.raises(DeskApiError) as missing:
        desk.get_return("NO-SUCH-ORDER")
    assert missing.value.status == 404
