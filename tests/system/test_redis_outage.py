"""A Redis outage delays decisions but never fails or hangs a submission."""

import signal
import time

import pytest
from django.test import override_settings

from casework.services.pipeline import returns_decide_pending
from config import devstack
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


@pytest.fixture
def redis_of_the_desk(tmp_path, settings):
    """A Redis of the test's own, for the broker and the API limits alike, to freeze."""
    port = devstack.free_port()
    server = devstack.start_redis(
        datadir=tmp_path / "redis", port=port, log=tmp_path / "redis.log", persistent=False
    )
    url = f"redis://127.0.0.1:{port}/0"
    limits = {**settings.CACHES["api_limits"], "LOCATION": url}
    working = celery_app.conf.broker_url

    def point_at(broker_url):
        celery_app.conf.broker_url = broker_url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at(url)
    try:
        with override_settings(CACHES={**settings.CACHES, "api_limits": limits}):
            yield server
    finally:
        point_at(working)
        server.send_signal(signal.SIGCONT)
        devstack.stop([("redis", server)])


def test_submission_and_long_poll_answer_within_2s_while_redis_hangs(
    api, active_model, redis_of_the_desk, settings
):
    response = api.post("/api/v1/returns", {**VALID, "order_id": "ORD-before"}, format="json")
    assert response.status_code == 202
    # Stopped, not dead: connections are accepted and nothing ever answers, as when a server
    # hangs or its machine pauses.
    redis_of_the_desk.send_signal(signal.SIGSTOP)
    socket_timeout = settings.CACHES["api_limits"]["OPTIONS"]["socket_timeout"]
    for n in range(3):
        started = time.monotonic()
        response = api.post("/api/v1/returns", {**VALID, "order_id": f"ORD-{n}"}, format="json")
        elapsed = time.monotonic() - started
        assert response.status_code == 202
        assert elapsed < 2, f"submission {n} waited {elapsed:.1f}s on a hung Redis"
        if n:  # only the first finds out Redis hangs; the next leave it alone for a while
            assert elapsed < socket_timeout, f"submission {n} waited {elapsed:.2f}s"
    started = time.monotonic()
    response = api.get("/api/v1/returns/ORD-0?wait=5000")
    assert time.monotonic() - started < 2
    assert response["Long-Poll-Skipped"] == "unavailable"
    assert ReturnRequest.objects.filter(status="pending").count() == 4


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
