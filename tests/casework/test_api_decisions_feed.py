"""The decisions feed: every decision and outcome change once, in commit order, by cursor."""

import time

import pytest

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
