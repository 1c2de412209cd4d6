"""A waiting GET /api/v1/returns/{id}?wait= is woken by the decision's commit (PostgreSQL
NOTIFY), not by re-reading the database on a timer."""

import time

import pytest

from casework.api.views import returns as returns_views
from casework.services import wakeups
from casework.services.pipeline import returns_decide_pending
from intake.models import ReturnRequest
from tests.casework.test_api_returns_validation import VALID
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def waiters_for(return_id: int) -> int:
    return len(wakeups._listener._waiting.get(return_id, ()))


def test_a_waiting_request_answers_when_the_decision_commits(api, active_model, monkeypatch):
    # With the timer fallback longer than the wait, only the notification can end the wait
    # with a decision before its deadline.
    monkeypatch.setattr(returns_views, "FALLBACK_POLL_SECONDS", 60.0)
    api.post("/api/v1/returns", VALID, format="json")
    return_id = ReturnRequest.objects.get(order_id="ORD-1").pk

    def wait():
        began = time.monotonic()
        body = api.get("/api/v1/returns/ORD-1?wait=10000").json()
        return body, time.monotonic() - began

    def decide_once_it_waits():
        deadline = time.monotonic() + 10
        while not waiters_for(return_id) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiters_for(return_id) == 1
        return returns_decide_pending()

    (body, waited), decided = run_concurrently(wait, decide_once_it_waits)

    assert decided == 1
    assert body["status"] != "pending"
    assert body["decision"] is not None
    assert waited < 9.5  # woken, not timed out (the deadline would answer `pending`)
    assert waiters_for(return_id) == 0


def test_a_wait_without_a_listener_still_sees_the_decision(api, active_model, monkeypatch):
    """A lost listener (the database restarted) slows waits down to the timer, never strands
    them."""
    monkeypatch.setattr(wakeups, "returns_decided_notify", lambda return_ids: None)
    monkeypatch.setattr("casework.services.pipeline.returns_decided_notify", lambda ids: None)
    monkeypatch.setattr(returns_views, "FALLBACK_POLL_SECONDS", 0.2)
    api.post("/api/v1/returns", VALID, format="json")

    def decide_soon():
        time.sleep(0.3)
        return returns_decide_pending()

    body, _ = run_concurrently(
        lambda: api.get("/api/v1/returns/ORD-1?wait=8000").json(), decide_soon
    )
    assert body["decision"] is not None
