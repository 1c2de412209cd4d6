"""Probes: liveness, readiness (can this process serve), the pipeline (are returns decided)."""

from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from casework.services.health import SWEEPER_HEARTBEAT_KEY, sweeper_heartbeat_record
from casework.tasks import sweep_pending_returns
from intake.models import ReturnRequest
from tests.factories import ReturnRequestFactory


def test_healthz_answers_without_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_names_missing_model(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failures"] == {"model": "no active model version"}


def waiting(*, minutes):
    stuck = ReturnRequestFactory()
    moment = timezone.now() - timedelta(minutes=minutes)
    ReturnRequest.objects.filter(pk=stuck.pk).update(received_at=moment)


@pytest.fixture
def silent_sweeper():
    redis.Redis.from_url(settings.REDIS_URL).delete(SWEEPER_HEARTBEAT_KEY)


@pytest.mark.django_db
def test_pipeline_check_alarms_while_the_sweeper_is_silent(client, active_model, silent_sweeper):
    response = client.get("/healthz/pipeline")
    assert response.status_code == 503
    assert list(response.json()["problems"]) == ["sweeper"]
    sweep_pending_returns()  # what beat runs every 5 s, here in-process
    response = client.get("/healthz/pipeline")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["oldest_pending_seconds"]) == ("ok", 0)
    assert body["model"] == active_model.version


@pytest.mark.django_db
def test_pipeline_check_names_a_stuck_backlog_and_a_broken_model(client, active_model):
    sweeper_heartbeat_record()
    waiting(minutes=3)
    path = Path(settings.MODEL_ARTIFACT_DIR) / active_model.artifact_dir / "ood.joblib"
    path.unlink()
    response = client.get("/healthz/pipeline")
    assert response.status_code == 503
    problems = response.json()["problems"]
    assert set(problems) == {"backlog", "model"}
    assert str(settings.MODEL_ARTIFACT_DIR) not in problems["model"]  # no paths to anonymous


@pytest.mark.django_db
def test_readyz_stays_ready_when_only_the_pipeline_is_in_trouble(client, active_model):
    waiting(minutes=120)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_keeps_serving_through_a_redis_outage_and_the_pipeline_check_alarms(
    client, active_model, settings
):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there

    ready = client.get("/readyz")
    pipeline = client.get("/healthz/pipeline")

    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "degraded": {"redis": "unreachable: decisions wait until it is back"},
    }
    assert pipeline.status_code == 503
    assert "redis" in pipeline.json()["problems"]
