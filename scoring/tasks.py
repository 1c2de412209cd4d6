"""Celery tasks of the scoring pipeline: thin wrappers around the pipeline services."""

import logging
import time

from celery import shared_task

from ml.artifacts import TamperedArtifactError
from scoring.constants import PROMOTION_MARGIN, SCORING_BATCH_SIZE
from scoring.selectors import training_data_default
from scoring.services.drift import DriftReferenceMissing, drift_snapshot_record
from scoring.services.health import sweeper_heartbeat_record
from scoring.services.models import NoActiveModel
from scoring.services.pipeline import returns_decide_pending, returns_pending_overdue
from scoring.services.retrain import NotEnoughLabels, model_retrain

logger = logging.getLogger(__name__)

MAX_BATCHES_PER_TASK = 40


# At most one warning a minute per worker process while the model is unusable: the sweeper
# retries every 5 seconds by itself, so retries here would only pile up tasks and log lines.
MODEL_TROUBLE_LOG_INTERVAL = 60.0
_model_trouble_logged_at = -MODEL_TROUBLE_LOG_INTERVAL


def _model_trouble(level: int, message: str, *args) -> None:
    global _model_trouble_logged_at
    now = time.monotonic()
    if now - _model_trouble_logged_at >= MODEL_TROUBLE_LOG_INTERVAL:
        _model_trouble_logged_at = now
        logger.log(level, message + "; returns stay pending until it is fixed", *args)


# Limits well above a full task (40 batches take seconds) that still free a stuck worker slot.
@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def decide_pending_returns():
    """Decides pending returns batch by batch until none are left (or a fair share is done)."""
    try:
        for _ in range(MAX_BATCHES_PER_TASK):
            if returns_decide_pending() < SCORING_BATCH_SIZE:
                return
    except NoActiveModel as exc:
        _model_trouble(logging.WARNING, "cannot decide: %s", exc)
        return
    except TamperedArtifactError as exc:
        _model_trouble(logging.CRITICAL, "cannot decide: the active model's files: %s", exc)
        return
    decide_pending_returns.delay()


@shared_task
def sweep_pending_returns():
    sweeper_heartbeat_record()
    if returns_pending_overdue():
        decide_pending_returns.delay()


@shared_task(soft_time_limit=1800, time_limit=2400)
def retrain_model():
    """Weekly: a challenger from the labels so far, promoted only past PROMOTION_MARGIN."""
    try:
        model_retrain(base=training_data_default(), margin=PROMOTION_MARGIN)
    except (NotEnoughLabels, NoActiveModel) as exc:
        logger.info("weekly retraining skipped: %s", exc)


@shared_task
def record_drift_snapshot():
    """Daily: today's drift snapshot over the last DRIFT_WINDOW_DAYS of returns."""
    try:
        snapshot = drift_snapshot_record()
    except (NoActiveModel, DriftReferenceMissing) as exc:
        logger.warning("drift snapshot skipped: %s", exc)
        return
    if snapshot.status in ("warn", "alarm"):
        # A log line as well as the queue banner, so log-based alerting sees it too.
        drifted = [
            f"{row['feature']} PSI {row['psi']:.2f}"
            for row in snapshot.metrics["features"]
            if row["status"] != "ok"
        ]
        level = logging.ERROR if snapshot.status == "alarm" else logging.WARNING
        logger.log(level, "drift %s: %s", snapshot.status, ", ".join(drifted))
