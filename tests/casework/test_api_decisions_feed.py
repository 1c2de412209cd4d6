"""The decisions feed: every decision and outcome change once, in commit order, by cursor."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.services.pipeline import returns_decide_pending
from tests.casework.test_api_returns_validation import VALID
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_feed_pages_through_every_decision_once(api, active_model):
    for n in range(7):
        api.post("/api/v1/returns", {**VALID, "order_id": f"F-{n}"}, format="json")
        returns_decide_pending()
    seen, cursor = [], None
    while True:
        query = f"?limit=3&after={cursor}" if cursor else "?limit=3"
        page = api.get(f"/api/v1/decisions{query}").json()
        if not page["results"]:
            break
        seen += [(item["return"]["order_id"], item["event"]) for item in page["results"]]
        cursor = page["next"]
    assert seen == [(f"F-{n}", "decision") for n in range(7)]
    assert api.get(f"/api/v1/decisions?after={cursor}").json() == {"results": [], "next": cursor}


def test_long_poll_returns_once_decided(api, active_model):
    api.post("/api/v1/returns", VALID, format="json")
    pending = api.get("/api/v1/returns/ORD-1?wait=0").json()
    assert pending["status"] == "pending"
    assert pending["decision"] is None

    def decide_later():
        time.sleep(0.5)  # the poll is waiting by then
        returns_decide_pending()

    decided, _ = run_concurrently(
        lambda: api.get("/api/v1/returns/ORD-1?wait=5000").json(), decide_later
    )
    assert decided["status"] in ("decided", "in_review")
    decision = decided["decision"]
    assert set(decision) == {
        "action",
        "fraud_probability",
        "ood_score",
        "ood",
        "expected_cost",
        "reasons",
        "budget",
        "model_version",
        "policy_version",
        "decided_at",
    }
    assert set(decision["expected_cost"]) == {"approve", "reject", "review"}
    assert set(decision["budget"]) == {"booked_loss", "budget", "remaining"}


def test_feed_query_count_does_not_grow_with_events(api, labeler_api, active_model):
    observed = (timezone.now() - timedelta(hours=1)).isoformat()

    def submit(order_id, customer_id, **fields):
        body = {**VALID, "order_id": order_id, "customer_id": customer_id, **fields}
        assert api.post("/api/v1/returns", body, format="json").status_code == 202

    def feed_queries():
        with CaptureQueriesContext(connection) as queries:
            events = api.get("/api/v1/decisions?limit=1000").json()["results"]
        return events, [query["sql"] for query in queries]

    # Two events: an approval, and a novel return that opens a case.
    submit("F-0", "CUST-F0")
    submit("R-0", "CUST-RING", order_value="2000.00", payment_method="Crypto")
    returns_decide_pending()
    two, few = feed_queries()
    # Eighteen more: approvals, returns that join the open case, and labels changing outcomes.
    for n in range(1, 7):
        submit(f"F-{n}", f"CUST-F{n}")
        submit(f"R-{n}", "CUST-RING", order_value="2000.00", payment_method="Crypto")
    returns_decide_pending()
    for n in range(1, 7):
        label = {"order_id": f"F-{n}", "is_fraud": False, "source": "inspection"}
        response = labeler_api.post(
            "/api/v1/labels", {**label, "observed_at": observed}, format="json"
        )
        assert response.status_code == 201
    twenty, many = feed_queries()

    assert (len(two), len(twenty)) == (2, 20)
    assert {e["event"] for e in twenty} == {"decision", "outcome"}
    assert {e["return"]["case"]["joined"] for e in twenty if e["return"]["case"]} == {False, True}
    assert len(many) == len(few), "\n".join(many)
