"""A Redis outage delays decisions but never fails or hangs a submission."""

import time

import pytest

from casework.services.pipeline import returns_decide_pending
from config.celery_app import app as celery_app
from intake.models import ReturnRequest
from tests.casework.test_api_returns_validation import VALID

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def broker_down():
    """Points the publisher at a port where nothing listens, as when Redis has died."""
    working = celery_app.conf.broker_url

    def point_at(url):
        celery_app.conf.broker_url = url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at("redis://127.0.0.1:9/0")
    yield
    point_at(working)


def test_submission_is_stored_and_answered_quickly_while_redis_is_down(
    api, active_model, broker_down
):
    started = time.monotonic()
    response = api.post("/api/v1/returns", VALID, format="json")
    elapsed = time.monotonic() - started
    assert response.status_code == 202
    assert elapsed < 5, f"the request waited {elapsed:.1f}s on a dead broker"
    stored = ReturnRequest.objects.get(order_id="ORD-1")
    assert stored.status == "pending"
    # Nothing was lost: whoever runs next (the sweeper's nudge) decides it.
    assert returns_decide_pending() == 1
    stored.refresh_from_db()
    assert stored.status != "pending"
