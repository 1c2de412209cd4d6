"""POST /api/v1/outcomes and /outcomes/batch: each kind's fields, what each implies, idempotency by
the sender's event id, ownership, and the ledger following the label an event becomes."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.db.models import Sum
from django.utils import timezone

from budgets.models import LedgerAccount, LedgerEntry
from casework.models import FeedEvent, Label, OutcomeEvent
from casework.services.pipeline import returns_decide_pending
from core.models import AuditEvent
from tests.conftest import iso
from tests.factories import ApiClientFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/outcomes"


@pytest.fixture
def api(labeler_api):
    return labeler_api


@pytest.fixture
def approved(submitter, active_model):
    """One of the submitter's returns, approved by the pipeline with an expected loss booked."""
    return_request = ReturnRequestFactory(client=submitter, order_value=Decimal("80.00"))
    returns_decide_pending()
    return_request.refresh_from_db()
    assert return_request.outcome == "approved"
    return return_request


def event(order_id="ORD-1", kind="inspection", event_id="wh-123", **fields):
    defaults = {
        "carrier_scan": {"status": "delivered_to_warehouse"},
        "inspection": {"result": "failed", "reason": "empty_box"},
        "chargeback": {"amount": "80.00", "reason_code": "10.4"},
        "customer_service": {"note": "Customer admits the box was empty.", "fraud_confirmed": True},
    }[kind]
    return {
        "event_id": event_id,
        "order_id": order_id,
        "kind": kind,
        "observed_at": iso(timezone.now() - timedelta(hours=1)),
        **defaults,
        **fields,
    }


def booked(return_request):
    account = LedgerAccount.objects.get(customer=return_request.customer)
    total = LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    assert account.balance == total  # the ledger's invariant, checked at every step
    return LedgerEntry.objects.filter(return_request=return_request).aggregate(total=Sum("amount"))[
        "total"
    ]


def test_empty_box_on_an_approved_return_books_the_realized_loss_as_a_fraud_label(api, approved):
    expected_loss = booked(approved)
    assert Decimal("0") < expected_loss < approved.order_value

    response = api.post(URL, event(approved.order_id), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["event_id"], body["kind"], body["implies_fraud"]) == ("wh-123", "inspection", True)
    assert body["details"] == {"result": "failed", "reason": "empty_box"}
    label = Label.objects.get(return_request=approved)
    assert body["label_id"] == label.pk
    assert (label.is_fraud, label.source, label.outcome_event.event_id) == (
        True,
        "inspection",
        "wh-123",
    )
    assert booked(approved) == approved.order_value
    assert FeedEvent.objects.filter(return_request=approved, kind="outcome").count() == 1
    recorded = AuditEvent.objects.get(action="outcome.record")
    assert recorded.after["event_id"] == "wh-123"
    assert AuditEvent.objects.get(action="label.record").after["event_id"] == "wh-123"


@pytest.mark.parametrize(
    ("kind", "fields", "implies"),
    [
        ("inspection", {"result": "passed", "reason": None}, False),
        ("inspection", {"reason": "wrong_item"}, True),
        ("inspection", {"reason": "worn_or_used"}, None),
        ("inspection", {"reason": "damaged"}, None),
        ("chargeback", {}, True),
        ("chargeback", {"amount": None, "reason_code": None}, True),
        ("customer_service", {"fraud_confirmed": False}, False),
        ("customer_service", {"fraud_confirmed": None}, None),
        ("carrier_scan", {"status": "weight_mismatch"}, None),
        ("carrier_scan", {"status": "lost"}, None),
    ],
)
def test_what_each_kind_implies(api, submitter, kind, fields, implies):
    return_request = ReturnRequestFactory(client=submitter, order_id="ORD-1")
    data = event(kind=kind, **fields)
    for name in [name for name, value in fields.items() if value is None]:
        data.pop(name)

    response = api.post(URL, data, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["implies_fraud"] is implies
    assert OutcomeEvent.objects.get().kind == kind
    labels = Label.objects.filter(return_request=return_request)
    if implies is None:
        assert not labels.exists()
        assert response.json()["label_id"] is None
    else:
        assert [(label.is_fraud, label.source) for label in labels] == [(implies, kind)]


def test_passed_inspection_after_a_chargeback_reverses_the_loss(api, approved):
    earlier = iso(timezone.now() - timedelta(days=2))
    api.post(
        URL, event(approved.order_id, "chargeback", "pay-1", observed_at=earlier), format="json"
    )
    assert booked(approved) == approved.order_value

    passed = event(approved.order_id, event_id="wh-2", result="passed")
    passed.pop("reason")
    assert api.post(URL, passed, format="json").status_code == 201

    assert booked(approved) == Decimal("0.00")
    assert Label.objects.filter(return_request=approved).count() == 2


def test_same_event_again_answers_with_the_first_result_and_books_once(api, approved):
    data = event(approved.order_id)
    first = api.post(URL, data, format="json")
    again = api.post(URL, {**data, "observed_at": data["observed_at"]}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert OutcomeEvent.objects.count() == 1
    assert Label.objects.count() == 1
    assert booked(approved) == approved.order_value


def test_another_body_under_a_used_event_id_is_a_409(api, approved):
    api.post(URL, event(approved.order_id), format="json")

    response = api.post(URL, event(approved.order_id, reason="wrong_item"), format="json")

    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["event_id"]
    assert OutcomeEvent.objects.get().details["reason"] == "empty_box"


def test_recorded_events_cannot_be_changed_or_deleted(api, submitter):
    ReturnRequestFactory(client=submitter, order_id="ORD-1")
    api.post(URL, event(kind="carrier_scan"), format="json")
    recorded = OutcomeEvent.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        OutcomeEvent.objects.filter(pk=recorded.pk).update(kind="chargeback")
    with pytest.raises(DatabaseError), transaction.atomic():
        recorded.delete()


def test_event_ids_are_each_clients_own(api, submitter, api_for):
    ReturnRequestFactory(client=submitter, order_id="ORD-1")
    other_api = api_for("labeler", "other-shop")
    from core.models import ApiClient

    ReturnRequestFactory(client=ApiClient.objects.get(name="other-shop"), order_id="ORD-1")

    assert api.post(URL, event(), format="json").status_code == 201
    assert other_api.post(URL, event(reason="wrong_item"), format="json").status_code == 201
    assert OutcomeEvent.objects.count() == 2


def test_event_for_another_clients_return_is_404(api):
    ReturnRequestFactory(client=ApiClientFactory(), order_id="THEIRS-1")
    response = api.post(URL, event("THEIRS-1"), format="json")
    assert response.status_code == 404
    assert not OutcomeEvent.objects.exists()
    assert not Label.objects.exists()


@pytest.mark.parametrize("role", ["submitter", "reviewer"])
def test_only_a_labeler_key_may_send_outcomes(api_for, role):
    response = api_for(role, f"{role}-client").post(URL, event(), format="json")
    assert response.status_code == 403


BAD_FIELDS = [
    ({"kind": None}, "kind", "missing"),
    ({"kind": "rumour"}, "kind", "not a kind"),
    ({"kind": ["inspection"]}, "kind", "not a string"),
    ({"event_id": None}, "event_id", "missing"),
    ({"event_id": "x" * 129}, "event_id", "too long"),
    ({"event_id": " "}, "event_id", "blank"),
    ({"order_id": 7}, "order_id", "not a string"),
    ({"observed_at": "2026-01-31T12:00:00"}, "observed_at", "no UTC offset"),
    ({"observed_at": "2999-01-01T00:00:00Z"}, "observed_at", "in the future"),
    ({"result": "meh"}, "result", "not a result"),
    ({"reason": None}, "reason", "failed without a reason"),
    ({"reason": "bored"}, "reason", "not a reason"),
    ({"result": "passed"}, "reason", "passed with a reason"),
    ({"status": "lost"}, "status", "another kind's field"),
]


@pytest.mark.parametrize(("changes", "field", "why"), BAD_FIELDS)
def test_bad_field_gets_400_naming_it(api, submitter, changes, field, why):
    ReturnRequestFactory(client=submitter, order_id="ORD-1")
    data = event()
    for name, value in changes.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    response = api.post(URL, data, format="json")
    assert response.status_code == 400, why
    assert list(response.json()["errors"]) == [field], why
    assert not OutcomeEvent.objects.exists()


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        ("carrier_scan", {"status": "teleported"}, "status"),
        ("chargeback", {"amount": "-5"}, "amount"),
        ("chargeback", {"amount": "1.234"}, "amount"),
        ("customer_service", {"note": ""}, "note"),
        ("customer_service", {"fraud_confirmed": "yes"}, "fraud_confirmed"),
    ],
)
def test_each_kinds_own_fields_are_validated(api, submitter, kind, changes, field):
    ReturnRequestFactory(client=submitter, order_id="ORD-1")
    response = api.post(URL, event(kind=kind, **changes), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_not_an_object_is_a_400(api):
    response = api.post(URL, [event()], format="json")
    assert response.status_code == 400


def test_batch_records_each_event_on_its_own(api, submitter, approved):
    ReturnRequestFactory(client=ApiClientFactory(), order_id="THEIRS-1")
    seen = event(approved.order_id, event_id="seen")
    api.post(URL, seen, format="json")
    events = [
        event(approved.order_id, "carrier_scan", "scan-1"),
        seen,
        {**seen, "reason": "damaged"},
        event("THEIRS-1", "chargeback", "pay-9"),
        {"kind": "inspection", "event_id": "broken"},
        "not an object",
    ]

    response = api.post(f"{URL}/batch", {"events": events}, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "recorded",
        "duplicate",
        "conflict",
        "unknown_order",
        "invalid",
        "invalid",
    ]
    assert sorted(results[4]["errors"]) == ["observed_at", "order_id", "result"]
    assert results[0]["event_id"] == "scan-1"
    assert OutcomeEvent.objects.count() == 2
    assert booked(approved) == approved.order_value


@pytest.mark.parametrize("field", ["event_id", "order_id", "reason_code", "note"])
def test_a_lone_surrogate_in_any_text_is_answered_not_a_500(api, submitter, field):
    ReturnRequestFactory(client=submitter, order_id="ORD-1")
    kind = {"reason_code": "chargeback", "note": "customer_service"}.get(field, "inspection")
    data = event(kind=kind)
    data[field] = "bad \ud800 text"
    response = api.generic("POST", URL, json.dumps(data), content_type="application/json")
    assert response.status_code < 500
