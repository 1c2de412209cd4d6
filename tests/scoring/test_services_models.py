"""Model versions: activation, rollback, and refusal of tampered artifacts."""

from pathlib import Path

import pytest
from django.conf import settings

from core.models import AuditEvent
from ml.artifacts import TamperedArtifactError
from scoring.models import ModelVersion
from scoring.services.models import (
    model_active,
    model_version_activate,
    model_version_load,
    model_version_register,
    model_version_rollback,
)


@pytest.mark.django_db
def test_register_records_hashes_schema_and_data_hash(active_model):
    assert active_model.is_active
    assert set(active_model.artifact_hashes) >= {"model.joblib", "ood.joblib"}
    assert all(len(h) == 64 for h in active_model.artifact_hashes.values())
    assert len(active_model.training_data_hash) == 64
    assert active_model.feature_schema
    assert "ece" in active_model.metrics


@pytest.mark.django_db
def test_activation_and_rollback_switch_the_active_version(active_model, trained_bundle):
    second = model_version_register(
        bundle=trained_bundle, training_data="returns_normal.csv", activate=True
    )
    assert ModelVersion.objects.get(is_active=True) == second
    assert model_active()[0] == second
    assert model_version_rollback() == active_model
    assert ModelVersion.objects.get(is_active=True) == active_model
    assert model_active()[0] == active_model
    model_version_activate(version=second.version)
    assert ModelVersion.objects.filter(is_active=True).count() == 1
    actions = list(
        AuditEvent.objects.filter(action="model.activate")
        .order_by("id")
        .values_list("after", flat=True)
    )
    assert [a["active"] for a in actions][-3:] == [
        second.version,
        active_model.version,
        second.version,
    ]


@pytest.mark.django_db
def test_tampered_artifact_is_refused_at_load(active_model):
    path = Path(settings.MODEL_ARTIFACT_DIR) / active_model.artifact_dir / "model.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(TamperedArtifactError):
        model_version_load(active_model)


@pytest.mark.django_db
def test_a_version_whose_files_are_gone_is_not_activated_or_rolled_back_to(active_model):
    second = model_version_register(
        bundle=model_version_load(active_model), training_data="again", activate=True
    )
    (Path(settings.MODEL_ARTIFACT_DIR) / active_model.artifact_dir / "ood.joblib").unlink()
    with pytest.raises(TamperedArtifactError):
        model_version_rollback(actor=None)
    with pytest.raises(TamperedArtifactError):
        model_version_activate(version=active_model.version, actor=None)
    assert ModelVersion.objects.get(is_active=True) == second
