"""POST /api/v1/labels: field rules, ownership, and the ledger following the newest label."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from budgets.models import LedgerAccount, LedgerEntry
from casework.models import FeedEvent, Label
from casework.selectors import return_labels_newest_first
from casework.services.pipeline import returns_decide_pending
from casework.services.review import case_claim, case_resolve
from core.models import AuditEvent
from tests.conftest import iso
from tests.factories import ApiClientFactory, ReturnRequestFactory, ReviewCaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(labeler_api):
    """Labels come with the shop's labeler key."""
    return labeler_api


@pytest.fixture
def approved(submitter, active_model):
    """One of the submitter's returns, approved by the pipeline with an expected loss booked."""
    return_request = ReturnRequestFactory(client=submitter, order_value=Decimal("80.00"))
    returns_decide_pending()
    return_request.refresh_from_db()
    assert return_request.outcome == "approved"
    return return_request


def body(order_id="ORD-1", **changes):
    data = {
        "order_id": order_id,
        "is_fraud": True,
        "source": "chargeback",
        "observed_at": iso(timezone.now() - timedelta(hours=1)),
    }
    data.update(changes)
    return data


def ledger_state(return_request):
    account = LedgerAccount.objects.get(customer=return_request.customer)
    entries = LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    booked = LedgerEntry.objects.filter(return_request=return_request).aggregate(
        total=Sum("amount")
    )["total"]
    assert account.balance == entries  # the ledger's invariant, checked at every step
    return booked


BAD_FIELDS = [
    ("order_id", None, "missing"),
    ("order_id", 17, "not a string"),
    ("order_id", "x" * 65, "too long"),
    ("is_fraud", None, "missing"),
    ("is_fraud", "true", "a string"),
    ("is_fraud", 1, "an integer"),
    ("source", None, "missing"),
    ("source", "review", "only a verdict writes review labels"),
    ("source", "rumour", "not a source"),
    ("source", 3, "not a string"),
    ("observed_at", None, "missing"),
    ("observed_at", "last Tuesday", "not ISO 8601"),
    ("observed_at", 1735689600, "a number"),
    ("observed_at", "2025-01-31T12:00:00", "no UTC offset"),
    ("observed_at", "2999-01-01T00:00:00Z", "in the future"),
    ("colour", "red", "unknown field"),
]


@pytest.mark.parametrize(("field", "value", "why"), BAD_FIELDS)
def test_bad_field_gets_400_naming_it(api, submitter, field, value, why):
    ReturnRequestFactory(client=submitter, order_id="ORD-1")
    data = body()
    if value is None:
        data.pop(field)
    else:
        data[field] = value
    response = api.post("/api/v1/labels", data, format="json")
    assert response.status_code == 400, why
    payload = response.json()
    assert payload["detail"] == "Invalid input."
    assert list(payload["errors"]) == [field], why
    assert not Label.objects.exists()


def test_label_for_another_clients_return_is_404(api):
    ReturnRequestFactory(client=ApiClientFactory(), order_id="THEIRS-1")
    response = api.post("/api/v1/labels", body("THEIRS-1"), format="json")
    assert response.status_code == 404
    assert not Label.objects.exists()


def test_a_reviewer_key_may_not_label(reviewer_api):
    response = reviewer_api.post("/api/v1/labels", body(), format="json")
    assert response.status_code == 403


def test_fraud_label_on_approved_return_books_the_realized_loss(api, approved):
    expected_loss = ledger_state(approved)
    assert Decimal("0") < expected_loss < approved.order_value

    response = api.post("/api/v1/labels", body(approved.order_id), format="json")

    assert response.status_code == 201
    assert response.json()["order_id"] == approved.order_id
    assert response.json()["is_fraud"] is True
    assert response.json()["source"] == "chargeback"
    assert ledger_state(approved) == approved.order_value
    assert FeedEvent.objects.filter(return_request=approved, kind="outcome").count() == 1
    audit = AuditEvent.objects.get(action="label.record")
    assert (audit.actor_label, audit.before, audit.after["is_fraud"]) == (
        "api:shop",
        {"is_fraud": None},
        True,
    )


def test_later_legitimate_label_reverses_the_loss_and_both_labels_are_kept(api, approved):
    earlier = timezone.now() - timedelta(days=2)
    api.post("/api/v1/labels", body(approved.order_id, observed_at=iso(earlier)), format="json")
    assert ledger_state(approved) == approved.order_value

    response = api.post(
        "/api/v1/labels",
        body(approved.order_id, is_fraud=False, source="inspection"),
        format="json",
    )

    assert response.status_code == 201
    assert ledger_state(approved) == Decimal("0.00")
    labels, conflict = return_labels_newest_first(return_request=approved)
    assert [(label.is_fraud, label.source) for label in labels] == [
        (False, "inspection"),
        (True, "chargeback"),
    ]
    assert conflict
    assert FeedEvent.objects.filter(return_request=approved, kind="outcome").count() == 2


def test_older_conflicting_label_is_kept_but_does_not_move_the_ledger(api, approved):
    api.post("/api/v1/labels", body(approved.order_id), format="json")
    stale = body(
        approved.order_id,
        is_fraud=False,
        source="customer_service",
        observed_at=iso(timezone.now() - timedelta(days=30)),
    )

    response = api.post("/api/v1/labels", stale, format="json")

    assert response.status_code == 201
    assert Label.objects.filter(return_request=approved).count() == 2
    assert ledger_state(approved) == approved.order_value
    assert FeedEvent.objects.filter(return_request=approved, kind="outcome").count() == 1


def test_same_observation_twice_is_recorded_once(api, approved):
    data = body(approved.order_id)
    first = api.post("/api/v1/labels", data, format="json")
    again = api.post("/api/v1/labels", data, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Label.objects.count() == 1
    assert ledger_state(approved) == approved.order_value


def test_label_on_rejected_return_books_nothing(api, submitter, active_model):
    rejected = ReturnRequestFactory(client=submitter, status="decided", outcome="rejected")
    response = api.post("/api/v1/labels", body(rejected.order_id), format="json")
    assert response.status_code == 201
    assert not LedgerEntry.objects.filter(return_request=rejected).exists()
    assert FeedEvent.objects.filter(return_request=rejected, kind="outcome").exists()


def test_label_that_arrives_before_the_decision_settles_the_approval(api, submitter, active_model):
    pending = ReturnRequestFactory(client=submitter, order_value=Decimal("80.00"))
    assert api.post("/api/v1/labels", body(pending.order_id), format="json").status_code == 201
    returns_decide_pending()
    pending.refresh_from_db()
    assert pending.outcome == "approved"
    assert ledger_state(pending) == pending.order_value  # the realized loss, not the expected


def test_verdict_outranks_an_earlier_label_dated_slightly_ahead_of_our_clock(api, submitter):
    case = ReviewCaseFactory(decision__return_request__client=submitter)
    ahead = iso(timezone.now() + timedelta(minutes=4))  # inside the allowed clock skew
    order_id = case.return_request.order_id
    assert (
        api.post("/api/v1/labels", body(order_id, observed_at=ahead), format="json").status_code
        == 201
    )
    reviewer = UserFactory(role="reviewer")
    case_claim(case_id=case.pk, actor=reviewer)
    case_resolve(case_id=case.pk, actor=reviewer, verdict="legitimate")
    newest = return_labels_newest_first(return_request=case.return_request)[0][0]
    assert (newest.source, newest.is_fraud) == ("review", False)
    assert not LedgerEntry.objects.filter(return_request=case.return_request).exists()
