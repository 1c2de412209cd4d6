"""Probes: liveness, readiness (can this process serve), the pipeline (are returns decided)."""

from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from casework.services.health import SWEEPER_HEARTBEAT_KEY, sweeper_heartbeat_record
from casework.tasks import sweep_pending_returns
from intake.models import ReturnRequest
from scoring.services import models as models_service
from tests.factories import ReturnRequestFactory, UserFactory


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


@pytest.fixture
def operator(client):
    """The pipeline check names what is wrong to a signed-in lead; anonymous callers get the
    status alone."""
    client.force_login(UserFactory(role="lead"))
    return client


@pytest.mark.django_db
def test_pipeline_check_alarms_while_the_sweeper_is_silent(operator, active_model, silent_sweeper):
    client = operator
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
def test_pipeline_check_names_a_stuck_backlog_and_a_broken_model(operator, active_model):
    client = operator
    sweeper_heartbeat_record()
    waiting(minutes=3)
    path = Path(settings.MODEL_ARTIFACT_DIR) / active_model.artifact_dir / "ood.joblib"
    path.unlink()
    response = client.get("/healthz/pipeline")
    assert response.status_code == 503
    problems = response.json()["problems"]
    assert set(problems) == {"backlog", "model"}
    assert str(settings.MODEL_ARTIFACT_DIR) not in problems["model"]  # no paths in answers


@pytest.mark.django_db
def test_readyz_stays_ready_when_only_the_pipeline_is_in_trouble(client, active_model):
    waiting(minutes=120)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_keeps_serving_through_a_redis_outage_and_the_alerts_fire(
    operator, active_model, settings
):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there

    ready = operator.get("/readyz")
    redis_health = operator.get("/healthz/redis")
    pipeline = operator.get("/healthz/pipeline")

    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert (redis_health.status_code, redis_health.json()) == (503, {"status": "unavailable"})
    assert pipeline.status_code == 503
    assert "redis" in pipeline.json()["problems"]


@pytest.mark.django_db
def test_redis_health_answers_while_redis_is_up(client):
    assert client.get("/healthz/redis").json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, "reviewer"])
def test_pipeline_details_are_for_operators_only(client, active_model, silent_sweeper, role):
    if role:
        client.force_login(UserFactory(role=role))
    response = client.get("/healthz/pipeline")
    assert (response.status_code, response.json()) == (503, {"status": "failing"})


@pytest.mark.django_db
def test_pipeline_check_hashes_the_model_files_again_only_once_they_change(
    operator, active_model, monkeypatch
):
    sweeper_heartbeat_record()
    hashed = []
    real = models_service.model_version_verify
    monkeypatch.setattr(
        models_service, "model_version_verify", lambda mv: hashed.append(mv.pk) or real(mv)
    )
    models_service._verified.clear()

    assert operator.get("/healthz/pipeline").status_code == 200
    assert operator.get("/healthz/pipeline").status_code == 200
    assert hashed == [active_model.pk]

    path = Path(settings.MODEL_ARTIFACT_DIR) / active_model.artifact_dir / "report.json"
    path.write_text(path.read_text() + " ")  # altered: a new modification time and size
    response = operator.get("/healthz/pipeline")
    assert response.status_code == 503
    assert response.json()["problems"]["model"].endswith("artifact files missing or altered")
    assert hashed == [active_model.pk, active_model.pk]


@pytest.fixture
def database_down(settings):
    """The default database refuses connections while the test runs (a port nothing serves)."""
    connection.close()
    port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "9"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_database_down_readiness_and_the_pipeline_answer_503(client, database_down):
    ready = client.get("/readyz")
    pipeline = client.get("/healthz/pipeline")

    assert (ready.status_code, ready.json()["failures"]) == (503, {"database": "unreachable"})
    assert (pipeline.status_code, pipeline.json()) == (503, {"status": "failing"})
