"""Celery tasks of the insights app: the weekly retraining and the daily drift snapshot."""

import logging

from celery import shared_task

from insights.services.drift import DriftReferenceMissing, drift_snapshot_record
from insights.services.retrain import NotEnoughLabels, model_retrain
from scoring.constants import PROMOTION_MARGIN
from scoring.selectors import training_data_default
from scoring.services.models import NoActiveModel

logger = logging.getLogger(__name__)


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
