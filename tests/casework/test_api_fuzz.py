"""Generated input for every API endpoint: never a 500, 400s that say why, nothing half-stored.

The hand-written cases in the other API tests pin each rule; these throw what a careless or
hostile client might send (any JSON, odd Unicode, huge numbers, strange paths and queries).
Examples are derandomised, so a run is repeatable and a failure reproduces.
"""

import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
from django.db.models import Sum
from hypothesis import event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from budgets.models import LedgerAccount
from casework.models import Label, OutcomeEvent
from casework.services.pipeline import returns_decide_pending
from intake.models import ReturnRequest
from scoring.models import Decision
from tests.factories import ReviewCaseFactory

pytestmark = pytest.mark.django_db


NOW = datetime.now(UTC).replace(tzinfo=None)
VALID_RETURN = {
    "order_id": "ORD-FUZZ",
    "customer_id": "CUST-FUZZ",
    "order_value": "129.99",
    "product_category": "Electronics",
    "payment_method": "Credit Card",
    "days_since_purchase": 4,
    "return_ratio": 0.2,
    "returns_velocity_30d": 1,
    "currency": "USD",
    "submitted_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
}
RETURN_FIELDS = list(VALID_RETURN)
ORDER_NUMBERS = itertools.count()
LABEL_FIELDS = ["order_id", "is_fraud", "source", "observed_at"]
VERDICT_FIELDS = ["verdict", "hold_customer", "note"]
OUTCOME_COMMON = {
    "event_id": "EV-FUZZ",
    "order_id": "ORD-FUZZ",
    "observed_at": "2026-01-02T00:00:00Z",
}
VALID_OUTCOMES = [
    {**OUTCOME_COMMON, "kind": "carrier_scan", "status": "weight_mismatch"},
    {**OUTCOME_COMMON, "kind": "inspection", "result": "failed", "reason": "empty_box"},
    {**OUTCOME_COMMON, "kind": "chargeback", "amount": "80.00", "reason_code": "10.4"},
    {**OUTCOME_COMMON, "kind": "customer_service", "note": "called", "fraud_confirmed": True},
]
OUTCOME_FIELDS = sorted({name for valid in VALID_OUTCOMES for name in valid})
EVENT_NUMBERS = itertools.count()

# Text with what breaks naive code: NUL, lone surrogates, control and combining characters.
awkward_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
numbers_as_text = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e309", "-0", " 12 ", "0x10", "1_000", "12.345", "9" * 40]
)
dates_as_text = st.sampled_from(
    ["2026-02-30T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00", "0001-01-01T00:00:00Z", "now"]
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    awkward_text,
    numbers_as_text,
    dates_as_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(awkward_text, inner, max_size=3),
    max_leaves=6,
)


# Values each field accepts, at their edges: they pass validation and stress what comes after.
# Ids that are awkward in a URL: a path separator, dots, escapes, a route's own name.
url_awkward_ids = st.sampled_from(["A/1", "..", ".", "%2F", "a?b", "a#b", "batch", " ", "é"])
EDGE_VALUES = {
    "order_id": st.text(min_size=1, max_size=64) | url_awkward_ids,
    "customer_id": st.text(min_size=1, max_size=64) | url_awkward_ids,
    "order_value": st.decimals(min_value=0, max_value=1_000_000, places=2).map(str),
    "product_category": st.text(min_size=1, max_size=64),
    "payment_method": st.text(min_size=1, max_size=64),
    "days_since_purchase": st.integers(min_value=0, max_value=3650),
    "return_ratio": st.floats(min_value=0, max_value=1),
    "returns_velocity_30d": st.integers(min_value=0, max_value=100_000),
    # Within the week a submitted_at may lag the desk's clock by default.
    "submitted_at": st.datetimes(
        min_value=NOW - timedelta(days=6), max_value=NOW, timezones=st.just(UTC)
    ).map(datetime.isoformat),
    "is_fraud": st.booleans(),
    "hold_customer": st.booleans(),
    "note": st.text(max_size=200),
    "event_id": st.text(min_size=1, max_size=128),
    "kind": st.sampled_from(["carrier_scan", "inspection", "chargeback", "customer_service"]),
    "status": st.sampled_from(["in_transit", "lost", "weight_mismatch"]),
    "result": st.sampled_from(["passed", "failed"]),
    "reason": st.sampled_from(["empty_box", "wrong_item", "damaged", "other"]),
    "amount": st.decimals(min_value=0, max_value=1_000_000, places=2).map(str),
    "reason_code": st.text(min_size=1, max_size=32),
    "fraud_confirmed": st.booleans(),
}


def objects_like(valid: dict, fields: list[str]):
    """A valid object with some fields dropped, some replaced by anything, some unknown added."""
    edge = st.fixed_dictionaries(
        {}, optional={f: EDGE_VALUES[f] for f in fields if f in EDGE_VALUES}
    )
    replaced = st.dictionaries(st.sampled_from(fields) | awkward_text, json_values, max_size=3)
    dropped = st.sets(st.sampled_from(fields), max_size=2)
    return st.builds(
        lambda edges, new, gone: {
            k: v for k, v in {**valid, **edges, **new}.items() if k not in gone
        },
        edge,
        st.one_of(st.just({}), replaced),
        st.one_of(st.just(frozenset()), dropped),
    )


def any_body(valid: dict, fields: list[str]):
    """Mostly near-valid objects; sometimes any JSON value at all."""
    return st.one_of(objects_like(valid, fields), objects_like(valid, fields), json_values)


def post_raw(http: APIClient, url: str, body, **headers):
    # json.dumps escapes lone surrogates, so they reach the server as the JSON a client would send.
    return http.generic("POST", url, json.dumps(body), content_type="application/json", **headers)


def assert_clean_answer(response):
    """Below 500; a 400 says what was wrong, field by field when it names fields."""
    assert response.status_code < 500, response.content[:500]
    event(f"HTTP {response.status_code}")  # --hypothesis-show-statistics shows the spread
    if response.status_code == 400:
        payload = response.json()
        assert payload.get("detail"), payload
        errors = payload.get("errors", {})
        assert isinstance(errors, dict), payload
        assert all(isinstance(messages, list | dict) for messages in errors.values()), payload


@given(body=any_body(VALID_RETURN, RETURN_FIELDS))
def test_return_submission_never_fails_and_stores_only_what_it_accepts(api, body):
    if isinstance(body, dict) and body.get("order_id") == VALID_RETURN["order_id"]:
        body["order_id"] = f"ORD-FUZZ-{next(ORDER_NUMBERS)}"  # else most examples are duplicates
    before = ReturnRequest.objects.count()
    response = post_raw(api, "/api/v1/returns", body)
    assert_clean_answer(response)
    stored = ReturnRequest.objects.count() - before
    assert stored == (1 if response.status_code == 202 else 0), response.content[:300]


@given(
    rows=st.lists(any_body(VALID_RETURN, RETURN_FIELDS), min_size=1, max_size=4),
    wrap=st.booleans(),
)
def test_batch_answers_for_every_row_and_stores_exactly_the_accepted(api, rows, wrap):
    for row in rows:
        if isinstance(row, dict) and row.get("order_id") == VALID_RETURN["order_id"]:
            row["order_id"] = f"ORD-FUZZ-{next(ORDER_NUMBERS)}"
    body = {"returns": rows} if wrap else rows
    before = ReturnRequest.objects.count()
    response = post_raw(api, "/api/v1/returns/batch", body)
    assert_clean_answer(response)
    stored = ReturnRequest.objects.count() - before
    if response.status_code != 202:
        assert stored == 0, response.content[:300]
        return
    results = response.json()["results"]
    assert len(results) == len(rows)
    assert stored == sum(result["status"] == "accepted" for result in results)
    for result in results:
        assert bool(result["errors"]) == (result["status"] in ("invalid", "conflict")), result


@settings(max_examples=40)
@given(
    rows=st.lists(
        st.fixed_dictionaries({f: EDGE_VALUES[f] for f in RETURN_FIELDS if f in EDGE_VALUES}),
        min_size=1,
        max_size=5,
    )
)
def test_every_accepted_return_is_decided_whatever_its_values(api, active_model, rows):
    for row in rows:
        row["order_id"] = f"ORD-EDGE-{next(ORDER_NUMBERS)}"
    response = post_raw(api, "/api/v1/returns/batch", {"returns": rows})
    assert response.status_code == 202, response.content[:500]
    returns_decide_pending()
    results = response.json()["results"]
    order_ids = [result["order_id"] for result in results if result["status"] == "accepted"]
    # Decided once each, whether approved, rejected or sent to review.
    assert Decision.objects.filter(return_request__order_id__in=order_ids).count() == len(order_ids)
    assert not ReturnRequest.objects.filter(order_id__in=order_ids, status="pending").exists()
    for account in LedgerAccount.objects.all():
        booked = account.entries.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        assert account.balance == booked


@given(
    body=any_body(
        {
            "order_id": "ORD-FUZZ",
            "is_fraud": True,
            "source": "chargeback",
            "observed_at": "2026-01-02T00:00:00Z",
        },
        LABEL_FIELDS,
    )
)
def test_label_submission_never_fails(api, labeler_api, body):
    post_raw(api, "/api/v1/returns", VALID_RETURN)  # something to label; later examples replay it
    before = Label.objects.count()
    response = post_raw(labeler_api, "/api/v1/labels", body)
    assert_clean_answer(response)
    if response.status_code >= 400:
        assert Label.objects.count() == before


def outcome_bodies():
    return st.one_of(*(any_body(valid, OUTCOME_FIELDS) for valid in VALID_OUTCOMES))


def fresh_event_id(body):
    """Most examples would reuse the valid body's event id, and so be 409s; give them their own."""
    if isinstance(body, dict) and body.get("event_id") == OUTCOME_COMMON["event_id"]:
        body["event_id"] = f"EV-FUZZ-{next(EVENT_NUMBERS)}"


@given(body=outcome_bodies())
def test_outcome_event_never_fails_and_stores_only_what_it_accepts(api, labeler_api, body):
    post_raw(api, "/api/v1/returns", VALID_RETURN)  # something to report on
    fresh_event_id(body)
    before = OutcomeEvent.objects.count()
    response = post_raw(labeler_api, "/api/v1/outcomes", body)
    assert_clean_answer(response)
    stored = OutcomeEvent.objects.count() - before
    assert stored == (1 if response.status_code == 201 else 0), response.content[:300]
    if response.status_code == 201:
        recorded = response.json()
        assert (recorded["label_id"] is None) == (recorded["implies_fraud"] is None), recorded


@given(
    events=st.lists(outcome_bodies(), min_size=1, max_size=4),
    wrap=st.booleans(),
)
def test_outcome_batch_answers_for_every_event(api, labeler_api, events, wrap):
    post_raw(api, "/api/v1/returns", VALID_RETURN)
    for item in events:
        fresh_event_id(item)
    before = OutcomeEvent.objects.count()
    response = post_raw(
        labeler_api, "/api/v1/outcomes/batch", {"events": events} if wrap else events
    )
    assert_clean_answer(response)
    stored = OutcomeEvent.objects.count() - before
    if response.status_code != 200:
        assert stored == 0, response.content[:300]
        return
    results = response.json()["results"]
    assert len(results) == len(events)
    assert stored == sum(result["status"] == "recorded" for result in results)
    for result in results:
        assert bool(result["errors"]) == (result["status"] not in ("recorded", "duplicate"))


@given(body=any_body({"verdict": "fraud", "hold_customer": False, "note": ""}, VERDICT_FIELDS))
def test_verdict_body_never_fails(reviewer_api, body):
    case = ReviewCaseFactory()
    assert reviewer_api.post(f"/api/v1/cases/{case.pk}/claim").status_code == 200
    response = post_raw(reviewer_api, f"/api/v1/cases/{case.pk}/verdict", body)
    assert_clean_answer(response)
    case.refresh_from_db()
    assert (case.status == "resolved") == (response.status_code == 200)


query_values = awkward_text | st.integers(min_value=-(2**70), max_value=2**70).map(str)


@given(
    order_id=awkward_text,
    wait=st.one_of(awkward_text.filter(lambda s: not s.strip().isdigit()), st.just("0")),
    after=query_values,
    limit=query_values,
    status=query_values,
    idempotency_key=awkward_text,
)
def test_paths_queries_and_headers_never_fail(
    api, reviewer_api, order_id, wait, after, limit, status, idempotency_key
):
    assert_clean_answer(api.get(f"/api/v1/returns/{quote(order_id, safe='')}?wait={quote(wait)}"))
    assert_clean_answer(api.get(f"/api/v1/decisions?{urlencode({'after': after, 'limit': limit})}"))
    query = urlencode({"status": status, "after": after, "limit": limit})
    assert_clean_answer(reviewer_api.get(f"/api/v1/cases?{query}"))
    assert_clean_answer(reviewer_api.post(f"/api/v1/cases/{quote(order_id, safe='')}/claim"))
    # A header value can only carry Latin-1; what a client could put there, the server must take.
    header = idempotency_key.encode("latin-1", "replace").decode("latin-1")
    response = post_raw(api, "/api/v1/returns", VALID_RETURN, HTTP_IDEMPOTENCY_KEY=header)
    assert_clean_answer(response)
