"""Reviewer API: list in priority order, claim, verdict, and the conflicts between them."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import ReviewCase
from core.choices import ApiRole
from tests.casework.conftest import claimed
from tests.factories import ReviewCaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_cases_are_listed_by_priority_with_keyset_pages(reviewer_api):
    for priority in ("5.00", "70.00", "-10.00", "30.00"):
        ReviewCaseFactory(priority=Decimal(priority))
    first = reviewer_api.get("/api/v1/cases?status=open&limit=3").json()
    assert [c["priority"] for c in first["results"]] == ["70.00", "30.00", "5.00"]
    assert set(first["results"][0]) >= {
        "id",
        "order_id",
        "customer_id",
        "order_value",
        "reasons",
        "priority",
        "claimed_by",
        "created_at",
    }
    second = reviewer_api.get(f"/api/v1/cases?status=open&limit=3&after={first['next']}").json()
    assert [c["priority"] for c in second["results"]] == ["-10.00"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "field"), [("status=maybe", "status"), ("limit=0", "limit"), ("after=zz", "after")]
)
def test_bad_case_list_parameters_are_named(reviewer_api, query, field):
    response = reviewer_api.get(f"/api/v1/cases?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_claim_held_by_someone_else_is_a_conflict(api_for):
    case = ReviewCaseFactory()
    first, second = api_for(ApiRole.REVIEWER, "one"), api_for(ApiRole.REVIEWER, "two")
    assert first.post(f"/api/v1/cases/{case.pk}/claim").status_code == 200
    assert second.post(f"/api/v1/cases/{case.pk}/claim").status_code == 409
    assert first.post(f"/api/v1/cases/{case.pk}/claim").json()["claimed_by"] == "api:one"


def test_verdict_needs_the_callers_claim_and_only_once(api_for):
    case = ReviewCaseFactory()
    holder, other = api_for(ApiRole.REVIEWER, "one"), api_for(ApiRole.REVIEWER, "two")
    body = {"verdict": "legitimate", "hold_customer": False, "note": "receipt checks out"}
    assert holder.post(f"/api/v1/cases/{case.pk}/verdict", body, format="json").status_code == 409
    holder.post(f"/api/v1/cases/{case.pk}/claim")
    assert other.post(f"/api/v1/cases/{case.pk}/verdict", body, format="json").status_code == 409
    done = holder.post(f"/api/v1/cases/{case.pk}/verdict", body, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "resolved"
    again = holder.post(f"/api/v1/cases/{case.pk}/verdict", body, format="json")
    assert again.status_code == 409
    case.return_request.refresh_from_db()
    assert case.return_request.outcome == "approved"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({}, "verdict"),
        ({"verdict": "fraud", "hold_customer": "yes"}, "hold_customer"),
        ({"verdict": "fraud", "note": 5}, "note"),
        ({"verdict": "fraud", "colour": "red"}, "colour"),
        ({"verdict": "legitimate", "hold_customer": True}, "hold_customer"),
    ],
)
def test_bad_verdict_body_is_named(reviewer_api, body, field):
    case = ReviewCaseFactory()
    reviewer_api.post(f"/api/v1/cases/{case.pk}/claim")
    response = reviewer_api.post(f"/api/v1/cases/{case.pk}/verdict", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_unknown_case_is_404(reviewer_api):
    assert reviewer_api.post("/api/v1/cases/999999/claim").status_code == 404


def test_submitter_key_and_anonymous_cannot_use_the_reviewer_api(api, client):
    assert api.get("/api/v1/cases").status_code == 403
    assert client.get("/api/v1/cases").status_code in (401, 403)


def test_signed_in_reviewer_reads_cases_and_session_posts_need_csrf():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(role="reviewer"))
    case = ReviewCaseFactory()
    assert client.get("/api/v1/cases").json()["results"][0]["id"] == case.pk
    # Session-authenticated writes are CSRF-checked like the pages.
    assert client.post(f"/api/v1/cases/{case.pk}/claim").status_code == 403


def test_conflicts_answer_in_the_api_error_shape(reviewer_api):
    case = ReviewCaseFactory()
    response = reviewer_api.post(
        f"/api/v1/cases/{case.pk}/verdict", {"verdict": "fraud"}, format="json"
    )
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}


def test_a_lapsed_claim_shows_no_holder(reviewer_api):
    case = ReviewCaseFactory()
    reviewer_api.post(f"/api/v1/cases/{case.pk}/claim")
    ReviewCase.objects.filter(pk=case.pk).update(claim_expires_at=timezone.now())
    listed = reviewer_api.get("/api/v1/cases").json()["results"]
    assert [c["claimed_by"] for c in listed if c["id"] == case.pk] == [None]


def test_case_list_query_count_does_not_grow_with_cases(reviewer_api, api_for):
    colleague = UserFactory(role="reviewer")
    other_desk = api_for(ApiRole.REVIEWER, "other-desk")

    def add(count):
        """`count` more cases: open, held by a signed-in reviewer, held over the API."""
        for index in range(count):
            case = ReviewCaseFactory()
            if index % 3 == 1:
                claimed(case, colleague)
            elif index % 3 == 2:
                assert other_desk.post(f"/api/v1/cases/{case.pk}/claim").status_code == 200

    def list_queries():
        with CaptureQueriesContext(connection) as queries:
            listed = reviewer_api.get("/api/v1/cases?limit=50").json()["results"]
        return listed, [query["sql"] for query in queries]

    # A key's use is recorded at most once a minute: the first request writes it, not the cases.
    assert reviewer_api.get("/api/v1/cases").json()["results"] == []
    add(2)
    two, few = list_queries()
    add(18)
    twenty, many = list_queries()

    assert (len(two), len(twenty)) == (2, 20)
    assert {c["claimed_by"] for c in twenty} == {None, colleague.username, "api:other-desk"}
    assert len(many) == len(few), "\n".join(many)
