"""Submitting returns: acceptance, idempotent resubmission, conflicts, batches, visibility."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.choices import ApiRole
from intake.models import ReturnRequest
from tests.casework.test_api_returns_validation import VALID
from tests.factories import DecisionFactory, ReturnRequestFactory, ReviewCaseFactory


@pytest.mark.django_db
def test_submit_returns_202_with_the_return_as_the_detail_shows_it_and_where_to_poll(api):
    response = api.post("/api/v1/returns", VALID, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body == {
        "order_id": "ORD-1",
        "customer_id": "CUST-1",
        "status": "pending",
        "outcome": None,
        "decision": None,
        "case": None,
        "url": "http://testserver/api/v1/returns/ORD-1",
    }
    assert response["Location"] == body["url"]
    assert api.get("/api/v1/returns/ORD-1").json() == body
    stored = ReturnRequest.objects.get()
    assert str(stored.order_value) == "129.99"
    assert stored.currency == "USD"


@pytest.mark.django_db
def test_a_new_return_is_answered_without_reading_back_a_decision_or_case_it_cannot_have(api):
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/returns", VALID, format="json")
    assert response.status_code == 202
    assert (response.json()["decision"], response.json()["case"]) == (None, None)
    read_back = [
        q["sql"] for q in queries if "scoring_decision" in q["sql"] or "casework_" in q["sql"]
    ]
    assert read_back == []


@pytest.mark.django_db
def test_a_decided_return_submitted_again_is_answered_with_its_decision(api):
    api.post("/api/v1/returns", VALID, format="json")
    DecisionFactory(return_request=ReturnRequest.objects.get(), action="approve")
    again = api.post("/api/v1/returns", VALID, format="json")
    assert again.status_code == 200
    assert again.json()["decision"]["action"] == "approve"


@pytest.mark.django_db
def test_same_body_again_gives_200_with_the_stored_return(api):
    api.post("/api/v1/returns", VALID, format="json")
    again = api.post("/api/v1/returns", {**VALID, "order_value": 129.99}, format="json")
    assert again.status_code == 200
    assert again.json()["order_id"] == "ORD-1"
    assert ReturnRequest.objects.count() == 1


@pytest.mark.django_db
def test_same_order_with_another_body_is_a_conflict(api):
    api.post("/api/v1/returns", VALID, format="json")
    response = api.post("/api/v1/returns", {**VALID, "order_value": "10.00"}, format="json")
    assert response.status_code == 409
    assert "order_id" in response.json()["errors"]


@pytest.mark.django_db
def test_idempotency_key_replays_first_response_and_refuses_another_body(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "key-1"}
    first = api.post("/api/v1/returns", VALID, format="json", **headers)
    replay = api.post("/api/v1/returns", VALID, format="json", **headers)
    assert first.status_code == replay.status_code == 202
    assert first.json() == replay.json()
    other = api.post("/api/v1/returns", {**VALID, "order_id": "ORD-2"}, format="json", **headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["errors"]
    assert ReturnRequest.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["a\x00b", "tab\there", "k" * 256])
def test_unusable_idempotency_key_is_named_and_nothing_is_stored(api, key):
    response = api.post("/api/v1/returns", VALID, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not ReturnRequest.objects.exists()


@pytest.mark.django_db
def test_a_batch_answer_quoting_a_nul_is_kept_for_its_idempotency_key(api):
    # The answer names the unknown field as sent; jsonb cannot hold NUL, so it is kept as U+FFFD.
    body = {"returns": [{**VALID, "order_id": "B-1"}, {**VALID, "order_id": "B-2", "x\x00": 1}]}
    headers = {"HTTP_IDEMPOTENCY_KEY": "nul-batch"}

    first = api.post("/api/v1/returns/batch", body, format="json", **headers)
    replay = api.post("/api/v1/returns/batch", body, format="json", **headers)

    assert first.status_code == replay.status_code == 202
    assert first.json() == replay.json()
    assert list(first.json()["results"][1]["errors"]) == ["x\ufffd"]
    assert ReturnRequest.objects.filter(order_id="B-1").count() == 1


@pytest.mark.django_db
def test_missing_velocity_and_ratio_are_derived_from_customer_history(api):
    api.post(
        "/api/v1/returns", {**VALID, "return_ratio": 0.4, "returns_velocity_30d": 2}, format="json"
    )
    api.post("/api/v1/returns", {**VALID, "order_id": "ORD-2"}, format="json")
    second = ReturnRequest.objects.get(order_id="ORD-2")
    assert second.returns_velocity_30d == 1
    assert second.return_ratio == 0.4
    assert sorted(second.derived_fields) == ["return_ratio", "returns_velocity_30d"]


@pytest.mark.django_db
def test_batch_stores_valid_items_and_reports_each_in_order(api):
    api.post("/api/v1/returns", VALID, format="json")
    items = [
        {**VALID, "order_id": "B-1"},
        {**VALID, "order_id": "B-2", "order_value": -5},
        VALID,
        {**VALID, "order_id": "B-1"},
        {**VALID, "order_id": "ORD-1", "order_value": "1.00"},
        "not an object",
        {**VALID, "order_id": "B-3", "extra": 1},
    ]
    response = api.post("/api/v1/returns/batch", {"returns": items}, format="json")
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "invalid",
        "duplicate",
        "duplicate",
        "conflict",
        "invalid",
        "invalid",
    ]
    assert [r["order_id"] for r in results] == ["B-1", "B-2", "ORD-1", "B-1", "ORD-1", None, "B-3"]
    assert list(results[1]["errors"]) == ["order_value"]
    assert list(results[6]["errors"]) == ["extra"]
    assert set(ReturnRequest.objects.values_list("order_id", flat=True)) == {"ORD-1", "B-1"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{}, {"returns": []}, {"returns": "x"}, {"returns": [VALID] * 1001}, {"returns": [], "x": 1}],
    ids=["missing", "empty", "not-a-list", "too-many", "unknown-field"],
)
def test_bad_batch_envelope_is_refused_whole(api, body):
    response = api.post("/api/v1/returns/batch", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert not ReturnRequest.objects.exists()


@pytest.mark.django_db
def test_a_submitter_sees_only_its_own_returns(api, api_for):
    api.post("/api/v1/returns", VALID, format="json")
    other = api_for(ApiRole.SUBMITTER, "other-shop")
    assert other.get("/api/v1/returns/ORD-1").status_code == 404
    assert other.get("/api/v1/decisions").json()["results"] == []


@pytest.mark.django_db
def test_reviewer_key_cannot_submit_returns(reviewer_api):
    assert reviewer_api.post("/api/v1/returns", VALID, format="json").status_code == 403


@pytest.mark.django_db
def test_api_key_is_stored_only_as_a_hash(submitter):
    stored = submitter.keys.get()
    assert submitter.key not in (stored.hash, stored.prefix)
    assert len(stored.hash) == 64


@pytest.mark.django_db
def test_idempotent_retry_matches_the_same_json_however_it_is_formatted(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "key-2"}
    compact = json.dumps(VALID, separators=(",", ":"))
    spaced = json.dumps(dict(reversed(list(VALID.items()))), indent=2)
    first = api.generic("POST", "/api/v1/returns", compact, "application/json", **headers)
    retry = api.generic("POST", "/api/v1/returns", spaced, "application/json", **headers)
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json() == first.json()


@pytest.mark.django_db
def test_a_form_encoded_body_is_refused_as_unsupported(api):
    response = api.post("/api/v1/returns", VALID)  # multipart, as a browser form would send
    assert response.status_code == 415
    assert not ReturnRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run-debug"])
@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/returns/", "/api/v1/cases/null,null/claim"]
)
def test_unknown_api_paths_answer_json_404(api, path, debug, settings):
    settings.DEBUG = debug
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No such endpoint.", "errors": {}}


def test_a_return_shows_its_case_and_whether_it_joined_another_returns_case(api, submitter):
    case = ReviewCaseFactory(
        decision__return_request__client=submitter, decision__return_request__order_id="FIRST"
    )
    ReturnRequestFactory(
        client=submitter,
        customer=case.return_request.customer,
        order_id="LATER",
        status="in_review",
        joined_case=case,
    )

    first = api.get("/api/v1/returns/FIRST").json()["case"]
    later = api.get("/api/v1/returns/LATER").json()["case"]

    assert first == {"id": case.pk, "status": "open", "joined": False}
    assert later == {"id": case.pk, "status": "open", "joined": True}
