"""Registering, activating and loading model versions.

Artifacts live under settings.MODEL_ARTIFACT_DIR and are loaded only after their SHA-256 matches
the hash recorded when they were written: joblib files are pickles, and a path never comes from
a request.
"""

import logging
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.services.audit import audit_record
from ml.artifacts import (
    BUNDLE_FILES,
    TamperedArtifactError,
    load_bundle,
    save_bundle,
    verified_bundle_files,
)
from ml.train import TrainedBundle
from scoring.models import ModelVersion
from webhooks.choices import EventType
from webhooks.services.events import EventDraft, events_record

logger = logging.getLogger(__name__)


class NoActiveModel(Exception):
    pass


def code_version() -> str:
    root = Path(settings.BASE_DIR)
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


@transaction.atomic
def model_version_register(
    *, bundle: TrainedBundle, training_data: str, actor=None, activate: bool = True
) -> ModelVersion:
    version = timezone.now().strftime("m%Y%m%d-%H%M%S-%f")
    directory = Path(settings.MODEL_ARTIFACT_DIR) / version
    hashes = save_bundle(bundle, directory)
    model_version = ModelVersion.objects.create(
        version=version,
        artifact_dir=version,
        artifact_hashes=hashes,
        feature_schema=bundle.feature_schema,
        training_data=training_data,
        training_data_hash=bundle.data_hash,
        code_version=code_version(),
        metrics=bundle.report,
        created_by=getattr(actor, "username", "") or "system",
    )
    audit_record(
        actor=actor, action="model.register", obj=model_version, after={"version": version}
    )
    if activate:
        return model_version_activate(version=version, actor=actor)
    return model_version


@transaction.atomic
def model_version_activate(*, version: str, actor=None) -> ModelVersion:
    """Makes `version` the one workers use, after checking its files are intact.

    Raises TamperedArtifactError (nothing changes) when they are not: activating a model that
    cannot load would stop every scoring batch.
    """
    target = ModelVersion.objects.select_for_update().get(version=version)
    model_version_verify(target)
    current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
    if current == target:
        return target
    if current is not None:
        current.is_active = False
        current.save(update_fields=["is_active"])
    target.is_active = True
    target.activated_at = timezone.now()
    target.save(update_fields=["is_active", "activated_at"])
    audit_record(
        actor=actor,
        action="model.activate",
        obj=target,
        before={"active": current.version if current else None},
        after={"active": target.version},
    )
    events_record(
        drafts=[
            EventDraft(
                event_type=EventType.MODEL_ACTIVATED,
                client_id=None,
                data={
                    "model": {
                        "version": target.version,
                        "previous": current.version if current else None,
                        "activated_at": target.activated_at.isoformat(),
                    }
                },
            )
        ]
    )
    return target


@transaction.atomic
def model_version_rollback(*, actor=None) -> ModelVersion:
    """Re-activates the version that was active before the current one."""
    # Locked first, so an activation running alongside cannot change what "before" means.
    current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
    previous = (
        ModelVersion.objects.filter(is_active=False, activated_at__isnull=False)
        .exclude(pk=getattr(current, "pk", None))
        .order_by("-activated_at")
        .first()
    )
    if previous is None:
        raise ModelVersion.DoesNotExist("no earlier active version to roll back to")
    return model_version_activate(version=previous.version, actor=actor)


def _artifact_directory(model_version: ModelVersion) -> Path:
    return Path(settings.MODEL_ARTIFACT_DIR) / model_version.artifact_dir


def model_version_load(model_version: ModelVersion) -> TrainedBundle:
    return load_bundle(_artifact_directory(model_version), model_version.artifact_hashes)


def model_version_verify(model_version: ModelVersion) -> None:
    """Checks the version's files against their hashes without loading them (no unpickling)."""
    verified_bundle_files(_artifact_directory(model_version), model_version.artifact_hashes)


# The last check's answer, by version and by each file's modification time, size and inode.
_verified: dict[tuple, str | None] = {}


def model_version_check(model_version: ModelVersion) -> str | None:
    """What is wrong with the version's files (None when nothing), hashing them again only when
    one of them changed on disk since the last check. For a probe called every few seconds: a
    file rewritten with its old time restored goes unseen here, never when a worker loads it."""
    directory = _artifact_directory(model_version)
    stats = []
    for name in BUNDLE_FILES:
        try:
            stat = (directory / name).stat()
        except OSError:
            stats.append((name, None))
        else:
            stats.append((name, stat.st_mtime_ns, stat.st_size, stat.st_ino))
    signature = (model_version.pk, tuple(stats))
    if signature not in _verified:
        try:
            model_version_verify(model_version)
        except TamperedArtifactError as exc:
            logger.error("model %s cannot be loaded: %s", model_version.version, exc)
            problem = "artifact files missing or altered"
        else:
            problem = None
        _verified.clear()
        _verified[signature] = problem
    return _verified[signature]


# Loaded bundles by version id; a worker asks for the active id on every batch, so activating
# another version takes effect on the next batch without a restart.
_loaded: dict[int, TrainedBundle] = {}


def model_active() -> tuple[ModelVersion, TrainedBundle]:
    model_version = ModelVersion.objects.filter(is_active=True).first()
    if model_version is None:
        raise NoActiveModel("no model version is active; run `manage.py train_model`")
    if model_version.pk not in _loaded:
        _loaded.clear()
        _loaded[model_version.pk] = model_version_load(model_version)
        logger.info("loaded model version %s", model_version.version)
    return model_version, _loaded[model_version.pk]
